"""What the compose deployment's Temporal server runs with, read from its container.

The server renders its configuration from environment variables (its embedded template), so
the container's environment *is* its configuration. The defaults below mirror that
template's, so an unset variable means what it means to the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from temporal_acceptance.clients.endpoints import DataStore
from temporal_acceptance.core.secrets import REDACTED, Secret
from temporal_acceptance.stack.compose.project import is_secret_name

POSTGRES_PLUGINS = ("postgres12", "postgres12_pgx")

# The variables of the server image the report shows (others are noise from the base image).
CONFIG_VARIABLES = (
    "DB",
    "DB_PORT",
    "DBNAME",
    "VISIBILITY_DBNAME",
    "POSTGRES_SEEDS",
    "POSTGRES_USER",
    "POSTGRES_PWD",
    "VISIBILITY_POSTGRES_SEEDS",
    "VISIBILITY_DB_PORT",
    "VISIBILITY_POSTGRES_USER",
    "VISIBILITY_POSTGRES_PWD",
    "BIND_ON_IP",
    "TEMPORAL_BROADCAST_ADDRESS",
    "DYNAMIC_CONFIG_FILE_PATH",
    "NUM_HISTORY_SHARDS",
    "LOG_LEVEL",
    "TEMPORAL_ALLOW_NO_AUTH",
    "SQL_TLS_ENABLED",
)


@dataclass(frozen=True)
class ServerDataStore:
    """A datastore as the server addresses it inside the compose network."""

    name: str
    host: str
    port: int
    database: str
    user: str
    role: str = ""  # "default" or "visibility"
    password: Secret | None = None  # what the server's environment gives it

    def as_datastore(self, reachable: tuple[str, int] | None) -> DataStore:
        """The same database as the suite reaches it: through the port the host publishes
        for the container the server's host name resolves to; unchanged when there is none
        (then a connection fails and says so)."""
        inside = f"{self.host}:{self.port}"
        if reachable is None:
            return DataStore(
                f"{self.name} (server uses {inside}; not published to this host)",
                self.host,
                self.port,
                self.database,
                self.user,
                self.role,
                self.password,
            )
        host, port = reachable
        return DataStore(
            f"{self.name} (server uses {inside})",
            host,
            port,
            self.database,
            self.user,
            self.role,
            self.password,
        )


def _port(raw: str | None, fallback: int) -> int:
    return int(raw) if raw and raw.strip().isdigit() else fallback


def datastores_from_env(env: Mapping[str, str]) -> list[ServerDataStore]:
    """The SQL datastores the server's embedded template builds from `env` (PostgreSQL only;
    any other DB yields none)."""
    if (env.get("DB") or "cassandra").lower() not in POSTGRES_PLUGINS:
        return []
    seeds = env.get("POSTGRES_SEEDS") or ""
    port = _port(env.get("DB_PORT"), 5432)
    user = env.get("POSTGRES_USER") or ""
    password = env.get("POSTGRES_PWD") or ""
    visibility_password = env.get("VISIBILITY_POSTGRES_PWD") or password
    return [
        ServerDataStore(
            "default",
            seeds,
            port,
            env.get("DBNAME") or "temporal",
            user,
            "default",
            Secret(password) if password else None,
        ),
        ServerDataStore(
            "visibility",
            env.get("VISIBILITY_POSTGRES_SEEDS") or seeds,
            _port(env.get("VISIBILITY_DB_PORT"), port),
            env.get("VISIBILITY_DBNAME") or "temporal_visibility",
            env.get("VISIBILITY_POSTGRES_USER") or user,
            "visibility",
            Secret(visibility_password) if visibility_password else None,
        ),
    ]


def server_config_view(env: Mapping[str, str]) -> dict[str, str]:
    """The configuration variables the server container runs with, secrets redacted."""
    return {
        key: (REDACTED if is_secret_name(key) and env[key] else env[key])
        for key in CONFIG_VARIABLES
        if key in env
    }
