"""Proof 2: the repository's docker-compose.yml brought up by the compose CLI directly — the
way a user runs it, with the local images and an exported password, not through the suite's
compose driver — and the external target against it: every gate that only reads passes.

The user points the suite at what the deployment offers from the outside: the published
ports, the server's environment (`docker inspect`), and `docker logs` as log sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proofs.deployments import (
    REPO,
    SKIP_REASONS,
    BehaveRun,
    Ports,
    free_ports,
    leaked,
    new_password,
    run_behave,
    suite_environment,
    wait_for,
)


def dotenv_release() -> str:
    """The Temporal release docker-compose.yml runs by hand: the one in .env."""
    for line in (REPO / ".env").read_text().splitlines():
        if line.startswith("TEMPORAL_VERSION="):
            return line.partition("=")[2].strip()
    return "latest"


def compose_cli() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


def docker_ready() -> str:
    if compose_cli() is None:
        return "no Compose CLI (docker compose or docker-compose)"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return "no Docker engine answers (start dockerd, as .ci/compose does)"
    images = subprocess.run(
        ["docker", "image", "inspect", f"temporal-acceptance/server:{dotenv_release()}"],
        capture_output=True,
        check=False,
    )
    if images.returncode != 0:
        return "the local images are not built (temporal-acceptance images)"
    return ""


@dataclass
class ComposeDeployment:
    root: Path
    project: str
    ports: Ports
    password: str  # Temporal's role
    app_password: str  # the application's role
    env: dict[str, str]
    started: dict[str, str] = field(default_factory=dict)
    admin_password: str = ""

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cli = compose_cli() or []
        files = ["-f", "docker-compose.yml", "-f", "compose/local-images.yml"]
        return subprocess.run(
            [*cli, "-p", self.project, *files, *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, check=check, timeout=600,
        )  # fmt: skip

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    def started_at(self) -> dict[str, str]:
        """When each long-running container last started (a restart changes it)."""
        return {
            service: subprocess.run(
                ["docker", "inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}",
                 self.container(service)],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
            for service in ("postgresql", "temporal", "temporal-ui")
        }  # fmt: skip

    def suite_env(self) -> dict[str, str]:
        temporal, postgres = self.container("temporal"), self.container("postgresql")
        server_env = self.root / "server.env"  # what `docker inspect` shows of the server
        server_env.write_text(
            subprocess.run(
                ["docker", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}",
                 temporal],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        password_file = self.root / "postgres.password"
        password_file.write_text(self.password + "\n")
        password_file.chmod(0o600)
        return suite_environment(
            TACC_STATE_DIR=str(self.root / "suite-state"),
            TACC_TEMPORAL_ADDRESS=f"127.0.0.1:{self.ports.frontend}",
            TACC_UI_URL=f"http://127.0.0.1:{self.ports.ui}",
            TACC_POSTGRES_HOST="127.0.0.1",
            TACC_POSTGRES_PORT=str(self.ports.postgres),
            TACC_POSTGRES_USER="temporal",
            TACC_POSTGRES_PASSWORD_FILE=str(password_file),
            TACC_APP_DSN=(
                f"host=127.0.0.1 port={self.ports.postgres} dbname=acceptance_app "
                f"user=acceptance_app password={self.app_password}"
            ),
            TACC_TEMPORAL_CONFIG=str(server_env),
            TACC_TEMPORAL_LOG=f"cmd:docker logs --timestamps --since {{since}} {temporal}",
            TACC_POSTGRES_LOG=f"cmd:docker logs --timestamps --since {{since}} {postgres}",
        )


@pytest.fixture(scope="module")
def deployment(proof_root: Path) -> Iterator[ComposeDeployment]:
    if reason := docker_ready():
        if os.environ.get("TACC_PROOFS_REQUIRE_DOCKER") == "1":  # CI: a skip would hide it
            pytest.fail(f"proof 2 cannot run: {reason}")
        pytest.skip(reason)
    ports = free_ports(5)
    password, admin, app = new_password(), new_password(), new_password()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TACC_")},
        # exported, as docs/compose.md says for running the file by hand
        "POSTGRES_PASSWORD": password,
        "POSTGRES_ADMIN_PASSWORD": admin,
        "APP_DB_PASSWORD": app,
        "POSTGRES_PUBLISHED_PORT": str(ports.postgres),
        "TEMPORAL_PUBLISHED_PORT": str(ports.frontend),
        "UI_PUBLISHED_PORT": str(ports.ui),
    }
    deployment = ComposeDeployment(
        proof_root, f"tacc-external-proof2-{ports.index}", ports, password, app, env
    )
    deployment.admin_password = admin
    try:
        deployment.compose("up", "-d", "--remove-orphans")
        temporal_cli = str(Path(sys.executable).parent / "temporal")

        def serving() -> bool:
            return subprocess.run(
                [temporal_cli, "workflow", "list", "--namespace", "default", "--limit", "1",
                 "--address", f"127.0.0.1:{ports.frontend}"],
                capture_output=True, check=False,
            ).returncode == 0  # fmt: skip

        wait_for("the compose frontend to serve the default namespace", serving, 300)

        def ui() -> bool:
            url = f"http://127.0.0.1:{ports.ui}/healthz"
            with urllib.request.urlopen(url, timeout=3) as answer:
                return b"OK" in answer.read()

        wait_for("the compose UI", ui, 120)
        deployment.started = deployment.started_at()
        yield deployment
    finally:
        deployment.compose("down", "--volumes", "--remove-orphans", check=False)


@pytest.fixture(scope="module")
def run(deployment: ComposeDeployment, reports: Path) -> BehaveRun:
    return run_behave(reports, deployment.suite_env())


def test_every_gate_that_only_reads_passes(run: BehaveRun) -> None:
    failed = [f"{g['scenario']}: {g['reason']}" for g in run.gates("failed")]
    assert failed == [], "\n".join(failed) + "\n" + run.output[-3000:]
    assert run.status == 0, run.output[-3000:]
    assert run.verdict["counts"]["passed"] >= 30, run.verdict["counts"]


def test_the_log_and_datastore_gates_read_what_the_user_pointed_at(run: BehaveRun) -> None:
    for name in (
        "The datastores Temporal runs with are its own databases at this release's schema",
        "The server, database and worker log no errors while the workflow runs",
        "Both activities complete on the test worker and the database round trip is stored",
    ):
        assert run.scenario(name)["status"] == "passed", run.scenario(name)
    skipped = run.gates("skipped")
    assert skipped
    assert all(any(r in gate["reason"] for r in SKIP_REASONS) for gate in skipped), skipped


def test_the_containers_were_not_restarted(deployment: ComposeDeployment, run: BehaveRun) -> None:
    del run
    assert deployment.started_at() == deployment.started
    assert all(state.startswith("running ") for state in deployment.started.values())


def test_no_password_reaches_the_reports(
    deployment: ComposeDeployment, run: BehaveRun, reports: Path
) -> None:
    del run
    assert leaked(reports, [deployment.password, deployment.app_password,
                            deployment.admin_password]) == []  # fmt: skip
