"""The native temporal-server's configuration: ports of each role, the datastores (pools,
TLS), the history shard count and the dynamic configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, VISIBILITY_DATABASE, DataStore
from temporal_acceptance.core.secrets import REDACTED, Secret
from temporal_acceptance.stack.facts import DEFAULT_BLOB_SIZE_LIMIT, TemporalFacts, pools_for

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


# Pool sizes per role process (each role opens its own pool to each datastore).
DEFAULT_STORE_CONNS = 20
VISIBILITY_STORE_CONNS = 5


@dataclass(frozen=True)
class SqlTls:
    """TLS to PostgreSQL with host verification (the postgres_tls profile)."""

    ca_file: Path
    server_name: str

    def config(self) -> dict[str, Any]:
        return {
            "enabled": True,
            "caFile": str(self.ca_file),
            "enableHostVerification": True,
            "serverName": self.server_name,
        }


def _datastore(
    database: str,
    host: str,
    port: int,
    user: str,
    password: str,
    conns: int,
    tls: SqlTls | None = None,
) -> Any:
    store: dict[str, Any] = {
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
    if tls is not None:
        store["sql"]["tls"] = tls.config()
    return store


def render_config(
    host: str,
    ports: TemporalPorts,
    pg_port: int,
    pg_user: str,
    password: Secret | None,
    dynamic_config: Path,
    history_shards: int = HISTORY_SHARDS,
    tls: SqlTls | None = None,
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
            "numHistoryShards": history_shards,
            "datastores": {
                "postgres-default": _datastore(
                    TEMPORAL_DATABASE, host, pg_port, pg_user, pw, DEFAULT_STORE_CONNS, tls
                ),
                "postgres-visibility": _datastore(
                    visibility_database, host, pg_port, pg_user, pw, VISIBILITY_STORE_CONNS, tls
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
        tls = sql.get("tls") or {}
        stores.append(
            DataStore(
                name,
                host,
                int(port) if port.isdigit() else 0,
                str(sql.get("databaseName", "")),
                str(sql.get("user", "")),
                roles.get(name, ""),
                Secret(password) if password and password != REDACTED else None,
                str(tls.get("caFile") or "") if tls.get("enabled") else "",
            )
        )
    return stores


# Dynamic config: keep defaults except what makes a one-node test cluster honest and quick.
DYNAMIC_CONFIG: dict[str, Any] = {
    # Search attributes registered by a scenario are visible at once.
    "system.forceSearchAttributesCacheRefreshOnRead": [{"value": True}],
}


def facts_from_config(
    config: Mapping[str, Any],
    dynamic: Mapping[str, Any],
    topology: Mapping[str, int],
    source: str,
) -> TemporalFacts:
    """What a rendered server configuration asks for: shards, each role's pools, the blob
    limit (dynamic config, else Temporal's default)."""
    persistence = config["persistence"]
    stores = {
        name: (
            str(store["sql"]["databaseName"]),
            str(store["sql"]["user"]),
            int(store["sql"].get("maxConns") or 0),
        )
        for name, store in persistence["datastores"].items()
        if "sql" in store
    }
    roles = {role: topology.get(role, 1) for role in config.get("services", {})}
    blob = dynamic.get("limit.blobSize.error") or [{"value": DEFAULT_BLOB_SIZE_LIMIT}]
    return TemporalFacts(
        topology=dict(topology),
        history_shards=int(persistence["numHistoryShards"]),
        pools=pools_for(roles, stores),
        blob_size_limit=int(blob[0]["value"]),
        source=source,
    )
