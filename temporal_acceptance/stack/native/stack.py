"""The native target: real PostgreSQL, temporal-server and UI server processes on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import DataStore, Endpoints, PostgresAddress
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, read_log
from temporal_acceptance.core.ports import Listener, listening_sockets, require_free
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import MULTIROLE, parse_topology
from temporal_acceptance.provision.binaries import Binaries, ReleaseSchema
from temporal_acceptance.stack.base import NOT_RUNNING, START_ORDER, Service, ServiceStatus
from temporal_acceptance.stack.facts import DataLocation, TemporalFacts
from temporal_acceptance.stack.native import mutant_switch, profile, seeded
from temporal_acceptance.stack.native.access import Access
from temporal_acceptance.stack.native.defects import SeededDefect
from temporal_acceptance.stack.native.layout import ADMIN_SECRET, APP_SECRET, Layout
from temporal_acceptance.stack.native.mutant import (
    EphemeralPostgresData,
    leave_mutant_data,
)
from temporal_acceptance.stack.native.postgres import (
    NativePostgres,
    PostgresOptions,
    service_account,
)
from temporal_acceptance.stack.native.process import ManagedProcess, RunAs, descendants
from temporal_acceptance.stack.native.releases import ReleaseChanges
from temporal_acceptance.stack.native.role_processes import RoleProcesses
from temporal_acceptance.stack.native.roles import ADMIN_ROLE
from temporal_acceptance.stack.native.server_config import (
    SqlTls,
    TemporalPorts,
    datastores_from_config,
)
from temporal_acceptance.stack.native.temporal import NativeTemporal
from temporal_acceptance.stack.native.topology import (
    MultiroleTemporal,
    RoleGroup,
    check_topology,
    recorded_topology,
)
from temporal_acceptance.stack.native.ui import NativeUi
from temporal_acceptance.stack.ownership import owned, purge_state_dir


class NativeStack(RoleProcesses, ReleaseChanges):
    target = "native"

    def __init__(
        self, settings: Settings, say: Say = stderr_say, env: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(recorded_topology(settings))
        settings = self.settings
        self.say = say
        self.env = os.environ if env is None else env
        self.layout = Layout(settings.state_dir)
        self.ports = TemporalPorts(settings.temporal_port)
        # Provisioned on first use, once per release: a release swap (use_release) makes
        # every part of the stack run the other release's binaries from then on.
        self._provisioned: dict[tuple[str, str, int], Binaries] = {}
        self.binaries: Callable[[], Binaries] = self._binaries
        host = settings.host
        self.postgres = NativePostgres(
            lambda: self.binaries().postgres,
            settings.postgres_major,
            self.layout,
            host,
            settings.postgres_port,
            ADMIN_ROLE,  # initdb's superuser: setup only (stack/native/roles.py)
        )
        # topology=multirole: one process per role (stack/native/topology.py)
        temporal_class = MultiroleTemporal if settings.topology == MULTIROLE else NativeTemporal
        self.temporal = temporal_class(
            self.binaries,
            self.layout,
            host,
            self.ports,
            settings.postgres_port,
            settings.postgres_user,
            settings.namespace,
        )
        self.temporal.release = settings.temporal_version
        self.ui = NativeUi(
            lambda: self.binaries().ui_server,
            self.layout,
            host,
            settings.ui_port,
            self.temporal.address,
            settings.namespace,
        )
        self.access = Access(
            self.layout, self.postgres, host, settings.postgres_port, settings.postgres_user, say
        )
        self.ephemeral_postgres: EphemeralPostgresData | None = None
        self.interfaces: seeded.Interfaces = seeded.interfaces
        self.seed_pending = False  # a mutant was switched on: the next up restarts
        self.postgres.options = PostgresOptions(timezone=settings.postgres_timezone)
        self.roles = self.temporal if isinstance(self.temporal, MultiroleTemporal) else None
        self.defect = SeededDefect()

    role_health_dialable = True  # every role listens on loopback

    def _apply_tls(self) -> None:
        """The postgres_tls profile: PostgreSQL with ssl on and hostssl only, Temporal and
        temporal-sql-tool verifying the server."""
        files, required = profile.tls_files(self.settings, self.mutant, self.layout, self._run_as())
        self.postgres.options = replace(self.postgres.options, tls=files, tls_required=required)
        self.temporal.tls = SqlTls(files.ca_cert, self.settings.host) if files else None

    # -- mutants (prove the gates can fail; off unless asked for: mutant_switch.py) ----
    def enable_mutant(self, name: str) -> None:
        mutant_switch.enable(self, name)

    def disable_mutant(self) -> None:
        mutant_switch.disable(self)

    # -- helpers -----------------------------------------------------------------
    def _process(self, service: Service) -> ManagedProcess | RoleGroup:
        return {
            Service.POSTGRES: self.postgres.process,
            Service.TEMPORAL: self.roles.group if self.roles else self.temporal.process,
            Service.UI: self.ui.process,
        }[service]

    def _password(self) -> Secret:
        return self.layout.password()

    def _run_as(self) -> RunAs | None:
        return service_account()

    def _ports_of(self, service: Service) -> list[tuple[int, str, str]]:
        settings = self.settings
        if service is Service.POSTGRES:
            return [(settings.postgres_port, "PostgreSQL", "TACC_POSTGRES_PORT")]
        if service is Service.UI:
            return [(settings.ui_port, "Temporal UI", "TACC_UI_PORT")]
        if self.roles:
            return [
                (port, purpose, "TACC_TEMPORAL_PORT (other roles follow it)")
                for port, purpose in self.roles.ports_to_check()
            ]
        return [
            (port, f"Temporal {role}", "TACC_TEMPORAL_PORT (other roles follow it)")
            for role, port in self.ports.all().items()
        ]

    def _check_ports(self, service: Service) -> None:
        for port, purpose, setting in self._ports_of(service):
            require_free(port, purpose, setting, self.settings.host)

    def _record(self) -> None:
        self.layout.record({**self.layout.recorded(), **profile.deployed(self.settings)})

    # -- lifecycle ---------------------------------------------------------------
    def up(self) -> None:
        started = time.monotonic()
        if self.ephemeral_postgres is None:  # an interrupted mutant run's throw-away data
            leave_mutant_data(self.layout.root, self._stop_all, self.say)
        self.layout.create()
        self._apply_tls()
        check_topology(self.layout, self.settings.topology)
        self.postgres.check_data_major()
        self.binaries()
        if self.seed_pending and any(self._process(s).running() for s in START_ORDER):
            # A mutant is seeded where a service starts: restart what already runs, once.
            self.say(f"  restarting the running stack to seed the {self.mutant} mutant")
            self._stop_all()
        self.seed_pending = False
        for service in START_ORDER:
            self.start(service)
        self._record()
        self.say(f"✓ native stack up in {format_elapsed(time.monotonic() - started)}")

    def start(self, service: Service) -> None:
        self.layout.create()
        self._apply_tls()
        step_started = time.monotonic()
        if self._process(service).running():
            self._wait_healthy(service)
            return
        self._check_ports(service)
        if service is Service.POSTGRES:
            self._start_postgres()
        elif service is Service.TEMPORAL:
            password = self.layout.ensure_password()
            # Only a deployment that never came up has its existing schema migrated here.
            first_time = "temporal_version" not in self.layout.recorded()
            expected = self.binaries().schema
            for change in self.temporal.ensure_schema(password, expected, first_time):
                self.say(f"  schema {change}")
            if self.mutant == seeded.PASSWORD_IN_LOG:
                login = self.access.login(self.settings.postgres_user)
                seeded.write_leak(self.layout.logs_dir, login)
            if self.defect.name:
                self.defect.before_temporal_starts(self.endpoints(), password)
            mutant_switch.before_temporal_starts(self, password, first_time)
            self.temporal.start(password)
            if self.defect.name:
                mutant_switch.after_temporal_serves(self, password)
        else:
            self.ui.start()
        self.say(f"  {service.value} up ({format_elapsed(time.monotonic() - step_started)})")

    def _start_postgres(self) -> None:
        run_as = self._run_as()
        self.layout.ensure_password()
        self.layout.ensure_secret(APP_SECRET)
        admin_password = self.layout.ensure_secret(ADMIN_SECRET)
        if self.ephemeral_postgres is not None:
            self.postgres.data_dir_override = self.ephemeral_postgres.fresh()
        if self.mutant == seeded.TRUST_AUTH:
            files = seeded.MutantFiles(self.layout.root, seeded.TRUST_AUTH)
            self.postgres.hba_file_override = files.write("pg_hba.conf", seeded.TRUST_HBA, run_as)
        if self.postgres.initialise(admin_password, run_as):
            self.say(f"  initialised PostgreSQL {self.settings.postgres_major} data")
        self.postgres.start(run_as)
        self._settle_roles(60.0)

    def _settle_roles(self, timeout: float) -> None:
        self.access.settle(timeout, self.mutant, self.temporal.stop)

    def launch(self, service: Service) -> None:
        if service is not Service.TEMPORAL:
            super().launch(service)
        self.layout.create()
        self._apply_tls()
        self.temporal.launch(self.layout.ensure_password())

    def _wait_healthy(self, service: Service) -> None:
        if service is Service.POSTGRES:
            self._settle_roles(30.0)
        elif service is Service.TEMPORAL:
            self.temporal.wait_ready(30.0)
        else:
            self.ui.start(timeout=30.0)

    def _stop_all(self) -> None:
        for service in reversed(START_ORDER):
            self.stop(service)

    def stop(self, service: Service) -> None:
        {
            Service.POSTGRES: self.postgres.stop,
            Service.TEMPORAL: self.temporal.stop,
            Service.UI: self.ui.stop,
        }[service]()

    def kill(self, service: Service) -> None:
        self._process(service).kill()

    def freeze(self, service: Service, seconds: float) -> None:
        self._process(service).freeze(seconds)

    def down(self, purge: bool = False) -> None:
        started = time.monotonic()
        root = self.layout.root
        if purge and root.exists() and not owned(root):
            purge_state_dir(root, self.say)  # refuses, naming the directory: nothing stopped
        for service in reversed(START_ORDER):
            self.stop(service)
        if purge:
            purge_state_dir(root, self.say)
        self.say(
            f"✓ native stack down in {format_elapsed(time.monotonic() - started)}"
            + ("" if purge else " (data kept)")
        )

    def secrets(self) -> dict[str, Secret]:
        return self.layout.secrets()

    def log_files(self) -> list[Path]:
        if not self.layout.logs_dir.is_dir():
            return []
        return sorted(self.layout.logs_dir.glob("*.log"))

    def listening(self, service: Service) -> list[Listener]:
        if service is Service.TEMPORAL and self.roles:
            pids = [host.process.pid() for host in self.roles.hosts]
        else:
            pids = [self._process(service).pid()]
        family = [member for pid in pids if pid is not None for member in (pid, *descendants(pid))]
        return listening_sockets(family)

    # -- observation -------------------------------------------------------------
    def status(self, service: Service) -> ServiceStatus:
        process = self._process(service)
        pid = process.pid()
        if pid is None:
            return ServiceStatus(service, running=False, healthy=False, detail=NOT_RUNNING)
        try:
            if service is Service.POSTGRES:
                healthy = self.access.ping()
                detail = f"{self.settings.host}:{self.settings.postgres_port}"
            elif service is Service.TEMPORAL:
                healthy, detail = self.temporal.ready()
            else:
                healthy = self.ui.healthy()
                detail = self.ui.url
        except Exception as exc:  # any failure to answer is "not healthy", with its reason
            healthy, detail = False, f"{type(exc).__name__}: {redact(str(exc))}"
        return ServiceStatus(service, running=True, healthy=healthy, detail=detail, pid=pid)

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        if service is Service.TEMPORAL and self.roles:
            return self.roles.log_lines(since, until)
        return read_log(self.layout.log(service.value), service.value, since, until)

    def endpoints(self) -> Endpoints:
        return Endpoints(
            temporal_address=self.temporal.address,
            namespace=self.settings.namespace,
            ui_url=self.ui.url,
            postgres_host=self.settings.host,
            postgres_port=self.settings.postgres_port,
            postgres_user=self.settings.postgres_user,
            postgres_password=self._password(),
            app_password=(
                self.layout.secret(APP_SECRET) if self.layout.has_secret(APP_SECRET) else None
            ),
            postgres_ca_file=self._ca_file(),
        )

    def admin_address(self) -> PostgresAddress:
        return self.access.login(ADMIN_ROLE)

    def _ca_file(self) -> str:
        return str(self.postgres.options.tls.ca_cert) if self.postgres.options.tls else ""

    def postgres_tls(self) -> bool:
        return self.postgres.options.tls is not None

    def temporal_facts(self) -> TemporalFacts:
        facts = profile.facts_from_files(self.layout, parse_topology(self.settings.topology))
        return facts or super().temporal_facts()

    def data_location(self) -> DataLocation:
        return DataLocation(
            str(self.layout.root), f"the state directory {self.layout.root}", persistent=True
        )

    def expected_schema(self) -> ReleaseSchema:
        return self.binaries().schema

    def datastores(self) -> list[DataStore]:
        if not self.layout.temporal_config.is_file():
            raise UserError(
                f"no Temporal configuration at {self.layout.temporal_config}",
                "bring the stack up first (temporal-acceptance up)",
            )
        return datastores_from_config(yaml.safe_load(self.layout.temporal_config.read_text()))

    def effective_config(self) -> dict[str, Any]:
        config = super().effective_config()
        config["temporal_server_config"] = self.temporal.render(None)
        ports = self.roles.hosts[0].ports.all() if self.roles else self.ports.all()
        config["ports"] = {
            "postgres": self.settings.postgres_port,
            **ports,
            "ui": self.settings.ui_port,
        }
        if self.roles:
            config["temporal_processes"] = self.roles.describe_processes()
        config["state_dir"] = str(self.layout.root)
        config["postgres_roles"] = profile.roles_shown(self.layout, self.settings.postgres_user)
        config["password_file"] = f"{self.layout.password_file} (mode 0600, not shown)"
        return config
