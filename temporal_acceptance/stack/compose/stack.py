"""The compose target: docker-compose.yml with the official (or locally built) images.

Lifecycle goes through the Compose CLI (`up`, `down`), as a user would do it; service
control, health, logs and configuration go through the docker SDK, finding containers by
the labels compose puts on them.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, window
from temporal_acceptance.core.ports import require_free
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.base import START_ORDER, Service, ServiceStatus, Stack
from temporal_acceptance.stack.compose import images as image_choice
from temporal_acceptance.stack.compose import release
from temporal_acceptance.stack.compose.cli import ComposeCli, find_compose_cli, run_compose
from temporal_acceptance.stack.compose.engine import (
    CONFIG_FILES_LABEL,
    PROJECT_LABEL,
    connect_engine,
    network_names,
    parse_docker_logs,
    parse_env,
    published_port,
    service_containers,
    state_of,
)
from temporal_acceptance.stack.compose.probes import namespace_served, probe_service
from temporal_acceptance.stack.compose.project import (
    NAMESPACE_JOB,
    POSTGRES_SERVICE,
    SCHEMA_JOB,
    TEMPORAL_SERVICE,
    UI_SERVICE,
    ComposeProject,
    load_project,
    redact_variables,
    started_with_local_images,
)
from temporal_acceptance.stack.compose.servers import datastores_from_env, server_config_view

COMPOSE_SERVICE = {
    Service.POSTGRES: POSTGRES_SERVICE,
    Service.TEMPORAL: TEMPORAL_SERVICE,
    Service.UI: UI_SERVICE,
}
# How long each piece may take to become ready (a cold PostgreSQL init plus schema setup is
# the slowest part, about 10 s on a 2-core machine).
READY_TIMEOUT = {Service.POSTGRES: 90.0, Service.TEMPORAL: 120.0, Service.UI: 60.0}
JOB_TIMEOUT = 180.0
STOP_TIMEOUT = 30
PACKAGE_ROOT = Path(__file__).resolve().parents[3]


class ComposeStack(release.ComposeReleases, Stack):
    target = "compose"

    def __init__(
        self,
        settings: Settings,
        say: Say = stderr_say,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        engine: Callable[[Mapping[str, str]], Any] = connect_engine,
        cli: Callable[[], ComposeCli] = find_compose_cli,
        probe: Callable[[Service, Endpoints], tuple[bool, str]] = probe_service,
        namespace_ready: Callable[[Endpoints], bool] = namespace_served,
    ) -> None:
        self.env = os.environ if env is None else env
        self.project: ComposeProject = load_project(
            settings, self.env, cwd or Path.cwd(), PACKAGE_ROOT
        )
        super().__init__(self.project.settings)
        if self.settings.host not in ("127.0.0.1", "localhost"):
            raise UserError(
                f"the compose target publishes its ports on 127.0.0.1 only, not {settings.host!r}",
                "drop the host setting or set it to 127.0.0.1",
            )
        self.say = say
        self._engine_factory = engine
        self._cli_factory = cli
        self._probe = probe
        self._namespace_ready = namespace_ready
        self._adopted = False
        self.recreate: set[Service] = set()  # services to recreate from new image tags

    # -- collaborators (connected on first use: a status call needs no compose CLI) ------
    @cached_property
    def client(self) -> Any:
        return self._engine_factory(self.env)

    @cached_property
    def cli(self) -> ComposeCli:
        return self._cli_factory()

    def _compose(self, project: ComposeProject, *arguments: str) -> None:
        result = run_compose(
            self.cli,
            [*project.file_arguments(), *arguments],
            cwd=project.directory,
            env={**self.env, **project.variables},
            secrets=[project.password()],
            say=self.say,
        )
        if result.returncode != 0:
            self._show_failed_containers()
            raise UserError(
                f"`{self.cli.spelling} {arguments[0]}` failed: {result.last_error()}",
                "see the compose output and container logs above",
            )

    def _project_in_use(self) -> ComposeProject:
        """With compose_images=auto, the files the running deployment was started with (so
        `down` and `start` act on the same images `up` picked)."""
        if self.settings.compose_images == "auto" and not self._adopted:
            self._adopted = True
            running = self._container(TEMPORAL_SERVICE) or self._container(POSTGRES_SERVICE)
            if running is not None and started_with_local_images(
                running.labels.get(CONFIG_FILES_LABEL, "")
            ):
                self.project = self.project.with_local_images()
        return self.project

    def _container(self, compose_service: str) -> Any | None:
        found = service_containers(self.client, self.project.name, compose_service)
        return found[0] if found else None

    def _require_container(self, service: Service) -> Any:
        container = self._container(COMPOSE_SERVICE[service])
        if container is None:
            raise UserError(
                f"the compose project {self.project.name!r} has no {service.value} container",
                "bring the stack up first (temporal-acceptance up --target compose)",
            )
        return container

    # -- lifecycle ---------------------------------------------------------------
    def up(self) -> None:
        started = time.monotonic()
        cli = self.cli  # a missing Compose CLI should stop us before anything else
        project = image_choice.choose(self.project, self.client, self.say)
        image_choice.ensure_present(project, cli, self.client, self.env, self.say)
        self._check_ports()
        self.say(f"… compose up ({cli.describe()}, project {project.name})")
        self._compose(project, "up", "-d", "--remove-orphans")
        self.project, self._adopted = project, True
        self._wait_job(SCHEMA_JOB)
        for service in START_ORDER:
            self._wait_healthy(service)
            if service is Service.TEMPORAL:
                self._wait_job(NAMESPACE_JOB)
                self._wait_namespace()
        self.say(f"✓ compose stack up in {format_elapsed(time.monotonic() - started)}")

    def down(self, purge: bool = False) -> None:
        started = time.monotonic()
        project = self._project_in_use()
        self._compose(project, "down", "--remove-orphans", *(["--volumes"] if purge else []))
        self.say(
            f"✓ compose stack down in {format_elapsed(time.monotonic() - started)}"
            + (" (volumes deleted)" if purge else " (volumes kept)")
        )

    def stop(self, service: Service) -> None:
        container = self._container(COMPOSE_SERVICE[service])
        if container is not None:
            container.stop(timeout=STOP_TIMEOUT)

    def start(self, service: Service) -> None:
        container = self._container(COMPOSE_SERVICE[service])
        if container is None or service in self.recreate:
            self.recreate.discard(service)
            project = self._project_in_use()
            self._compose(project, "up", "-d", "--no-deps", COMPOSE_SERVICE[service])
        else:
            container.reload()
            if container.status != "running":
                container.start()
        try:
            self._wait_healthy(service)
        except (UserError, AssertionError) as exc:
            if service is not Service.TEMPORAL:
                raise
            raise release.refusal_from_logs(self, exc) from None

    def kill(self, service: Service) -> None:
        container = self._require_container(service)
        container.kill(signal="SIGKILL")
        wait_until(
            lambda: state_of(self._reloaded(container))[0],
            what=f"the {service.value} container to die after SIGKILL",
            timeout=30.0,
            accept=lambda running: not running,
        )

    @staticmethod
    def _reloaded(container: Any) -> Any:
        container.reload()
        return container

    # -- waiting -----------------------------------------------------------------
    def _check_ports(self) -> None:
        settings = self.settings
        for service, port, setting in (
            (Service.POSTGRES, settings.postgres_port, "TACC_POSTGRES_PORT"),
            (Service.TEMPORAL, settings.temporal_port, "TACC_TEMPORAL_PORT"),
            (Service.UI, settings.ui_port, "TACC_UI_PORT"),
        ):
            container = self._container(COMPOSE_SERVICE[service])
            if container is None or not state_of(container)[0]:
                require_free(port, f"compose {service.value}", setting, "127.0.0.1")

    def _log_tail(self, compose_service: str, count: int = 12) -> str:
        container = self._container(compose_service)
        if container is None:
            return f"(no {compose_service} container)"
        raw = container.logs(stdout=True, stderr=True, tail=count)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        # Temporal logs long JSON lines: the start of each says what happened.
        lines = [line if len(line) <= 400 else line[:397] + "..." for line in text.splitlines()]
        body = redact("\n".join(lines), [self.project.password()])
        return f"last lines of {container.name} (docker logs {container.name}):\n{body}"

    def _show_failed_containers(self) -> None:
        for compose_service in (POSTGRES_SERVICE, SCHEMA_JOB, TEMPORAL_SERVICE, NAMESPACE_JOB):
            container = self._container(compose_service)
            if container is None:
                continue
            running, health, line = state_of(container)
            failed = (not running and not line.endswith("(exit code 0)")) or health == "unhealthy"
            if failed:
                self.say(f"✗ {container.name}: {line}\n{self._log_tail(compose_service)}")

    def _wait_job(self, compose_service: str) -> None:
        def finished() -> tuple[bool, str]:
            container = self._container(compose_service)
            if container is None:
                return False, "no container yet"
            running, _, line = state_of(container)
            return not running, line

        _, line = wait_until(
            finished,
            what=f"the {compose_service} job to finish",
            timeout=JOB_TIMEOUT,
            accept=lambda seen: seen[0],
            describe=lambda seen: seen[1],
            hint=lambda: self._log_tail(compose_service),
        )
        if not line.endswith("(exit code 0)"):
            raise UserError(
                f"the {compose_service} job failed: {line}\n{self._log_tail(compose_service)}",
                f"fix what its log says, then run up again (docker logs of {compose_service})",
            )

    def _wait_healthy(self, service: Service) -> None:
        def status() -> ServiceStatus:
            found = self.status(service)
            if not found.running and "exited" in found.detail:  # waiting cannot help
                raise UserError(f"the compose {service.value} service {found.detail}")
            return found

        wait_until(
            status,
            what=f"the compose {service.value} service to be running and healthy",
            timeout=READY_TIMEOUT[service],
            accept=lambda found: found.healthy,
            describe=lambda found: found.line(),
            fatal=(UserError,),
            hint=lambda: self._log_tail(COMPOSE_SERVICE[service]),
        )

    def _wait_namespace(self) -> None:
        endpoints = self.endpoints()
        wait_until(
            lambda: self._namespace_ready(endpoints),
            what=f"namespace {endpoints.namespace!r} to be served by the frontend",
            timeout=60.0,
            hint=lambda: self._log_tail(NAMESPACE_JOB),
        )

    # -- observation -------------------------------------------------------------
    def status(self, service: Service) -> ServiceStatus:
        container = self._container(COMPOSE_SERVICE[service])
        if container is None:
            return ServiceStatus(service, running=False, healthy=False, detail="no container")
        running, health, line = state_of(container)
        pid = (container.attrs.get("State") or {}).get("Pid") or None
        detail = f"{container.name} {line}"
        if not running:
            return ServiceStatus(service, running=False, healthy=False, detail=detail)
        try:
            answered, what = self._probe(service, self.endpoints())
        except Exception as exc:  # any failure to answer is "not healthy", with its reason
            answered, what = False, f"{type(exc).__name__}: {redact(str(exc))}"
        healthy = answered and health in (None, "healthy")
        return ServiceStatus(
            service, running=True, healthy=healthy, detail=f"{detail}; {what}", pid=pid
        )

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        container = self._container(COMPOSE_SERVICE[service])
        if container is None:
            return []
        # Docker takes whole seconds: ask for a window that covers the request, then cut it
        # to the exact times with docker's own per-line timestamps.
        options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
        if since is not None:
            options["since"] = max(1, math.floor(since.timestamp()))
        if until is not None:
            options["until"] = math.ceil(until.timestamp()) + 1
        return window(parse_docker_logs(container.logs(**options), service.value), since, until)

    def endpoints(self) -> Endpoints:
        settings = self.settings
        return Endpoints(
            temporal_address=f"{settings.host}:{settings.temporal_port}",
            namespace=settings.namespace,
            ui_url=f"http://{settings.host}:{settings.ui_port}",
            postgres_host=settings.host,
            postgres_port=settings.postgres_port,
            postgres_user=settings.postgres_user,
            postgres_password=self._password(),
        )

    def _password(self) -> Secret:
        return self.project.password()

    def _server_env(self) -> dict[str, str]:
        container = self._require_container(Service.TEMPORAL)
        return parse_env((container.attrs.get("Config") or {}).get("Env"))

    def datastores(self) -> list[DataStore]:
        project_containers = self.client.containers.list(
            filters={"label": f"{PROJECT_LABEL}={self.project.name}"}
        )
        stores = []
        for store in datastores_from_env(self._server_env()):
            owner = next((c for c in project_containers if store.host in network_names(c)), None)
            reachable = published_port(owner, store.port) if owner is not None else None
            stores.append(store.as_datastore(reachable))
        return stores

    def effective_config(self) -> dict[str, Any]:
        config = super().effective_config()
        self._project_in_use()
        endpoints = self.endpoints()
        try:
            cli = self.cli.describe()
        except UserError as exc:  # the report still wants everything else
            cli = exc.line()
        config["compose"] = {
            "cli": cli,
            "project": self.project.name,
            "files": [str(path) for path in self.project.files],
            "variables": redact_variables(self.project.variables),
        }
        config["endpoints"] = {
            "postgres": f"{endpoints.postgres_host}:{endpoints.postgres_port}",
            "postgres_user": endpoints.postgres_user,
            "postgres_password": "***",
            "temporal_frontend": endpoints.temporal_address,
            "ui": endpoints.ui_url,
        }
        containers = {}
        for service in COMPOSE_SERVICE.values():
            container = self._container(service)
            if container is not None:
                image = (container.attrs.get("Config") or {}).get("Image", "?")
                containers[service] = f"{container.name}: {state_of(container)[2]}, image {image}"
        config["containers"] = containers
        if self._container(TEMPORAL_SERVICE) is not None:
            config["temporal_server_environment"] = server_config_view(self._server_env())
        return config
