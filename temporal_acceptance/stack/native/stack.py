"""The native target: real PostgreSQL, temporal-server and UI server processes on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import APP_DATABASE, DataStore, Endpoints
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, read_log
from temporal_acceptance.core.ports import require_free
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.provision.binaries import Binaries, ReleaseSchema, provision_all
from temporal_acceptance.stack.base import START_ORDER, Service, ServiceStatus, Stack
from temporal_acceptance.stack.mutants import parse_mutant
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.native.mutant import EPHEMERAL_POSTGRES, EphemeralPostgresData
from temporal_acceptance.stack.native.postgres import NativePostgres, service_account
from temporal_acceptance.stack.native.process import ManagedProcess, RunAs
from temporal_acceptance.stack.native.temporal import (
    NativeTemporal,
    TemporalPorts,
    datastores_from_config,
    render_config,
)
from temporal_acceptance.stack.native.ui import NativeUi
from temporal_acceptance.stack.ownership import owned, purge_state_dir
from temporal_acceptance.stack.release import SchemaUpdate


class NativeStack(Stack):
    target = "native"

    def __init__(
        self, settings: Settings, say: Say = stderr_say, env: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(settings)
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
            settings.postgres_user,
        )
        self.temporal = NativeTemporal(
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
        self.ephemeral_postgres: EphemeralPostgresData | None = None

    def _binaries(self) -> Binaries:
        settings = self.settings
        key = (settings.temporal_version, settings.ui_version, settings.postgres_major)
        if key not in self._provisioned:
            self._provisioned[key] = provision_all(settings, self.env, self.say)
        return self._provisioned[key]

    # -- release changes (upgrades, rollbacks): the driver's part, the procedure is elsewhere
    def use_release(self, temporal_version: str, ui_version: str) -> None:
        """Run these releases of Temporal and the UI from the next start on (the data and
        everything else stay as they are); provisions them now, so a build that fails
        fails before anything is stopped."""
        self.settings = replace(
            self.settings, temporal_version=temporal_version, ui_version=ui_version
        )
        self.temporal.release = temporal_version
        self.binaries()

    def update_schemas(self) -> list[SchemaUpdate]:
        """Both schemas brought to the current release's versions with its temporal-sql-tool
        (Temporal must be stopped: upstream updates the schema before the server starts)."""
        if self.temporal.process.running():
            raise UserError(
                "Temporal is running: its schemas are updated only while it is stopped",
                "stop it first (the upgrade command does)",
            )
        return self.temporal.update_schema(self._password())

    def update_schema_commands(self) -> list[str]:
        return self.temporal.update_schema_commands()

    def record_release(self) -> None:
        """Record the releases now running with the deployment (stack.json)."""
        self._record()

    # -- mutants (prove the persistence gates can fail; off unless asked for) -----------
    def enable_mutant(self, name: str) -> None:
        mutant = parse_mutant(name, self.target)
        self.mutant = mutant.name
        self.say(f"  MUTANT {mutant.name}: {mutant.summary}")
        if mutant.name == EPHEMERAL_POSTGRES:
            self.ephemeral_postgres = EphemeralPostgresData(self.layout.root)

    def disable_mutant(self) -> None:
        """Back onto the real data: stop everything, delete the mutant's directory, up."""
        if self.ephemeral_postgres is None:
            return
        self.down()
        self.ephemeral_postgres.remove()
        self.ephemeral_postgres = None
        self.postgres.data_dir_override = None
        self.mutant = ""
        self.up()

    def _leave_mutant_data(self) -> None:
        """A mutant run that did not end cleanly (interrupted) leaves PostgreSQL running on
        the mutant's throw-away data: stop the stack and remove that data, so this run comes
        up on the real data again."""
        leftover = EphemeralPostgresData(self.layout.root)
        if self.ephemeral_postgres is not None or not leftover.root.exists():
            return
        self.say(
            f"  a mutant run left its throw-away PostgreSQL data in {leftover.root}: removing it"
        )
        for service in reversed(START_ORDER):
            self.stop(service)
        leftover.remove()

    # -- helpers -----------------------------------------------------------------
    def _process(self, service: Service) -> ManagedProcess:
        return {
            Service.POSTGRES: self.postgres.process,
            Service.TEMPORAL: self.temporal.process,
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
        return [
            (port, f"Temporal {role}", "TACC_TEMPORAL_PORT (other roles follow it)")
            for role, port in self.ports.all().items()
        ]

    def _check_ports(self, service: Service) -> None:
        for port, purpose, setting in self._ports_of(service):
            require_free(port, purpose, setting, self.settings.host)

    def _record(self) -> None:
        recorded = self.layout.recorded()
        recorded.update(
            {
                "postgres_major": self.settings.postgres_major,
                "temporal_version": self.settings.temporal_version,
                "ui_version": self.settings.ui_version,
                "ports": {
                    "postgres": self.settings.postgres_port,
                    "temporal": self.settings.temporal_port,
                    "ui": self.settings.ui_port,
                },
            }
        )
        self.layout.record(recorded)

    # -- lifecycle ---------------------------------------------------------------
    def up(self) -> None:
        started = time.monotonic()
        self._leave_mutant_data()
        self.layout.create()
        self.postgres.check_data_major()
        self.binaries()
        for service in START_ORDER:
            self.start(service)
        self._record()
        self.say(f"✓ native stack up in {format_elapsed(time.monotonic() - started)}")

    def start(self, service: Service) -> None:
        self.layout.create()
        step_started = time.monotonic()
        if self._process(service).running():
            self._wait_healthy(service)
            return
        self._check_ports(service)
        password = self.layout.ensure_password()
        if service is Service.POSTGRES:
            run_as = self._run_as()
            if self.ephemeral_postgres is not None:
                self.postgres.data_dir_override = self.ephemeral_postgres.fresh()
            if self.postgres.initialise(password, run_as):
                self.say(f"  initialised PostgreSQL {self.settings.postgres_major} data")
            self.postgres.start(password, run_as)
            self._ensure_databases(password)
        elif service is Service.TEMPORAL:
            # Only a deployment that never came up has its existing schema migrated here.
            first_time = "temporal_version" not in self.layout.recorded()
            expected = self.binaries().schema
            for change in self.temporal.ensure_schema(password, expected, first_time):
                self.say(f"  schema {change}")
            self.temporal.start(password)
        else:
            self.ui.start()
        self.say(f"  {service.value} up ({format_elapsed(time.monotonic() - step_started)})")

    def _wait_healthy(self, service: Service) -> None:
        password = self._password()
        if service is Service.POSTGRES:
            self.postgres.wait_ready(password, 30.0)
        elif service is Service.TEMPORAL:
            self.temporal.wait_ready(30.0)
        else:
            self.ui.start(timeout=30.0)

    def _ensure_databases(self, password: Secret) -> None:
        """The workload's application database, separate from Temporal's own."""
        with connect(self.endpoints(), "postgres", password) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (APP_DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{APP_DATABASE}"')

    def stop(self, service: Service) -> None:
        {
            Service.POSTGRES: self.postgres.stop,
            Service.TEMPORAL: self.temporal.stop,
            Service.UI: self.ui.stop,
        }[service]()

    def kill(self, service: Service) -> None:
        self._process(service).kill()

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

    def known_secrets(self) -> list[Secret]:
        return [self.layout.password()] if self.layout.has_password() else []

    # -- observation -------------------------------------------------------------
    def status(self, service: Service) -> ServiceStatus:
        process = self._process(service)
        pid = process.pid()
        if pid is None:
            return ServiceStatus(service, running=False, healthy=False, detail="not running")
        try:
            if service is Service.POSTGRES:
                healthy = self.postgres.ping(self._password())
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
        config["temporal_server_config"] = render_config(
            self.settings.host,
            self.ports,
            self.settings.postgres_port,
            self.settings.postgres_user,
            None,
            self.layout.dynamic_config,
        )
        config["ports"] = {
            "postgres": self.settings.postgres_port,
            **self.ports.all(),
            "ui": self.settings.ui_port,
        }
        config["state_dir"] = str(self.layout.root)
        config["password_file"] = f"{self.layout.password_file} (mode 0600, not shown)"
        return config
