"""temporal-server as a native process: rendered config, schema via temporal-sql-tool."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import yaml

from temporal_acceptance.clients.endpoints import (
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    DataStore,
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
from temporal_acceptance.core.secrets import REDACTED, Secret
from temporal_acceptance.core.versions import parse_temporal_version, schema_version_key
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.provision.binaries import Binaries, ReleaseSchema
from temporal_acceptance.stack.native.layout import Layout, write_private
from temporal_acceptance.stack.native.process import ManagedProcess, ServiceExited
from temporal_acceptance.stack.release import (
    SCHEMA_NAMES,
    SchemaUpdate,
    find_schema_mismatch,
    schema_refusal,
    sql_tool_commands,
)

# History shards are fixed when the cluster is first created; 4 suits one small node.
HISTORY_SHARDS = 4
SCHEMA_PLUGIN = "postgres12"


@dataclass(frozen=True)
class TemporalPorts:
    """gRPC/membership/HTTP ports of the four roles, derived from the frontend port so two
    stacks can run side by side by moving one number (defaults match upstream's)."""

    frontend: int

    @property
    def frontend_http(self) -> int:
        return self.frontend + 10

    @property
    def history(self) -> int:
        return self.frontend + 1

    @property
    def matching(self) -> int:
        return self.frontend + 2

    @property
    def worker(self) -> int:
        return self.frontend + 6

    def membership(self, grpc_port: int) -> int:
        return grpc_port - 300

    def all(self) -> dict[str, int]:
        ports = {
            "frontend": self.frontend,
            "frontend-http": self.frontend_http,
            "history": self.history,
            "matching": self.matching,
            "worker": self.worker,
        }
        for role in ("frontend", "history", "matching", "worker"):
            ports[f"{role}-membership"] = self.membership(ports[role])
        return ports


def _datastore(database: str, host: str, port: int, user: str, password: str, conns: int) -> Any:
    return {
        "sql": {
            "pluginName": SCHEMA_PLUGIN,
            "databaseName": database,
            "connectAddr": f"{host}:{port}",
            "connectProtocol": "tcp",
            "user": user,
            "password": password,
            "maxConns": conns,
            "maxIdleConns": conns,
            "maxConnLifetime": "1h",
        }
    }


def render_config(
    host: str,
    ports: TemporalPorts,
    pg_port: int,
    pg_user: str,
    password: Secret | None,
    dynamic_config: Path,
) -> dict[str, Any]:
    """The server configuration; with password=None the result is safe to show."""
    pw = password.reveal() if password else REDACTED

    def service(grpc: int, http: int | None = None) -> dict[str, Any]:
        rpc: dict[str, Any] = {
            "grpcPort": grpc,
            "membershipPort": ports.membership(grpc),
            "bindOnIP": host,
        }
        if http is not None:
            rpc["httpPort"] = http
        return {"rpc": rpc}

    return {
        "log": {"stdout": True, "level": "info"},
        "persistence": {
            "defaultStore": "postgres-default",
            "visibilityStore": "postgres-visibility",
            "numHistoryShards": HISTORY_SHARDS,
            "datastores": {
                "postgres-default": _datastore(TEMPORAL_DATABASE, host, pg_port, pg_user, pw, 20),
                "postgres-visibility": _datastore(
                    VISIBILITY_DATABASE, host, pg_port, pg_user, pw, 5
                ),
            },
        },
        "global": {"membership": {"maxJoinDuration": "30s", "broadcastAddress": host}},
        "services": {
            "frontend": service(ports.frontend, ports.frontend_http),
            "history": service(ports.history),
            "matching": service(ports.matching),
            "worker": service(ports.worker),
        },
        "clusterMetadata": {
            "enableGlobalNamespace": False,
            "failoverVersionIncrement": 10,
            "masterClusterName": "active",
            "currentClusterName": "active",
            "clusterInformation": {
                "active": {
                    "enabled": True,
                    "initialFailoverVersion": 1,
                    "rpcName": "frontend",
                    "rpcAddress": f"{host}:{ports.frontend}",
                }
            },
        },
        "dcRedirectionPolicy": {"policy": "noop"},
        "dynamicConfigClient": {"filepath": str(dynamic_config), "pollInterval": "10s"},
    }


def datastores_from_config(config: dict[str, Any]) -> list[DataStore]:
    """The SQL datastores of a server config, as the server would connect to them."""
    stores = []
    for name, store in config["persistence"]["datastores"].items():
        sql = store["sql"]
        host, _, port = str(sql["connectAddr"]).rpartition(":")
        stores.append(DataStore(name, host, int(port), sql["databaseName"], sql["user"]))
    return stores


# Dynamic config: keep defaults except what makes a one-node test cluster honest and quick.
DYNAMIC_CONFIG: dict[str, Any] = {
    # Search attributes registered by a scenario are visible at once.
    "system.forceSearchAttributesCacheRefreshOnRead": [{"value": True}],
}


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

    @property
    def address(self) -> str:
        return f"{self.host}:{self.ports.frontend}"

    # -- schema ------------------------------------------------------------------
    def schema_state(self, password: Secret, database: str) -> str | None:
        """The database's schema version, or None if the database or schema is missing."""
        try:
            address = PostgresAddress(self.host, self.pg_port, self.pg_user, password)
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
        wanted = {TEMPORAL_DATABASE: expected.temporal, VISIBILITY_DATABASE: expected.visibility}
        for database, schema in SCHEMA_NAMES.items():
            current = self.schema_state(password, database)
            if current is not None and (
                not migrate_existing
                or schema_version_key(current) >= schema_version_key(wanted[database])
            ):
                continue
            if current is None:
                self._sql_tool(password, database, "create-database", quiet_exists=True)
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

    def _sql_tool(
        self, password: Secret, database: str, *command: str, quiet_exists: bool = False
    ) -> None:
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
            *command,
        ]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 and not (quiet_exists and "already exists" in output):
            last = output.splitlines()[-1] if output else "no output"
            raise UserError(
                f"temporal-sql-tool {command[0]} on {database} failed: {last}",
                "check PostgreSQL is reachable and the user may create databases",
            )

    # -- process -----------------------------------------------------------------
    def write_config(self, password: Secret) -> None:
        self.layout.dynamic_config.write_text(yaml.safe_dump(DYNAMIC_CONFIG, sort_keys=True))
        config = render_config(
            self.host, self.ports, self.pg_port, self.pg_user, password, self.layout.dynamic_config
        )
        write_private(self.layout.temporal_config, yaml.safe_dump(config, sort_keys=False))

    def start(self, password: Secret, timeout: float = 90.0) -> None:
        self.write_config(password)
        self.process.start(
            server_argv(self.binaries().temporal_server, self.release, self.layout.temporal_config),
            cwd=self.layout.temporal_dir,
        )
        try:
            self.wait_serving(timeout)
        except ServiceExited:
            mismatch = find_schema_mismatch(tail(self.process.log_file, 40))
            if mismatch is None:
                raise
            raise schema_refusal(self.release, mismatch, self.update_schema_commands()) from None
        self.ensure_namespace(timeout)

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
