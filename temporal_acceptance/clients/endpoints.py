"""How to reach a deployment: the frontend, the UI and PostgreSQL (the password a Secret),
and the databases Temporal and the test workload use."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.conninfo import make_conninfo

from temporal_acceptance.core.secrets import Secret

TEMPORAL_DATABASE = "temporal"
VISIBILITY_DATABASE = "temporal_visibility"
APP_DATABASE = "acceptance_app"


@dataclass(frozen=True)
class PostgresAddress:
    """Where and as whom to reach PostgreSQL. The password is a Secret and never prints."""

    host: str
    port: int
    user: str
    password: Secret

    def conninfo(self, database: str, password: Secret | None = None, timeout: int = 5) -> str:
        """A libpq connection string (holds the password: never log it)."""
        return make_conninfo(
            host=self.host,
            port=str(self.port),
            user=self.user,
            password=(password or self.password).reveal(),
            dbname=database,
            connect_timeout=str(timeout),
            application_name="temporal-acceptance",
        )


@dataclass(frozen=True)
class Endpoints:
    """How to reach the deployment. The password is a Secret and never prints."""

    temporal_address: str
    namespace: str
    ui_url: str
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: Secret

    @property
    def postgres(self) -> PostgresAddress:
        return PostgresAddress(
            self.postgres_host, self.postgres_port, self.postgres_user, self.postgres_password
        )

    def conninfo(self, database: str, password: Secret | None = None) -> str:
        """A libpq connection string (holds the password: never log it)."""
        return self.postgres.conninfo(database, password)

    def display_dsn(self, database: str) -> str:
        return (
            f"postgresql://{self.postgres_user}:***@{self.postgres_host}:"
            f"{self.postgres_port}/{database}"
        )


@dataclass(frozen=True)
class DataStore:
    """A database connection the Temporal server is configured with (no password)."""

    name: str
    host: str
    port: int
    database: str
    user: str

    def describe(self) -> str:
        return f"{self.name}: {self.user}@{self.host}:{self.port}/{self.database}"
