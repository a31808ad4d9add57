"""The external target: a Temporal + PostgreSQL deployment the suite did not create, judged
read-only.

It never stops, restarts or reconfigures anything: those operations raise the one line
saying so (the hooks turn it into a skip). Its PostgreSQL sessions run with
default_transaction_read_only = on; the suite's worker runs locally on a task queue of the
run's own. `up()` deploys nothing: it runs the preflight (stack/external/preflight.py),
reads the versions the live servers report and records their compatibility decision.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from temporal_acceptance.clients.endpoints import DataStore, Endpoints, dsn_database
from temporal_acceptance.clients.grpc_channels import use_tls
from temporal_acceptance.clients.postgres import connect as connect_postgres
from temporal_acceptance.clients.reach import Unreachable, resolve
from temporal_acceptance.clients.temporal import frontend_ready, run_sync, settings_tls
from temporal_acceptance.clients.ui_http import ui_health
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.core.errors import NotSupportedOnTarget, UserError
from temporal_acceptance.core.external_settings import (
    APP_DSN_ENV,
    PASSWORD_ENV,
    PASSWORD_FILE_ENV,
)
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import major_from_server_version, parse_temporal_version
from temporal_acceptance.stack.base import Service, ServiceStatus, Stack
from temporal_acceptance.stack.deploy import record
from temporal_acceptance.stack.external.logsources import LogSource
from temporal_acceptance.stack.external.preflight import PreflightReport, preflight
from temporal_acceptance.stack.external.serverconfig import read_server_datastores

POSTGRES_DEFAULT_PORT = 5432
NEVER_CHANGES = (
    "the external target never stops, restarts or reconfigures the deployment: run the "
    "gates that do against the native or compose target"
)


def read_password(env: Mapping[str, str]) -> Secret:
    """The PostgreSQL password, from TACC_POSTGRES_PASSWORD or the file named by
    TACC_POSTGRES_PASSWORD_FILE (never a flag: argv is world-readable in /proc)."""
    value, path = env.get(PASSWORD_ENV, ""), env.get(PASSWORD_FILE_ENV, "")
    if value and path:
        raise UserError(
            f"both {PASSWORD_ENV} and {PASSWORD_FILE_ENV} are set",
            "keep one of them",
        )
    if path:
        try:
            value = Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise UserError(
                f"{PASSWORD_FILE_ENV} {path!r} cannot be read: {exc.strerror}",
                "point it at a readable file holding the password",
            ) from None
    if not value:
        raise UserError(
            "the external target needs the PostgreSQL password",
            f"export {PASSWORD_ENV}, or {PASSWORD_FILE_ENV}=/path/to/a/file (never a flag)",
        )
    return Secret(value)


class LogSourceMissing(NotSupportedOnTarget):
    """No log source was given for a service: its log gate cannot judge anything."""

    def __init__(self, service: Service) -> None:
        env = f"TACC_{service.value.upper()}_LOG"
        super().__init__(
            f"reading the {service.value} log without a log source",
            "external",
            f"set {env}=/path/to/file or {env}='cmd:docker logs --timestamps NAME' "
            "(or kubectl logs --timestamps ...)",
        )


class ExternalStack(Stack):
    target = "external"
    supports_disruption = False

    def __init__(
        self, settings: Settings, say: Say = stderr_say, env: Mapping[str, str] | None = None
    ) -> None:
        self.env = os.environ if env is None else env
        # the suite's own gRPC clients (admin, membership) dial the frontend with its TLS too
        use_tls(settings.temporal_address, settings_tls(settings))
        port = (
            settings.postgres_port if "postgres_port" in settings.given else POSTGRES_DEFAULT_PORT
        )
        super().__init__(replace(settings, postgres_port=port))
        self.say = say
        self.password = read_password(self.env)
        dsn = self.env.get(APP_DSN_ENV, "")
        self.app_dsn = Secret(dsn) if dsn else None
        self.sources: dict[str, LogSource | None] = {
            service.value: LogSource(service.value, spec) if spec else None
            for service, spec in (
                (Service.TEMPORAL, self.settings.temporal_log),
                (Service.POSTGRES, self.settings.postgres_log),
                (Service.UI, self.settings.ui_log),
            )
        }
        self.report: PreflightReport | None = None

    # -- lifecycle: nothing is deployed, stopped or changed -----------------------------
    def up(self) -> None:
        """The preflight; then the live versions and their compatibility decision."""
        report = self.preflight()
        for line in report.lines:
            self.say(line.render())
        self.say(report.summary())
        if report.fatal:
            raise report.error()
        self._adopt_live_versions(report)

    def preflight(self) -> PreflightReport:
        self.report = preflight(self.endpoints(), self.sources, self.settings.temporal_config)
        return self.report

    def _adopt_live_versions(self, report: PreflightReport) -> None:
        """The versions the gates compare against: those the user declared
        (TACC_TEMPORAL_VERSION, TACC_POSTGRES_VERSION), else those the servers report."""
        given = self.settings.given
        changes: dict[str, Any] = {}
        if "temporal_version" not in given and report.temporal_version:
            try:
                changes["temporal_version"] = str(parse_temporal_version(report.temporal_version))
            except UserError:
                self.say(f"  the frontend reports version {report.temporal_version!r}: not X.Y.Z")
        if "postgres_version" not in given and report.postgres_version:
            try:
                changes["postgres_major"] = major_from_server_version(report.postgres_version)
            except ValueError:
                self.say(f"  PostgreSQL reports version {report.postgres_version!r}")
        self.settings = replace(self.settings, **changes)
        # Recorded as the deploy command would decide it; nothing is refused here: the
        # deployment exists already, and the decision is what the report shows of it.
        decision = decide(
            self.settings.temporal_version,
            self.settings.postgres_major,
            self.settings.force_version,
        )
        record(self.settings.state_dir, decision)
        self.say(f"  versions: {decision.message()}")

    def down(self, purge: bool = False) -> None:
        raise NotSupportedOnTarget("stopping the deployment (down)", self.target, NEVER_CHANGES)

    def stop(self, service: Service) -> None:
        raise NotSupportedOnTarget(f"stopping {service.value}", self.target, NEVER_CHANGES)

    def start(self, service: Service) -> None:
        raise NotSupportedOnTarget(f"starting {service.value}", self.target, NEVER_CHANGES)

    def kill(self, service: Service) -> None:
        raise NotSupportedOnTarget(f"killing {service.value}", self.target, NEVER_CHANGES)

    def restart(self, service: Service) -> None:
        raise NotSupportedOnTarget(f"restarting {service.value}", self.target, NEVER_CHANGES)

    # -- observation, from the outside ------------------------------------------------------
    def status(self, service: Service) -> ServiceStatus:
        """Seen from the suite's side: there is no process to look at, only answers."""
        endpoints = self.endpoints()
        try:
            if service is Service.POSTGRES:
                with connect_postgres(endpoints, endpoints.temporal_database) as conn:
                    conn.execute("select 1")
                ok, seen = True, f"accepts {endpoints.display_dsn(endpoints.temporal_database)}"
            elif service is Service.TEMPORAL:
                ok, seen = run_sync(
                    lambda: frontend_ready(
                        endpoints.temporal_address, endpoints.namespace, tls=endpoints.frontend_tls
                    )
                )
            else:
                answer = ui_health(endpoints.ui_url)
                ok, seen = answer == "OK", f"{endpoints.ui_url}/healthz → {answer}"
        except (psycopg.Error, RuntimeError, OSError) as exc:
            reason = redact(
                str(exc).strip().splitlines()[-1] if str(exc).strip() else "", self.known_secrets()
            )
            return ServiceStatus(
                service, False, False, f"not answering: {type(exc).__name__}: {reason}"
            )
        return ServiceStatus(service, running=ok, healthy=ok, detail=f"seen from outside: {seen}")

    def has_logs(self, service: Service) -> bool:
        return self.sources.get(service.value) is not None

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        source = self.sources.get(service.value)
        if source is None:
            raise LogSourceMissing(service)
        return source.read(since, until)

    def endpoints(self) -> Endpoints:
        settings = self.settings
        return Endpoints(
            temporal_address=settings.temporal_address,
            namespace=settings.namespace,
            ui_url=settings.ui_base_url,
            postgres_host=settings.postgres_host,
            postgres_port=settings.postgres_port,
            postgres_user=settings.postgres_user,
            postgres_password=self.password,
            frontend_tls=settings_tls(settings),
            postgres_sslmode=settings.postgres_sslmode or "prefer",
            postgres_ca_file=settings.postgres_sslrootcert,
            read_only=True,
            temporal_database=settings.temporal_database,
            visibility_database=settings.visibility_database,
            app_user=self._app_user(),
            app_dsn=self.app_dsn,
            app_database=dsn_database(self.app_dsn) if self.app_dsn else "",
        )

    def _app_user(self) -> str:
        """The application database's role: the user its DSN names."""
        if self.app_dsn is None:
            return ""
        return str(conninfo_to_dict(self.app_dsn.reveal()).get("user") or "")

    def datastores(self) -> list[DataStore]:
        """The datastores of the server configuration the user pointed at, each reached as
        the server reaches it — its user and the password the configuration holds — by the
        server's own address when that resolves here, else through the PostgreSQL endpoint
        the suite was given (both said in the description). A configuration without the
        password is read as the suite's role, and the description says that too. Sessions
        are read-only, with the suite's PostgreSQL TLS settings."""
        path = self.settings.temporal_config
        if not path:
            raise NotSupportedOnTarget(
                "reading the server's datastore configuration without it",
                self.target,
                "set TACC_TEMPORAL_CONFIG to the server's configuration file or its "
                "environment (KEY=VALUE lines, e.g. `docker exec <server> env`)",
            )
        return [self._reachable(store) for store in read_server_datastores(Path(path))]

    def _reachable(self, store: DataStore) -> DataStore:
        settings, notes = self.settings, [f"server uses {store.user}@{store.host}:{store.port}"]
        host, port = store.host, store.port
        try:
            resolve(store.host, store.port)
        except Unreachable:
            host, port = settings.postgres_host, settings.postgres_port
            notes.append(f"{store.host} does not resolve here: read through {host}:{port}")
        user, password = store.user, store.password
        if password is None:
            user, password = settings.postgres_user, self.password
            notes.append(f"the configuration holds no password: read as {user}")
        return replace(
            store,
            name=f"{store.name} ({'; '.join(notes)})",
            host=host,
            port=port,
            user=user,
            password=password,
            sslmode=settings.postgres_sslmode or "prefer",
            ca_file=settings.postgres_sslrootcert,
            read_only=True,
        )

    def secrets(self) -> dict[str, Secret]:
        """Every password the suite holds for this deployment, by what it is."""
        found = {"the PostgreSQL password (TACC_POSTGRES_PASSWORD)": self.password}
        if self.app_dsn is not None:
            dsn_password = conninfo_to_dict(self.app_dsn.reveal()).get("password")
            if dsn_password:
                found["the application database's password (TACC_APP_DSN)"] = Secret(
                    str(dsn_password)
                )
        if self.settings.temporal_config:
            try:
                stores = read_server_datastores(Path(self.settings.temporal_config))
            except (UserError, OSError):
                stores = []
            for store in stores:
                if store.password is not None:
                    found[f"the {store.role or store.name} datastore's password"] = store.password
        return found

    def known_secrets(self) -> list[Secret]:
        return [*self.secrets().values(), *([self.app_dsn] if self.app_dsn else [])]

    def effective_config(self) -> dict[str, Any]:
        config = super().effective_config()
        endpoints = self.endpoints()
        config["endpoints"] = {
            "temporal_frontend": endpoints.temporal_address,
            "frontend_tls": endpoints.frontend_tls.describe(),
            "namespace": endpoints.namespace,
            "ui": endpoints.ui_url,
            "postgres": f"{endpoints.postgres_host}:{endpoints.postgres_port}",
            "postgres_user": endpoints.postgres_user,
            "postgres_password": "***",
            "postgres_sslmode": self.settings.postgres_sslmode or "libpq default (prefer)",
            "databases": [endpoints.temporal_database, endpoints.visibility_database],
            "postgres_sessions": "read-only (default_transaction_read_only = on)",
            "application_database": (
                f"{endpoints.app_database} (TACC_APP_DSN, password not shown)"
                if endpoints.app_dsn
                else "not given"
            ),
        }
        config["log_sources"] = {
            name: source.describe() if source else "none (the log gate is skipped)"
            for name, source in self.sources.items()
        }
        config["server_configuration"] = self.settings.temporal_config or "not given"
        config["changes_the_deployment"] = "never (no stop, restart, kill or reconfiguration)"
        return config

    def versions(self) -> dict[str, str]:
        return {
            "temporal_server": self.settings.temporal_version,
            "ui_server": "not detected (external)",
            "postgres_major": str(self.settings.postgres_major),
        }
