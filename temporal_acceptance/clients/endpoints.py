"""How to reach a deployment: the frontend (and its TLS), the UI and PostgreSQL (the password
a Secret), and the databases Temporal and the test workload use."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from temporal_acceptance.core.secrets import Secret

TEMPORAL_DATABASE = "temporal"
VISIBILITY_DATABASE = "temporal_visibility"
APP_DATABASE = "acceptance_app"
# The test worker's own PostgreSQL role: it owns the application database and nothing else
# (never Temporal's role, never the admin).
APP_ROLE = "acceptance_app"
# How the suite's own PostgreSQL sessions name themselves (pg_stat_activity), so gates that
# count Temporal's connections can leave the suite's out.
APPLICATION_NAME = "temporal-acceptance"
# Every statement of a session opened with this runs in a read-only transaction unless it
# says otherwise: the external target's promise never to write to Temporal's databases.
READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"


@dataclass(frozen=True)
class FrontendTls:
    """TLS to the Temporal frontend: PEM files by path (the key never enters argv or logs,
    only its path), and the name the server's certificate must carry."""

    enabled: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""

    def argv(self) -> list[str]:
        """The same TLS for a worker or execution script started as its own process."""
        if not self.enabled:
            return []
        args = ["--tls"]
        for flag, value in (
            ("--tls-ca", self.ca_file),
            ("--tls-cert", self.cert_file),
            ("--tls-key", self.key_file),
            ("--tls-server-name", self.server_name),
        ):
            if value:
                args += [flag, value]
        return args

    def describe(self) -> str:
        if not self.enabled:
            return "plain (no TLS)"
        parts = [f"CA {self.ca_file}" if self.ca_file else "system CAs"]
        if self.cert_file:
            parts.append(f"client certificate {self.cert_file}")
        if self.server_name:
            parts.append(f"server name {self.server_name}")
        return "TLS, " + ", ".join(parts)


@dataclass(frozen=True)
class PostgresAddress:
    """Where and as whom to reach PostgreSQL. The password is a Secret and never prints."""

    host: str
    port: int
    user: str
    password: Secret
    # The CA that signed PostgreSQL's certificate: with it every connection verifies the
    # server's certificate (and, unless `sslmode` says otherwise, its host name).
    ca_file: str = ""
    # libpq's sslmode when the deployment names one (the external target: prefer unless
    # given); "" = the suite's own deployments: verify-full with a CA, else plain.
    sslmode: str = ""
    read_only: bool = False

    def conninfo(
        self,
        database: str,
        password: Secret | None = None,
        timeout: int = 5,
        tls: bool | None = None,
    ) -> str:
        """A libpq connection string (holds the password: never log it). `tls=False` asks
        for a plain connection (to prove a TLS-only server refuses it)."""
        return make_conninfo(
            host=self.host,
            port=str(self.port),
            user=self.user,
            password=(password or self.password).reveal(),
            dbname=database,
            connect_timeout=str(timeout),
            application_name=APPLICATION_NAME,
            **self._security(tls),
            options=READ_ONLY_OPTIONS if self.read_only else None,
        )

    def _security(self, tls: bool | None) -> dict[str, str]:
        root = {"sslrootcert": self.ca_file} if self.ca_file else {}
        if tls is False:
            return {"sslmode": "disable"}
        if self.sslmode:
            return {"sslmode": self.sslmode, **root}
        if self.ca_file or tls:
            return {"sslmode": "verify-full", **root}
        return {"sslmode": "disable"}


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
    postgres_ca_file: str = ""  # PostgreSQL's CA: set when TLS is required or verified
    # -- what only some targets set (the external one): the defaults are the suite's own
    frontend_tls: FrontendTls = field(default_factory=FrontendTls)
    postgres_sslmode: str = ""
    read_only: bool = False
    temporal_database: str = TEMPORAL_DATABASE
    visibility_database: str = VISIBILITY_DATABASE
    # The application database the test workflow writes to, when it is given as a DSN of
    # its own (the external target's TACC_APP_DSN; it holds its password).
    app_dsn: Secret | None = None
    app_database: str = APP_DATABASE

    @property
    def postgres(self) -> PostgresAddress:
        """Temporal's role: what the suite reads Temporal's databases as."""
        return PostgresAddress(
            self.postgres_host,
            self.postgres_port,
            self.postgres_user,
            self.postgres_password,
            self.postgres_ca_file,
            self.postgres_sslmode,
            self.read_only,
        )

    @property
    def app(self) -> PostgresAddress | None:
        if self.app_password is None:
            return None
        return replace(self.postgres, user=self.app_user, password=self.app_password)

    def address_for(self, database: str) -> PostgresAddress:
        """The role that owns `database`: the application role for the application
        database, Temporal's role for everything else."""
        if database == self.app_database and self.app is not None:
            return self.app
        return self.postgres

    @property
    def secrets(self) -> list[Secret]:
        """Every password these endpoints hold (the application DSN's too)."""
        found = [self.postgres_password]
        found += [self.app_password] if self.app_password else []
        if self.app_dsn is not None:
            found.append(self.app_dsn)
            dsn_password = conninfo_to_dict(self.app_dsn.reveal()).get("password")
            found += [Secret(str(dsn_password))] if dsn_password else []
        return found

    def conninfo(self, database: str, password: Secret | None = None, timeout: int = 5) -> str:
        """A libpq connection string for the suite's own reads (holds the password: never
        log it). The application database goes through its own DSN when one was given."""
        if self.app_dsn is not None and password is None and database == self.app_database:
            options = {"options": READ_ONLY_OPTIONS} if self.read_only else {}
            return make_conninfo(self.app_dsn.reveal(), **options)
        return self.address_for(database).conninfo(database, password, timeout)

    def worker_conninfo(self, database: str) -> str:
        """The DSN the test worker writes through: read-write (the application's database,
        never Temporal's), its database name switchable by `-D app_database=` to prove the
        database gate fails."""
        if self.app_dsn is None:
            return replace(self.address_for(database), read_only=False).conninfo(database)
        return make_conninfo(self.app_dsn.reveal(), dbname=database)

    def display_dsn(self, database: str) -> str:
        address = self.address_for(database)
        return f"postgresql://{address.user}:***@{address.host}:{address.port}/{database}"


def dsn_database(dsn: Secret) -> str:
    """The database a libpq DSN names (APP_DATABASE when it names none)."""
    return str(conninfo_to_dict(dsn.reveal()).get("dbname") or APP_DATABASE)


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
    # The CA the server verifies PostgreSQL with, when its configuration turns TLS on; how
    # the suite connects to it (the external target: read-only, PostgreSQL's sslmode).
    ca_file: str = ""
    sslmode: str = ""
    read_only: bool = False

    def describe(self) -> str:
        role = f" ({self.role} store)" if self.role else ""
        return f"{self.name}{role}: {self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def address(self) -> PostgresAddress | None:
        """How to connect exactly as the server does (None: the configuration has no
        password for it)."""
        if self.password is None:
            return None
        return PostgresAddress(
            self.host,
            self.port,
            self.user,
            self.password,
            self.ca_file,
            self.sslmode,
            self.read_only,
        )
