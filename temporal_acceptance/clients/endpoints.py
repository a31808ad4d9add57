"""How to reach a deployment: the frontend, the UI and PostgreSQL (the password a Secret),
and the databases Temporal and the test workload use."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.conninfo import make_conninfo

from temporal_acceptance.core.secrets import Secret

TEMPORAL_DATABASE = "temporal"
VISIBILITY_DATABASE = "temporal_visibility"
APP_DATABASE = "acceptance_app"
# The test worker's own PostgreSQL role: it owns the application database and nothing else
# (never Temporal's role, never the admin).
APP_ROLE = "acceptance_app"


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
    # The application database's own role (the test worker's); None: a deployment without
    # one, where the application database is reached as Temporal's role.
    app_user: str = APP_ROLE
    app_password: Secret | None = None

    @property
    def postgres(self) -> PostgresAddress:
        """Temporal's role: what the suite reads Temporal's databases as."""
        return PostgresAddress(
            self.postgres_host, self.postgres_port, self.postgres_user, self.postgres_password
        )

    @property
    def app(self) -> PostgresAddress | None:
        if self.app_password is None:
            return None
        return PostgresAddress(
            self.postgres_host, self.postgres_port, self.app_user, self.app_password
        )

    def address_for(self, database: str) -> PostgresAddress:
        """The role that owns `database`: the application role for the application
        database, Temporal's role for everything else."""
        if database == APP_DATABASE and self.app is not None:
            return self.app
        return self.postgres

    def conninfo(self, database: str, password: Secret | None = None) -> str:
        """A libpq connection string (holds the password: never log it)."""
        return self.address_for(database).conninfo(database, password)

    def display_dsn(self, database: str) -> str:
        address = self.address_for(database)
        return f"postgresql://{address.user}:***@{address.host}:{address.port}/{database}"


@dataclass(frozen=True)
class DataStore:
    """A database connection the Temporal server is configured with, read from the
    configuration the server runs with: its password too (a Secret: it never prints)."""

    name: str
    host: str
    port: int
    database: str
    user: str
    # "default" or "visibility": which of Temporal's stores the configuration uses it for
    # ("" when the configuration does not say).
    role: str = ""
    password: Secret | None = None

    def describe(self) -> str:
        role = f" ({self.role} store)" if self.role else ""
        return f"{self.name}{role}: {self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def address(self) -> PostgresAddress | None:
        """How to connect exactly as the server does (None: the configuration has no
        password for it)."""
        if self.password is None:
            return None
        return PostgresAddress(self.host, self.port, self.user, self.password)
