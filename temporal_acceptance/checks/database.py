"""Checks made directly on PostgreSQL: connections, schema, Temporal's own tables.

Every query here is recorded (SQL + result) by the caller for the report, so keep them
plain and readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from temporal_acceptance.secrets import Secret, redact
from temporal_acceptance.stack.base import Endpoints

# Temporal's own notion of a live host: a membership heartbeat within the last 20 seconds
# (healthyHostLastHeartbeatCutoff in the server's ringpop monitor).
LIVE_HEARTBEAT_SECONDS = 20

# Role numbers in cluster_membership (persistence.ServiceType in the server).
ROLES = {1: "frontend", 2: "history", 3: "matching", 4: "worker", 5: "internal-frontend"}


@dataclass
class QueryResult:
    """One query and its answer, as the report shows them."""

    sql: str
    params: Sequence[Any]
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def table(self) -> str:
        widths = [len(c) for c in self.columns]
        cells = [[str(v) for v in row] for row in self.rows]
        for row in cells:
            widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
        line = " | ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        rule = "-+-".join("-" * w for w in widths)
        body = [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join([line, rule, *body, f"({len(self.rows)} rows)"])

    def render(self) -> str:
        params = f"\n-- params: {list(self.params)!r}" if self.params else ""
        return f"{self.sql.strip()};{params}\n\n{self.table()}"


@dataclass
class QueryLog:
    """Collects the queries a check made, for attaching to the scenario."""

    entries: list[QueryResult] = field(default_factory=list)

    def add(self, result: QueryResult) -> QueryResult:
        self.entries.append(result)
        return result


def query(
    conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] = (), log: QueryLog | None = None
) -> QueryResult:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        columns = [d.name for d in cur.description or []]
        rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
    result = QueryResult(sql, params, columns, rows)
    if log is not None:
        log.add(result)
    return result


def connect(endpoints: Endpoints, database: str, password: Secret | None = None) -> Any:
    return psycopg.connect(endpoints.conninfo(database, password), autocommit=True)


@dataclass(frozen=True)
class ConnectionOutcome:
    ok: bool
    server_version: str = ""
    error: str = ""


def try_connect(
    endpoints: Endpoints, database: str, password: Secret | None = None
) -> ConnectionOutcome:
    """Connect and report the server version, or the error PostgreSQL gave (redacted)."""
    try:
        with connect(endpoints, database, password) as conn:
            version = conn.execute("show server_version").fetchone()
    except psycopg.Error as exc:
        secrets = [endpoints.postgres_password] + ([password] if password else [])
        return ConnectionOutcome(False, error=redact(str(exc).strip(), secrets))
    return ConnectionOutcome(True, server_version=str(version[0]) if version else "")


def databases(conn: psycopg.Connection[Any], log: QueryLog | None = None) -> set[str]:
    result = query(
        conn, "select datname from pg_database where not datistemplate order by 1", (), log
    )
    return {row[0] for row in result.rows}


def schema_version(
    conn: psycopg.Connection[Any], database: str, log: QueryLog | None = None
) -> str | None:
    result = query(
        conn,
        "select db_name, curr_version, min_compatible_version "
        "from schema_version where db_name = %s",
        (database,),
        log,
    )
    return str(result.rows[0][1]) if result.rows else None


def tables(conn: psycopg.Connection[Any], log: QueryLog | None = None) -> set[str]:
    result = query(
        conn,
        "select table_name from information_schema.tables "
        "where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
        (),
        log,
    )
    return {row[0] for row in result.rows}


def live_roles(conn: psycopg.Connection[Any], log: QueryLog | None = None) -> dict[str, int]:
    """Roles with a membership heartbeat inside Temporal's liveness cutoff → host count."""
    result = query(
        conn,
        "select role, count(*) as hosts, max(last_heartbeat) as last_heartbeat "
        "from cluster_membership "
        "where last_heartbeat > (now() at time zone 'utc') - make_interval(secs => %s) "
        "group by role order by role",
        (LIVE_HEARTBEAT_SECONDS,),
        log,
    )
    return {ROLES.get(int(role), f"role-{role}"): int(hosts) for role, hosts, _ in result.rows}
