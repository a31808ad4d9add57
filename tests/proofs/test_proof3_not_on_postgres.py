"""Proof 3: not on PostgreSQL. The Temporal CLI's dev server (SQLite) plus an unrelated
PostgreSQL given as the deployment's database — one that even holds Temporal's schema, as a
stale staging copy would. Workflows run fine through the frontend, so only the PostgreSQL
gates can tell: they must fail saying Temporal's state is not in that PostgreSQL (a workflow
that just ran is not in its tables), and the run's summary must make that verdict obvious."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from proofs.deployments import (
    BehaveRun,
    Ports,
    Postgres,
    Process,
    Roles,
    binaries,
    create_roles,
    free_ports,
    leaked,
    run_behave,
    setup_schema,
    suite_environment,
    wait_for,
)

STATE_ELSEWHERE = "Temporal's state is not in this PostgreSQL"


@dataclass
class DevServerOnSqlite:
    root: Path
    ports: Ports
    server: Process
    postgres: Postgres
    roles: Roles

    def suite_env(self) -> dict[str, str]:
        password_file = self.root / "qa-reader.password"
        password_file.write_text(self.roles.reader + "\n")
        password_file.chmod(0o600)
        return suite_environment(
            TACC_STATE_DIR=str(self.root / "suite-state"),
            TACC_TEMPORAL_ADDRESS=f"127.0.0.1:{self.ports.frontend}",
            TACC_UI_URL=f"http://127.0.0.1:{self.ports.ui}",
            TACC_POSTGRES_HOST="127.0.0.1",
            TACC_POSTGRES_PORT=str(self.postgres.port),
            TACC_POSTGRES_USER="qa_reader",
            TACC_POSTGRES_PASSWORD_FILE=str(password_file),
            TACC_APP_DSN=self.postgres.dsn("qa_app", self.roles.app, "acceptance_app"),
        )


@pytest.fixture(scope="module")
def deployment(proof_root: Path) -> Iterator[DevServerOnSqlite]:
    ports = free_ports(9)
    postgres, roles = Postgres(proof_root / "postgres", ports.postgres), Roles()
    temporal = str(Path(sys.executable).parent / "temporal")
    server = Process(
        "temporal",
        [temporal, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(ports.frontend),
         "--http-port", str(ports.role(10)), "--metrics-port", str(ports.role(11)),
         "--ui-ip", "127.0.0.1", "--ui-port", str(ports.ui),
         "--db-filename", str(proof_root / "dev-server.sqlite"), "--log-level", "warn"],
        proof_root / "temporal.log",
    )  # fmt: skip
    try:
        postgres.start()
        create_roles(postgres, roles)
        # a PostgreSQL that looks like Temporal's: the schema is there, the state is not
        setup_schema(binaries()["sql"], postgres.port, roles.temporal)
        server.start()

        def serving() -> bool:
            return subprocess.run(
                [temporal, "workflow", "list", "--limit", "1",
                 "--address", f"127.0.0.1:{ports.frontend}"],
                capture_output=True, check=False,
            ).returncode == 0  # fmt: skip

        wait_for("the dev server's frontend", serving)
        yield DevServerOnSqlite(proof_root, ports, server, postgres, roles)
    finally:
        server.stop()
        postgres.stop()


@pytest.fixture(scope="module")
def run(deployment: DevServerOnSqlite, reports: Path) -> BehaveRun:
    run = run_behave(reports, deployment.suite_env())
    summary = run.output[run.output.find("verdict on the external target") :]
    (reports / "summary.txt").write_text(summary)
    return run


def test_the_postgresql_gates_fail_saying_where_the_state_is_not(run: BehaveRun) -> None:
    rows = run.scenario(
        "The completed workflow's execution, history and visibility are in PostgreSQL"
    )
    assert rows["status"] == "failed", rows
    assert rows["reason"].startswith(f"Temporal's execution rows: {STATE_ELSEWHERE}"), rows
    assert "completed through the frontend moments ago" in rows["reason"]
    roles = run.scenario("The Temporal frontend is serving and every server role is up")
    assert roles["status"] == "failed", roles
    assert STATE_ELSEWHERE in roles["reason"], roles["reason"]


def test_the_workflow_itself_runs_so_only_postgresql_is_wrong(run: BehaveRun) -> None:
    for name in (
        "The five stages complete in order and the result reports each of them",
        "The worker polls its task queue for workflow and activity tasks",
        "PostgreSQL accepts the configured credentials",
    ):
        assert run.scenario(name)["status"] == "passed", run.scenario(name)


def test_the_summary_makes_the_verdict_obvious(run: BehaveRun) -> None:
    assert run.status != 0
    assert run.verdict["headline"].startswith("FAILED"), run.verdict["headline"]
    summary = run.output[run.output.find("verdict on the external target") :]
    first_lines = summary.splitlines()[:4]
    assert first_lines[0].startswith("verdict on the external target: FAILED"), first_lines
    assert any(STATE_ELSEWHERE in line for line in summary.splitlines()[:8]), summary[:2000]


def test_no_password_reaches_the_reports(
    deployment: DevServerOnSqlite, run: BehaveRun, reports: Path
) -> None:
    del run
    assert (
        leaked(
            reports,
            [
                deployment.roles.temporal,
                deployment.roles.reader,
                deployment.roles.app,
                deployment.postgres.password,
            ],
        )
        == []
    )
