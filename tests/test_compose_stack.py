"""ComposeStack logic with fakes at the docker SDK and Compose CLI boundaries: lifecycle
orchestration, status, logs by time window, datastores, redacted configuration, image choice
and the errors for a missing image."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker_fakes import (
    PROJECT,
    FakeClient,
    FakeContainer,
    FakeImage,
    FakeNetwork,
    FakeVolume,
    compose_calls,
    fake_compose,
)

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.compose.secrets import DEPLOYMENT_LABEL
from temporal_acceptance.stack.compose.stack import ComposeStack
from temporal_acceptance.stack.factory import make_stack

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "unit-test-secret-9"
LOCAL = {
    "postgresql": "temporal-acceptance/postgres:16",
    "temporal-schema-setup": "temporal-acceptance/admin-tools:1.32.2",
    "temporal": "temporal-acceptance/server:1.32.2",
    "temporal-create-namespace": "temporal-acceptance/admin-tools:1.32.2",
    "temporal-ui": "temporal-acceptance/ui:2.56.4",
}
CONFIG_SCRIPT = """case "$*" in
  *" config") [ -z "$FAKE_CONFIG_ERROR" ] || { echo "$FAKE_CONFIG_ERROR" >&2; exit 1; }
              printf 'services:\\n%s\\n' "$FAKE_SERVICES" ;;
  *) echo "compose $*"; exit ${FAKE_EXIT:-0} ;;
esac"""


def _project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copytree(REPO / "compose", tmp_path / "compose")
    dotenv = (REPO / ".env").read_text().replace("POSTGRES_PASSWORD=", "#")
    (tmp_path / ".env").write_text(dotenv + f"POSTGRES_PASSWORD={PASSWORD}\n")
    return tmp_path


def _healthy_deployment(client: FakeClient) -> dict[str, FakeContainer]:
    containers = {
        "postgresql": FakeContainer(
            "u_postgresql_1",
            "postgresql",
            aliases=["postgresql"],
            ports={"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "55500"}]},
            log_bytes=b"2026-11-25T14:00:01.000000000Z LOG:  ready\n",
        ),
        "temporal-schema-setup": FakeContainer(
            "u_schema_1", "temporal-schema-setup", running=False, health=None
        ),
        "temporal": FakeContainer(
            "u_temporal_1",
            "temporal",
            env={
                "DB": "postgres12",
                "POSTGRES_SEEDS": "postgresql",
                "DB_PORT": "5432",
                "POSTGRES_USER": "temporal",
                "POSTGRES_PWD": PASSWORD,
                "VISIBILITY_POSTGRES_SEEDS": "elsewhere",
            },
            config_files="/x/docker-compose.yml,/x/compose/local-images.yml",
        ),
        "temporal-create-namespace": FakeContainer(
            "u_ns_1", "temporal-create-namespace", running=False, health=None
        ),
        "temporal-ui": FakeContainer("u_ui_1", "temporal-ui"),
    }
    client.containers.all = list(containers.values())
    return containers


class Harness:
    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.client = FakeClient()
        self.containers = _healthy_deployment(self.client)
        self.said: list[str] = []
        self.probed: list[Service] = []
        self.answers = {service: True for service in Service}
        self.tmp_path = tmp_path
        services = "\n".join(f"  {name}: {{image: {image}}}" for name, image in LOCAL.items())
        env = {"FAKE_SERVICES": services, "PATH": "/usr/bin:/bin"}
        self.env = env
        self.stack = ComposeStack(
            Settings.load(
                {
                    "target": "compose",
                    "compose_project": PROJECT,
                    "postgres_port": "55500",
                    "state_dir": str(tmp_path / "state"),
                    **settings,
                },
                env={},
            ),
            say=self.said.append,
            env=env,
            cwd=_project(tmp_path),
            engine=lambda _env: self.client,
            cli=lambda: fake_compose(tmp_path / "bin", CONFIG_SCRIPT),
            probe=self.probe,
            namespace_ready=lambda endpoints: True,
        )

    def probe(self, service: Service, endpoints: Endpoints) -> tuple[bool, str]:
        self.probed.append(service)
        if not self.answers[service]:
            raise ConnectionRefusedError(f"refused, password={PASSWORD}")
        return True, f"{service.value} answers"

    def have_images(self, references: list[str]) -> None:
        for reference in references:
            self.client.images.present[reference] = FakeImage("sha256:x")


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    (tmp_path / "bin").mkdir()
    return Harness(tmp_path)


def test_up_runs_compose_then_waits_for_jobs_and_health(harness: Harness) -> None:
    harness.have_images(list(LOCAL.values()))
    harness.stack.up()
    calls = compose_calls(harness.tmp_path / "bin")
    assert calls[0].endswith(" config|55500")
    assert "up -d --remove-orphans|55500" in calls[1]
    assert "compose/local-images.yml" in calls[1]  # auto: official absent, local present
    assert harness.probed == [Service.POSTGRES, Service.TEMPORAL, Service.UI]
    assert harness.said[-1].startswith("✓ compose stack up in")


def test_up_keeps_clear_of_a_network_left_on_the_projects_subnet(harness: Harness) -> None:
    harness.have_images(list(LOCAL.values()))
    preferred = harness.stack.project.variables["TACC_COMPOSE_SUBNET"]
    harness.client.networks.all.append(FakeNetwork("tacc-ci-23325_default", [preferred]))
    harness.stack.up()
    chosen = harness.stack.project.variables["TACC_COMPOSE_SUBNET"]
    assert chosen != preferred
    assert harness.stack.project.files_of.subnet() == chosen
    # its own network, labelled by compose, is not "another" network on the next `up`
    harness.client.networks.all.append(
        FakeNetwork(
            "renamed", [chosen], {"com.docker.compose.project": PROJECT,
                                  "com.docker.compose.network": "default"},
        )
    )  # fmt: skip
    harness.stack.up()
    assert harness.stack.project.variables["TACC_COMPOSE_SUBNET"] == chosen


def test_a_failed_schema_job_stops_up_with_its_log(harness: Harness) -> None:
    harness.have_images(list(LOCAL.values()))
    job = harness.containers["temporal-schema-setup"]
    job.exit_code, job.log_bytes = 1, b"2026-11-25T14:00:00Z unable to connect to DB\n"
    with pytest.raises(UserError) as raised:
        harness.stack.up()
    assert "the temporal-schema-setup job failed: exited (exit code 1)" in str(raised.value)
    assert "unable to connect to DB" in str(raised.value)


def test_compose_failure_names_the_error_and_shows_failed_containers(harness: Harness) -> None:
    harness.have_images(list(LOCAL.values()))
    harness.env["FAKE_EXIT"] = "1"
    harness.containers["temporal"].health = "unhealthy"
    with pytest.raises(UserError, match="`fake-compose up` failed"):
        harness.stack.up()
    assert any(line.startswith("✗ u_temporal_1: running, unhealthy") for line in harness.said)


def test_compose_files_that_do_not_resolve(harness: Harness) -> None:
    harness.env["FAKE_CONFIG_ERROR"] = "ERROR: Invalid interpolation format"
    with pytest.raises(UserError, match="do not resolve: ERROR: Invalid interpolation format"):
        harness.stack.up()


def test_missing_local_image_is_one_line_naming_make_images(harness: Harness) -> None:
    with pytest.raises(UserError) as raised:
        harness.stack.up()
    assert raised.value.line() == (
        "image temporal-acceptance/admin-tools:1.32.2 is not built on this machine — "
        "build the local images: make images (or temporal-acceptance images)"
    )


def test_official_image_that_cannot_be_pulled(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    harness = Harness(tmp_path, compose_images="official")
    official = "\n".join(
        f"  {name}: {{image: {image}}}"
        for name, image in harness.stack.project.official_images().items()
    )
    harness.env["FAKE_SERVICES"] = official
    harness.have_images(["temporalio/admin-tools:1.32.2", "temporalio/server:1.32.2"])
    harness.client.images.pull_error = "Get https://registry-1.docker.io/v2/: no such host"
    with pytest.raises(UserError) as raised:
        harness.stack.up()
    assert raised.value.line().startswith(
        "image postgres:16 is not available locally and cannot be pulled "
        "(Get https://registry-1.docker.io/v2/: no such host) — make a registry reachable, "
        "or build the local images (make images) and set TACC_COMPOSE_IMAGES=local"
    )
    harness.client.images.pull_error = None
    harness.stack.up()
    assert harness.client.images.pulled == ["postgres:16", "temporalio/ui:2.56.4"]


def test_status_reads_docker_state_health_and_the_probe(harness: Harness) -> None:
    stack = harness.stack
    assert stack.status(Service.TEMPORAL).healthy
    harness.containers["temporal"].health = "starting"
    status = stack.status(Service.TEMPORAL)
    assert status.running
    assert not status.healthy
    harness.answers[Service.UI] = False
    ui = stack.status(Service.UI)
    assert not ui.healthy
    assert "ConnectionRefusedError" in ui.detail
    assert PASSWORD not in ui.detail
    harness.containers["postgresql"].running = False
    assert (
        stack.status(Service.POSTGRES).line().startswith("postgres  down — u_postgresql_1 exited")
    )
    harness.client.containers.all.clear()
    assert stack.status(Service.POSTGRES).detail == "no container"


def test_stop_start_kill_through_the_sdk(harness: Harness) -> None:
    stack, temporal = harness.stack, harness.containers["temporal"]
    stack.stop(Service.TEMPORAL)
    # no grace period declared: the engine's default, as `docker stop` and compose use
    assert ("stop", 10) in temporal.calls
    assert not temporal.running
    stack.start(Service.TEMPORAL)
    assert ("start", None) in temporal.calls
    assert stack.healthy(Service.TEMPORAL)
    stack.kill(Service.TEMPORAL)
    assert ("kill", "SIGKILL") in temporal.calls
    assert stack.status(Service.TEMPORAL).detail.endswith("exited (exit code 137)")
    stack.restart(Service.TEMPORAL)
    assert temporal.running


def test_stop_gives_the_grace_period_the_compose_file_declares(harness: Harness) -> None:
    postgres = harness.containers["postgresql"]
    postgres.stop_timeout = 30  # the file's stop_grace_period: 30s
    harness.stack.stop(Service.POSTGRES)
    assert ("stop", 30) in postgres.calls


def test_start_without_a_container_asks_compose(harness: Harness) -> None:
    ui = harness.containers["temporal-ui"]
    harness.client.containers.all.remove(ui)
    original_list = harness.client.containers.list

    def list_after_compose(**options: Any) -> list[Any]:
        # The container exists once compose has been asked to create it.
        if ui not in harness.client.containers.all and any(
            "up -d --no-deps temporal-ui" in call
            for call in compose_calls(harness.tmp_path / "bin")
        ):
            harness.client.containers.all.append(ui)
        return original_list(**options)

    harness.client.containers.list = list_after_compose  # type: ignore[method-assign]
    harness.stack.start(Service.UI)
    assert harness.stack.healthy(Service.UI)


def test_kill_and_datastores_need_a_container(harness: Harness) -> None:
    harness.client.containers.all.clear()
    with pytest.raises(UserError, match="has no temporal container — bring the stack up"):
        harness.stack.kill(Service.TEMPORAL)
    with pytest.raises(UserError, match="has no temporal container"):
        harness.stack.datastores()


def test_logs_by_time_window_with_docker_timestamps(harness: Harness) -> None:
    postgres = harness.containers["postgresql"]
    postgres.log_bytes = (
        b"2026-11-25T14:00:00.500000000Z early\n"
        b"2026-11-25T14:00:01.250000000Z inside\n"
        b"2026-11-25T14:00:02.900000000Z late\n"
    )
    since = datetime(2026, 11, 25, 14, 0, 1, tzinfo=UTC)
    until = datetime(2026, 11, 25, 14, 0, 2, 500000, tzinfo=UTC)
    lines = harness.stack.logs(Service.POSTGRES, since, until)
    assert [line.text for line in lines] == ["inside"]
    options = postgres.calls[-1][1]
    assert options["timestamps"] is True
    assert options["since"] == int(since.timestamp())
    assert options["until"] == int(until.timestamp()) + 2
    assert len(harness.stack.logs(Service.POSTGRES)) == 3
    harness.client.containers.all.clear()
    assert harness.stack.logs(Service.UI) == []


def test_datastores_translate_the_server_address_to_the_published_port(harness: Harness) -> None:
    stores = {store.name.split(" ")[0]: store for store in harness.stack.datastores()}
    assert stores["default"].describe() == (
        "default (server uses postgresql:5432) (default store): temporal@127.0.0.1:55500/temporal"
    )
    assert stores["default"].password == Secret(PASSWORD)  # the server's own, from its env
    visibility = stores["visibility"]
    assert (visibility.host, visibility.port) == ("elsewhere", 5432)
    assert "not published to this host" in visibility.name


def test_effective_config_names_endpoints_and_hides_the_password(harness: Harness) -> None:
    config = harness.stack.effective_config()
    text = yaml.safe_dump(config)
    assert PASSWORD not in text
    assert config["endpoints"]["postgres"] == "127.0.0.1:55500"
    assert config["compose"]["variables"]["POSTGRES_PASSWORD"] == "***"
    assert config["temporal_server_environment"]["POSTGRES_PWD"] == "***"
    assert config["compose"]["files"][-1].endswith("compose/local-images.yml")  # adopted
    assert "u_temporal_1: running, healthy" in config["containers"]["temporal"]


def _created_by_the_suite(harness: Harness) -> str:
    """The project as `up` leaves it: generated secrets, every resource labelled."""
    harness.have_images(list(LOCAL.values()))
    harness.stack.up()
    deployment = harness.stack.project.variables["TACC_DEPLOYMENT_ID"]
    for container in harness.client.containers.all:
        container.deployment = deployment
    harness.client.volumes.all = [
        FakeVolume(
            f"{PROJECT}_postgres-data",
            {"com.docker.compose.project": PROJECT, DEPLOYMENT_LABEL: deployment},
        )
    ]
    return deployment


def test_down_keeps_volumes_unless_purged(harness: Harness) -> None:
    _created_by_the_suite(harness)
    secrets_dir = harness.tmp_path / "state" / "projects" / PROJECT / "secrets"
    assert secrets_dir.is_dir()
    harness.stack.down()
    harness.stack.down(purge=True)
    calls = compose_calls(harness.tmp_path / "bin")[2:]
    assert calls[0].split("|")[0].endswith("down --remove-orphans")
    assert calls[1].split("|")[0].endswith("down --remove-orphans --volumes")
    assert "compose/local-images.yml" in calls[0]  # the files the running project used
    assert harness.said[-1].endswith("(volumes deleted)")
    assert not secrets_dir.exists()


def test_purge_refuses_a_project_the_suite_did_not_create(harness: Harness) -> None:
    deployment = _created_by_the_suite(harness)
    harness.client.volumes.all.append(
        FakeVolume("tacc-unit_by-hand", {"com.docker.compose.project": PROJECT})
    )
    before = compose_calls(harness.tmp_path / "bin")
    with pytest.raises(UserError) as refused:
        harness.stack.down(purge=True)
    assert refused.value.line().startswith(
        f"the compose project '{PROJECT}' was not created by temporal-acceptance for this "
        "deployment (volume tacc-unit_by-hand without its io.temporal-acceptance.deployment "
        "label) — refusing to delete its volumes"
    )
    assert compose_calls(harness.tmp_path / "bin") == before  # nothing was stopped
    harness.client.volumes.all.pop()
    harness.client.containers.all[0].deployment = "another-" + deployment
    with pytest.raises(UserError, match="container u_postgresql_1 without"):
        harness.stack.down(purge=True)


def test_up_generates_the_passwords_and_hands_them_over_by_environment(harness: Harness) -> None:
    harness.have_images(list(LOCAL.values()))
    harness.stack.up()
    variables = harness.stack.project.variables
    assert variables["POSTGRES_PASSWORD"] == PASSWORD  # .env's own wins over generating one
    assert len(variables["POSTGRES_ADMIN_PASSWORD"]) >= 20
    assert set(harness.stack.secrets()) == {
        "Temporal's PostgreSQL password",
        "the PostgreSQL admin password",
        "the application role's password",
    }
    endpoints = harness.stack.endpoints()
    assert endpoints.app_user == "acceptance_app"
    assert endpoints.app_password == Secret(variables["APP_DB_PASSWORD"])
    assert endpoints.address_for("acceptance_app").user == "acceptance_app"
    assert endpoints.address_for("temporal").user == "temporal"
    said = "\n".join(harness.said)
    assert variables["POSTGRES_ADMIN_PASSWORD"] not in said


def test_published_ports_are_the_listeners_and_every_container_log_is_read(
    harness: Harness,
) -> None:
    postgres = harness.containers["postgresql"]
    assert [(s.address, s.port) for s in harness.stack.listening(Service.POSTGRES)] == [
        ("127.0.0.1", 55500)
    ]
    postgres.ports = {"5432/tcp": [{"HostIp": "", "HostPort": "55500"}, {"HostPort": "x"}]}
    (everywhere,) = harness.stack.listening(Service.POSTGRES)
    assert (everywhere.address, everywhere.loopback) == ("0.0.0.0", False)
    assert harness.stack.listening(Service.UI) == []
    harness.client.containers.all.remove(harness.containers["temporal-ui"])
    assert harness.stack.listening(Service.UI) == []
    since = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    logs = harness.stack.container_logs(since)
    assert set(logs) == {"u_postgresql_1", "u_schema_1", "u_temporal_1", "u_ns_1"}
    assert "LOG:  ready" in logs["u_postgresql_1"]
    assert postgres.calls[-1] == (
        "logs",
        {"stdout": True, "stderr": True, "since": int(since.timestamp())},
    )


def test_ports_in_use_are_checked_for_services_that_are_not_running(
    harness: Harness, held_port: int
) -> None:
    harness.have_images(list(LOCAL.values()))
    harness.containers["postgresql"].running = False
    stack: Any = harness.stack
    stack.settings = stack.settings.__class__(
        **{**stack.settings.__dict__, "postgres_port": held_port}
    )
    with pytest.raises(UserError, match=f"port {held_port} on 127.0.0.1 .* TACC_POSTGRES_PORT"):
        stack.up()


def test_compose_target_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="publishes its ports on 127.0.0.1 only"):
        ComposeStack(
            Settings.load({"target": "compose", "host": "10.1.2.3"}, env={}), cwd=_project(tmp_path)
        )


def test_factory_makes_a_compose_stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(_project(tmp_path))
    stack = make_stack(Settings.load({"target": "compose", "ui_port": "58123"}, env={}))
    assert isinstance(stack, ComposeStack)
    assert stack.endpoints().ui_url == "http://127.0.0.1:58123"
    assert stack.settings.postgres_port == 55432  # .env's value: not given
