"""Proof 1: upstream's own configuration. temporal-server runs config/docker.yaml from the Go
module cache as shipped (only the variables upstream exposes set: addresses, ports,
credentials), the schema comes from temporal-sql-tool and upstream's schema files, the UI
runs ui-server's own docker.yaml — none of it written by the suite's stack code — and every
gate that does not change the deployment passes against it on the external target."""

from __future__ import annotations

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
    run_behave,
    server_environment,
    setup_schema,
    start_server,
    start_ui,
    suite_environment,
)


@dataclass
class Upstream:
    root: Path
    ports: Ports
    postgres: Postgres
    roles: Roles
    server: Process
    ui: Process
    server_env: dict[str, str]

    def suite_env(self) -> dict[str, str]:
        """What a user gives the suite: addresses, the read-only role, the files to read."""
        password_file = self.root / "qa-reader.password"
        password_file.write_text(self.roles.reader + "\n")
        password_file.chmod(0o600)
        # the server's environment as `env` would show it, for the datastore gate
        server_env = self.root / "server.env"
        server_env.write_text(
            "".join(f"{k}={v}\n" for k, v in self.server_env.items() if k != "POSTGRES_PWD")
        )
        return suite_environment(
            TACC_STATE_DIR=str(self.root / "suite-state"),
            TACC_TEMPORAL_ADDRESS=f"127.0.0.1:{self.ports.frontend}",
            TACC_UI_URL=f"http://127.0.0.1:{self.ports.ui}",
            TACC_POSTGRES_HOST="127.0.0.1",
            TACC_POSTGRES_PORT=str(self.postgres.port),
            TACC_POSTGRES_USER="qa_reader",
            TACC_POSTGRES_PASSWORD_FILE=str(password_file),
            TACC_APP_DSN=self.postgres.dsn("qa_app", self.roles.app, "acceptance_app"),
            TACC_TEMPORAL_CONFIG=str(server_env),
            TACC_TEMPORAL_LOG=str(self.server.log),
            TACC_POSTGRES_LOG=str(self.postgres.log),
            TACC_UI_LOG=str(self.ui.log),
        )


def deploy_upstream(root: Path, first_port: int, certs: object = None) -> Iterator[Upstream]:
    """PostgreSQL, schema, server and UI from upstream's files; stopped afterwards."""
    from proofs.deployments import tls_environment

    ports = free_ports(first_port)
    postgres, roles = Postgres(root / "postgres", ports.postgres), Roles()
    processes: list[Process] = []
    try:
        postgres.start()
        create_roles(postgres, roles)
        setup_schema(binaries()["sql"], postgres.port, roles.temporal)
        env = server_environment(ports, postgres.port, roles.temporal)
        if certs is not None:
            env |= tls_environment(certs)  # type: ignore[arg-type]
        server = start_server(root, env, certs)  # type: ignore[arg-type]
        processes.append(server)
        ui = start_ui(root, ports.ui, ports.frontend, certs)  # type: ignore[arg-type]
        processes.append(ui)
        yield Upstream(root, ports, postgres, roles, server, ui, env)
    finally:
        for process in reversed(processes):
            process.stop()
        postgres.stop()


@pytest.fixture(scope="module")
def upstream(proof_root: Path) -> Iterator[Upstream]:
    yield from deploy_upstream(proof_root, 1)


@pytest.fixture(scope="module")
def run(upstream: Upstream, reports: Path) -> BehaveRun:
    return run_behave(reports, upstream.suite_env())


def test_every_gate_that_only_reads_passes(run: BehaveRun) -> None:
    counts = run.verdict["counts"]
    failed = [f"{g['scenario']}: {g['reason']}" for g in run.gates("failed")]
    assert failed == [], "\n".join(failed) + "\n" + run.output[-3000:]
    assert run.status == 0, run.output[-3000:]
    assert counts["passed"] >= 30, counts
    assert run.verdict["headline"].startswith("PASSED")


def test_what_was_not_checked_is_skipped_with_its_reason(run: BehaveRun) -> None:
    skipped = run.gates("skipped")
    assert skipped, "the persistence gates change the deployment: they must be skipped"
    for gate in skipped:
        assert gate["reason"], gate
        assert "changes the deployment" in gate["reason"], gate
        assert gate["feature"] == "Persistence through restarts and crashes", gate
    assert "skipped, with the reason" in run.output


def test_the_gates_that_need_the_users_inputs_ran(run: BehaveRun) -> None:
    for name in (
        "The connection strings Temporal runs with reach its databases",
        "The server, database and worker log no errors while the workflow runs",
        "The completed workflow's execution, history and visibility are in PostgreSQL",
        "The history page shows every event in the order Temporal recorded them",
        "The live servers run the requested versions and the decision is in the report",
    ):
        assert run.scenario(name)["status"] == "passed", run.scenario(name)


def test_the_deployment_was_not_changed(upstream: Upstream, run: BehaveRun) -> None:
    assert upstream.server.running()
    assert upstream.ui.running()
    assert run.verdict["target"] == "external"
    assert "the external deployment was not changed" in run.output
