"""The compose target: docker-compose.yml with the official (or locally built) images.

Lifecycle goes through the Compose CLI (`up`, `down`), as a user would do it; service
control, health, logs and configuration go through the docker SDK, finding containers by
the labels compose puts on them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from temporal_acceptance.clients.endpoints import APP_ROLE, DataStore, Endpoints, PostgresAddress
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.ports import Listener, require_free
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import MULTIROLE, parse_topology
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.base import START_ORDER, Process, Service, ServiceStatus
from temporal_acceptance.stack.compose import images as image_choice
from temporal_acceptance.stack.compose import profile, release
from temporal_acceptance.stack.compose.cli import ComposeCli, find_compose_cli, run_compose
from temporal_acceptance.stack.compose.engine import (
    CONFIG_FILES_LABEL,
    connect_engine,
    container_log,
    grace_period,
    network_subnets,
    parse_env,
    service_containers,
    state_of,
)
from temporal_acceptance.stack.compose.observe import (
    container_summary,
    datastores_seen_from_host,
    endpoints_view,
    failed_state,
    log_tail,
    project_containers,
    project_logs,
    published_listeners,
    require_own_project,
    wait_job,
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
    started_with_local_images,
)
from temporal_acceptance.stack.compose.roles import ComposeRoles, ComposeRoleStack, reloaded
from temporal_acceptance.stack.compose.roles import compose_service as role_service
from temporal_acceptance.stack.compose.servers import datastores_from_env, server_config_view
from temporal_acceptance.stack.facts import DataLocation, TemporalFacts

COMPOSE_SERVICE = {
    Service.POSTGRES: POSTGRES_SERVICE, Service.TEMPORAL: TEMPORAL_SERVICE, Service.UI: UI_SERVICE
}  # fmt: skip
# How long each piece may take to become ready (a cold PostgreSQL init plus schema setup is
# the slowest part, about 10 s on a 2-core machine).
READY_TIMEOUT = {Service.POSTGRES: 90.0, Service.TEMPORAL: 120.0, Service.UI: 60.0}
PACKAGE_ROOT = Path(__file__).resolve().parents[3]


class ComposeStack(release.ComposeReleases, ComposeRoleStack):
    target = "compose"
    role_health_dialable = True  # the ring names this project's own container

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
        # topology=multirole: one container per Temporal role (stack/compose/roles.py)
        self.roles = ComposeRoles(self._container) if self.settings.topology == MULTIROLE else None
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
            secrets=list(project.secrets().values()),
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
        # A password per role where none is given, and the id labelling what it creates.
        self.project = self.project.with_generated_secrets()
        self.project = self.project.with_network(*network_subnets(self.client, self.project.name))
        project = image_choice.choose(self.project, self.client, self.say)
        image_choice.ensure_present(project, cli, self.client, self.env, self.say)
        self._check_ports()
        profile.issue_tls(self.project.variables)
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
        if purge:
            # refuses (one line, exit 2) before anything is stopped
            require_own_project(self.client, self.project.name, project.files_of.deployment_id())
        arguments = ["--remove-orphans", *(["--volumes"] if purge else [])]
        self._compose(project.for_teardown(), "down", *arguments)
        if purge:
            project.files_of.remove()
        self.say(
            f"✓ compose stack down in {format_elapsed(time.monotonic() - started)}"
            + (" (volumes deleted)" if purge else " (volumes kept)")
        )

    def stop(self, service: Service) -> None:
        if service is Service.TEMPORAL and self.roles:
            return self.roles.each(self.roles.stop, reverse=True)
        container = self._container(COMPOSE_SERVICE[service])
        if container is not None:
            container.stop(timeout=grace_period(container))

    def start(self, service: Service) -> None:
        if service is Service.TEMPORAL and self.roles:
            for process in self.roles.processes():
                self._start_role(process)
            self._wait_healthy(service)
            return
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

    def launch(self, service: Service) -> None:
        container = self._require_container(service)
        container.reload()
        if container.status != "running":
            container.start()

    def kill(self, service: Service) -> None:
        if service is Service.TEMPORAL and self.roles:
            return self.roles.each(self.roles.kill)
        container = self._require_container(service)
        container.kill(signal="SIGKILL")
        wait_until(
            lambda: state_of(reloaded(container))[0],
            what=f"the {service.value} container to die after SIGKILL",
            timeout=30.0,
            accept=lambda running: not running,
        )

    # -- waiting -----------------------------------------------------------------
    def _check_ports(self) -> None:
        s = self.settings
        published = ((Service.POSTGRES, s.postgres_port), (Service.TEMPORAL, s.temporal_port),
                     (Service.UI, s.ui_port))  # fmt: skip
        for service, port in published:
            container = self._container(COMPOSE_SERVICE[service])
            if container is None or not state_of(container)[0]:
                require_free(port, f"compose {service.value}", f"TACC_{service.name}_PORT")

    def _log_tail(self, compose_service: str, count: int = 12) -> str:
        secrets = list(self.project.secrets().values())
        return log_tail(self._container(compose_service), compose_service, secrets, count)

    def _show_failed_containers(self) -> None:
        for compose_service in (POSTGRES_SERVICE, SCHEMA_JOB, TEMPORAL_SERVICE, NAMESPACE_JOB):
            container = self._container(compose_service)
            if container is not None and (line := failed_state(container)):
                self.say(f"✗ {container.name}: {line}\n{self._log_tail(compose_service)}")

    def _wait_job(self, compose_service: str) -> None:
        wait_job(lambda: self._container(compose_service), compose_service,
                 lambda: self._log_tail(compose_service))  # fmt: skip

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
        if service is Service.TEMPORAL and self.roles:  # every role container too
            down = [s.line() for s in self.roles.statuses() if not s.healthy]
            healthy, what = healthy and not down, "; ".join([what, *down])
        return ServiceStatus(
            service, running=True, healthy=healthy, detail=f"{detail}; {what}", pid=pid
        )

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        if service is Service.TEMPORAL and self.roles:
            return self.roles.all_logs(since, until)
        return container_log(self._container(COMPOSE_SERVICE[service]), service.value, since, until)

    def listening(self, service: Service) -> list[Listener]:
        container = self._container(COMPOSE_SERVICE[service])
        return published_listeners(container) if container is not None else []

    def container_logs(self, since: datetime) -> dict[str, str]:
        return project_logs(self.client, self.project.name, since)

    def secrets(self) -> dict[str, Secret]:
        return self.project.secrets()

    def _start_role(self, process: Process) -> None:
        if self.roles is not None and not self.roles.start(process.name):
            service = role_service(self.roles.spec(process.name))
            self._compose(self._project_in_use(), "up", "-d", "--no-deps", service)

    def _frontend_answers(self) -> bool:
        return self._probe(Service.TEMPORAL, self.endpoints())[0]

    def endpoints(self) -> Endpoints:
        settings, variables = self.settings, self.project.variables
        app_password = variables.get("APP_DB_PASSWORD")
        return Endpoints(
            temporal_address=f"{settings.host}:{settings.temporal_port}",
            namespace=settings.namespace,
            ui_url=f"http://{settings.host}:{settings.ui_port}",
            postgres_host=settings.host,
            postgres_port=settings.postgres_port,
            postgres_user=settings.postgres_user,
            postgres_password=self._password(),
            app_user=variables.get("APP_DB_USER") or APP_ROLE,
            app_password=Secret(app_password) if app_password else None,
            postgres_ca_file=profile.ca_file(self.project.variables),
        )

    def admin_address(self) -> PostgresAddress | None:
        return profile.admin_address(self.project.variables, self.endpoints())

    def postgres_tls(self) -> bool:
        return bool(profile.ca_file(self.project.variables))

    def temporal_facts(self) -> TemporalFacts:
        topology = parse_topology(self.settings.topology)
        if self._container(TEMPORAL_SERVICE) is None:
            return TemporalFacts(topology=topology)
        return profile.server_facts(self.project.directory, self._server_env(), topology)

    def data_location(self) -> DataLocation:
        container = self._require_container(Service.POSTGRES)
        return profile.postgres_data_location(container, self.project.name)

    def _password(self) -> Secret:
        return self.project.password()

    def _server_env(self) -> dict[str, str]:
        container = self._require_container(Service.TEMPORAL)
        return parse_env((container.attrs.get("Config") or {}).get("Env"))

    def datastores(self) -> list[DataStore]:
        containers = project_containers(self.client, self.project.name)
        return datastores_seen_from_host(datastores_from_env(self._server_env()), containers)

    def effective_config(self) -> dict[str, Any]:
        config = super().effective_config()
        self._project_in_use()
        endpoints = self.endpoints()
        try:
            cli = self.cli.describe()
        except UserError as exc:  # the report still wants everything else
            cli = exc.line()
        config["compose"] = self.project.describe(cli)
        config["endpoints"] = endpoints_view(endpoints)
        config["containers"] = container_summary(self._container, COMPOSE_SERVICE.values())
        if self._container(TEMPORAL_SERVICE) is not None:
            config["temporal_server_environment"] = server_config_view(self._server_env())
        return config
