"""temporal-server as a native process: rendered config, schema via temporal-sql-tool."""

from __future__ import annotations

import os
import subprocess
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
from temporal_acceptance.core.versions import schema_version_key
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.provision.binaries import Binaries, ReleaseSchema
from temporal_acceptance.stack.native.layout import Layout, write_private
from temporal_acceptance.stack.native.process import ManagedProcess, ServiceExited

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
    visibility_database: str = VISIBILITY_DATABASE,
    frontend_bind: str | None = None,
) -> dict[str, Any]:
    """The server configuration; with password=None the result is safe to show.
    `visibility_database` and `frontend_bind` differ from the defaults only for mutants."""
    pw = password.reveal() if password else REDACTED

    def service(grpc: int, http: int | None = None, bind: str | None = None) -> dict[str, Any]:
        rpc: dict[str, Any] = {
            "grpcPort": grpc,
            "membershipPort": ports.membership(grpc),
            "bindOnIP": bind or host,
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
                    visibility_database, host, pg_port, pg_user, pw, 5
                ),
            },
        },
        "global": {"membership": {"maxJoinDuration": "30s", "broadcastAddress": host}},
        "services": {
            "frontend": service(ports.frontend, ports.frontend_http, frontend_bind),
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
    """The SQL datastores of a server config, as the server connects to them: with the
    password the configuration holds, and which store (default, visibility) each one is."""
    persistence = config.get("persistence") or {}
    roles = {
        persistence.get("defaultStore"): "default",
        persistence.get("visibilityStore"): "visibility",
    }
    stores = []
    for name, store in (persistence.get("datastores") or {}).items():
        sql = store.get("sql") or {}
        host, _, port = str(sql.get("connectAddr", "")).rpartition(":")
        password = str(sql.get("password") or "")
        stores.append(
            DataStore(
                name,
                host,
                int(port) if port.isdigit() else 0,
                str(sql.get("databaseName", "")),
                str(sql.get("user", "")),
                roles.get(name, ""),
                Secret(password) if password and password != REDACTED else None,
            )
        )
    return stores


# Dynamic config: keep defaults except what makes a one-node test cluster honest and quick.
DYNAMIC_CONFIG: dict[str, Any] = {
    # Search attributes registered by a scenario are visible at once.
    "system.forceSearchAttributesCacheRefreshOnRead": [{"value": True}],
}


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
        self.process = ManagedProcess("temporal", layout.pid("temporal"), layout.log("temporal"))
        # Only mutants change these (stack/native/seeded.py, stack/native/defects.py).
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

    def ensure_schema(self, password: Secret, expected: ReleaseSchema) -> list[str]:
        """Create and migrate both databases with temporal-sql-tool; return what it did."""
        done: list[str] = []
        # (the visibility-wrong-database mutant's store is set up like the real one)
        visibility = dict.fromkeys((VISIBILITY_DATABASE, self.visibility_database), "visibility")
        wanted = {TEMPORAL_DATABASE: expected.temporal}
        wanted.update(dict.fromkeys(visibility, expected.visibility))
        for database, schema in {TEMPORAL_DATABASE: "temporal", **visibility}.items():
            current = self.schema_state(password, database)
            if current is not None and schema_version_key(current) >= schema_version_key(
                wanted[database]
            ):
                continue
            if current is None:
                # The admin created the database (owned by Temporal's role): Temporal's role
                # sets its schema up and cannot create databases (stack/native/roles.py).
                self._sql_tool(password, database, "setup-schema", "-v", "0.0")
            self._sql_tool(
                password,
                database,
                "update-schema",
                "--schema-name",
                f"postgresql/v12/{schema}",
            )
            done.append(f"{database}: {current or 'new'} → {wanted[database]}")
        return done

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
    def write_config(self, password: Secret) -> None:
        self.layout.dynamic_config.write_text(yaml.safe_dump(DYNAMIC_CONFIG, sort_keys=True))
        config = render_config(
            self.host,
            self.ports,
            self.pg_port,
            self.pg_user,
            password,
            self.layout.dynamic_config,
            self.visibility_database,
            self.frontend_bind,
        )
        config = self.configure(config)
        write_private(self.layout.temporal_config, yaml.safe_dump(config, sort_keys=False))

    def start(self, password: Secret, timeout: float = 90.0) -> None:
        self.write_config(password)
        self.process.start(
            [
                str(self.binaries().temporal_server),
                "--config-file",
                str(self.layout.temporal_config),
                "--allow-no-auth",
                "start",
            ],
            cwd=self.layout.temporal_dir,
        )
        self.wait_serving(timeout)
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
