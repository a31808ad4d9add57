"""How PostgreSQL is set up, as it says itself: which sessions are encrypted (pg_stat_ssl),
where its live data directory is, its time zone; and whether it lets a plain client in."""

from __future__ import annotations

from dataclasses import dataclass

from temporal_acceptance.clients.endpoints import (
    APPLICATION_NAME,
    TEMPORAL_DATABASE,
    Endpoints,
    PostgresAddress,
)
from temporal_acceptance.clients.postgres import (
    ConnectionOutcome,
    QueryLog,
    connect,
    query,
    try_connect,
)


@dataclass(frozen=True)
class SessionTls:
    pid: int
    database: str
    user: str
    ssl: bool
    version: str


def read_session_tls(endpoints: Endpoints, log: QueryLog) -> list[SessionTls]:
    """Every client session but the suite's own, with its encryption."""
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        result = query(
            conn,
            "select a.pid, coalesce(a.datname, '-'), coalesce(a.usename, '-'), s.ssl, "
            "coalesce(s.version, '') from pg_stat_activity a join pg_stat_ssl s using (pid) "
            "where a.backend_type = 'client backend' and a.application_name <> %s "
            "order by a.datname, a.pid",
            (APPLICATION_NAME,),
            log,
        )
    return [SessionTls(int(p), str(d), str(u), bool(s), str(v)) for p, d, u, s, v in result.rows]


def plain_connection(endpoints: Endpoints) -> ConnectionOutcome:
    """A client that does not use TLS, with the right password."""
    return try_connect(endpoints, TEMPORAL_DATABASE, tls=False)


def read_setting(
    target: Endpoints | PostgresAddress,
    name: str,
    log: QueryLog,
    database: str = TEMPORAL_DATABASE,
) -> str:
    """A server setting as `target` may read it (superuser-only ones need the admin)."""
    with connect(target, database) as conn:
        result = query(conn, "select setting from pg_settings where name = %s", (name,), log)
    return str(result.rows[0][0]) if result.rows else ""
