"""temporal-server as a native process: rendered config, schema via temporal-sql-tool."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import yaml

from temporal_acceptance.clients.endpoints import (
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    PostgresAddress,
)
from temporal_acceptance.clients.postgres import connect as connect_postgres
from temporal_acceptance.clients.temporal import (
    connect,
    frontend_ready,
    frontend_serving,
    namespace_usable,
    register_namespace,
    run_sync,
)
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import tail
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.versions import parse_temporal_version, schema_version_key
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.provision.binaries import Binaries, ReleaseSchema
from temporal_acceptance.stack.native.layout import Layout, write_private
from temporal_acceptance.stack.native.process import ManagedProcess, ServiceExited
from temporal_acceptance.stack.native.server_config import (
    DYNAMIC_CONFIG,
    HISTORY_SHARDS,
    SCHEMA_PLUGIN,
    SqlTls,
    TemporalPorts,
    datastores_from_config,
    render_config,
)
from temporal_acceptance.stack.release import (
    SCHEMA_NAMES,
    SchemaUpdate,
    find_schema_mismatch,
    schema_refusal,
    sql_tool_commands,
)

__all__ = ["NativeTemporal", "TemporalPorts", "datastores_from_config", "render_config"]


def server_argv(binary: Path, release: str, config_file: Path) -> list[str]:
    """How a release takes its configuration file: `--config-file` from 1.30 on; before,
    a directory and an environment name (it reads <dir>/<env>.yaml) — 1.29 refuses the
    newer flag ("flag provided but not defined: -config-file")."""
    version = parse_temporal_version(release) if release else None
    if version is not None and (version.major, version.minor) < (1, 30):
        where = ["--root", str(config_file.parent), "--config", ".", "--env", config_file.stem]
    else:
        where = ["--config-file", str(config_file)]
    return [str(binary), *where, "--allow-no-auth", "start"]


class NativeTemporal:
    def __init__(
        self,
        binaries: Callable[[], Binaries],
        layout: Layout,
        host: str,
        ports: TemporalPorts,
        pg_port: int,
        pg_user: str,
        namespace: str,
    ) -> None:
        self.binaries = binaries  # provisioned lazily: stop/status never need them
        self.layout = layout
        self.host = host
        self.ports = ports
        self.pg_port = pg_port
        self.pg_user = pg_user
        self.namespace = namespace
        self.release = ""  # the Temporal release being run (for messages); set by the stack
        self.process = ManagedProcess("temporal", layout.pid("temporal"), layout.log("temporal"))
        # What the server config asks for; mutants (stack/mutants.py, stack/native/seeded.py,
        # stack/native/defects.py) change these.
        self.history_shards = HISTORY_SHARDS
        self.tls: SqlTls | None = None
        self.dynamic_extra: dict[str, Any] = {}
        self.topology_dynamic: dict[str, Any] = {}  # what the topology adds (multirole)
        self.visibility_database = VISIBILITY_DATABASE
        self.frontend_bind: str | None = None
        self.configure: Callable[[dict[str, Any]], dict[str, Any]] = lambda config: config

    @property
    def address(self) -> str:
        return f"{self.host}:{self.ports.frontend}"

    # -- schema ------------------------------------------------------------------
    def schema_state(self, password: Secret, database: str) -> str | None:
        """The database's schema version, or None if the database or schema is missing."""
        try:
            ca = str(self.tls.ca_file) if self.tls else ""
            address = PostgresAddress(self.host, self.pg_port, self.pg_user, password, ca)
            with connect_postgres(address, database) as conn:
                row = conn.execute(
                    "select curr_version from schema_version where db_name = %s", (database,)
                ).fetchone()
        except (psycopg.errors.UndefinedTable, psycopg.OperationalError) as exc:
            if isinstance(exc, psycopg.OperationalError) and "does not exist" not in str(exc):
                raise
            return None
        return str(row[0]) if row else None

    def ensure_schema(
        self, password: Secret, expected: ReleaseSchema, migrate_existing: bool = True
    ) -> list[str]:
        """Create both databases' schemas with temporal-sql-tool; return what it did. An
        existing, older schema is migrated only with `migrate_existing` (a deployment that
        never came up); a running deployment's schema changes only through update_schema,
        so a newer server started on it meets the server's own compatibility check."""
        done: list[str] = []
        # (the visibility-wrong-database mutant's store is set up like the real one)
        visibility = dict.fromkeys((VISIBILITY_DATABASE, self.visibility_database), "visibility")
        wanted = {TEMPORAL_DATABASE: expected.temporal}
        wanted.update(dict.fromkeys(visibility, expected.visibility))
        names = {TEMPORAL_DATABASE: SCHEMA_NAMES[TEMPORAL_DATABASE]}
        names.update(dict.fromkeys(visibility, SCHEMA_NAMES[VISIBILITY_DATABASE]))
        for database, schema in names.items():
            current = self.schema_state(password, database)
            if current is not None and (
                not migrate_existing
                or schema_version_key(current) >= schema_version_key(wanted[database])
            ):
                continue
            if current is None:
                # The admin created the database (owned by Temporal's role): Temporal's role
                # sets its schema up and cannot create databases (stack/native/roles.py).
                self._sql_tool(password, database, "setup-schema", "-v", "0.0")
            self._sql_tool(password, database, "update-schema", "--schema-name", schema)
            done.append(f"{database}: {current or 'new'} → {wanted[database]}")
        return done

    def update_schema(self, password: Secret) -> list[SchemaUpdate]:
        """Both databases brought to this release's schema with its own temporal-sql-tool
        (update-schema), each timed; the server must be stopped."""
        updates = []
        for database, schema in SCHEMA_NAMES.items():
            before = self.schema_state(password, database) or "none"
            started = time.monotonic()
            self._sql_tool(password, database, "update-schema", "--schema-name", schema)
            seconds = round(time.monotonic() - started, 2)
            after = self.schema_state(password, database) or "none"
            updates.append(SchemaUpdate(database, before, after, seconds))
        return updates

    def update_schema_commands(self) -> list[str]:
        """The update-schema commands a user runs for this release, by hand."""
        return sql_tool_commands(
            str(self.binaries().sql_tool), self.host, self.pg_port, self.pg_user
        )

    def _sql_tool(self, password: Secret, database: str, *command: str) -> None:
        env = {**os.environ, "SQL_PASSWORD": password.reveal()}
        argv = [
            str(self.binaries().sql_tool),
            "--plugin",
            SCHEMA_PLUGIN,
            "--ep",
            self.host,
            "--port",
            str(self.pg_port),
            "--user",
            self.pg_user,
            "--db",
            database,
            *(["--tls", "--tls-ca-file", str(self.tls.ca_file)] if self.tls else []),
            *command,
        ]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0:
            last = output.splitlines()[-1] if output else "no output"
            raise UserError(
                f"temporal-sql-tool {command[0]} on {database} failed: {last}",
                f"check PostgreSQL is reachable and {self.pg_user!r} owns {database}",
            )

    # -- process -----------------------------------------------------------------
    def render(self, password: Secret | None) -> dict[str, Any]:
        """The server configuration this process runs with (password=None: safe to show)."""
        return render_config(
            self.host,
            self.ports,
            self.pg_port,
            self.pg_user,
            password,
            self.layout.dynamic_config,
            self.history_shards,
            self.tls,
            self.visibility_database,
            self.frontend_bind,
        )

    def write_config(self, password: Secret) -> None:
        dynamic = {**DYNAMIC_CONFIG, **self.topology_dynamic, **self.dynamic_extra}
        self.layout.dynamic_config.write_text(yaml.safe_dump(dynamic, sort_keys=True))
        config = self.configure(self.render(password))
        write_private(self.layout.temporal_config, yaml.safe_dump(config, sort_keys=False))

    def start(self, password: Secret, timeout: float = 90.0) -> None:
        self.launch(password)
        try:
            self.wait_serving(timeout)
        except ServiceExited:
            mismatch = find_schema_mismatch(tail(self.process.log_file, 40))
            if mismatch is None:
                raise
            raise schema_refusal(self.release, mismatch, self.update_schema_commands()) from None
        self.ensure_namespace(timeout)

    def launch(self, password: Secret) -> None:
        """The server process, not waited for."""
        self.write_config(password)
        self.process.start(
            server_argv(self.binaries().temporal_server, self.release, self.layout.temporal_config),
            cwd=self.layout.temporal_dir,
        )

    def serving(self) -> bool:
        self.process.require_running()
        return run_sync(lambda: frontend_serving(self.address))

    def ready(self) -> tuple[bool, str]:
        """SERVING and serving the namespace (see checks.temporal.frontend_ready)."""
        self.process.require_running()
        return run_sync(lambda: frontend_ready(self.address, self.namespace))

    def wait_ready(self, timeout: float) -> None:
        wait_until(
            self.ready,
            what=f"the Temporal frontend on {self.address} to serve namespace {self.namespace!r}",
            timeout=timeout,
            accept=lambda seen: seen[0],
            describe=lambda seen: seen[1],
            fatal=(ServiceExited,),
            hint=self._log_hint,
        )

    def wait_serving(self, timeout: float) -> None:
        wait_until(
            self.serving,
            what=f"the Temporal frontend on {self.address} to report SERVING",
            timeout=timeout,
            fatal=(ServiceExited,),
            hint=self._log_hint,
        )

    def ensure_namespace(self, timeout: float) -> None:
        async def register_and_probe() -> bool:
            self.process.require_running()
            client = await connect(self.address, self.namespace)
            await register_namespace(client, self.namespace)
            return await namespace_usable(client, self.namespace)

        wait_until(
            lambda: run_sync(register_and_probe),
            what=f"namespace {self.namespace!r} to be registered and served",
            timeout=timeout,
            fatal=(ServiceExited,),
            hint=self._log_hint,
        )

    def _log_hint(self) -> str:
        return f"tail of {self.process.log_file}:\n{tail(self.process.log_file)}"

    def stop(self) -> None:
        self.process.stop(timeout=30.0)

    def kill(self) -> None:
        self.process.kill()
