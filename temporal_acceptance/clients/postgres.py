"""Checks made directly on PostgreSQL: connections, schema, Temporal's own tables.

Every query here is recorded (SQL + result) by the caller for the report, so keep them
plain and readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import Endpoints, PostgresAddress
from temporal_acceptance.core.secrets import Secret, redact


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

    def render(self) -> str:
        return "\n\n".join(entry.render() for entry in self.entries) or "(no queries)"


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


def connect(
    target: Endpoints | PostgresAddress,
    database: str,
    password: Secret | None = None,
    timeout: int = 5,
    tls: bool | None = None,
) -> Any:
    """The suite's one way to open a PostgreSQL connection (autocommit; a context manager).
    With the deployment's CA known, TLS with host verification; `tls=False` forces plain.
    On the external target every session is read-only (Endpoints.read_only)."""
    if isinstance(target, Endpoints):
        if tls is None:  # the application database through its own DSN when one was given
            return psycopg.connect(target.conninfo(database, password, timeout), autocommit=True)
        target = target.address_for(database)
    return psycopg.connect(target.conninfo(database, password, timeout, tls), autocommit=True)


@dataclass(frozen=True)
class ConnectionOutcome:
    ok: bool
    server_version: str = ""
    error: str = ""


def try_connect(
    endpoints: Endpoints | PostgresAddress,
    database: str,
    password: Secret | None = None,
    tls: bool | None = None,
) -> ConnectionOutcome:
    """Connect and report the server version, or the error PostgreSQL gave (redacted)."""
    try:
        with connect(endpoints, database, password, tls=tls) as conn:
            version = conn.execute("show server_version").fetchone()
    except psycopg.Error as exc:
        known = endpoints.secrets if isinstance(endpoints, Endpoints) else [endpoints.password]
        secrets = known + ([password] if password else [])
        return ConnectionOutcome(False, error=redact(str(exc).strip(), secrets))
    return ConnectionOutcome(True, server_version=str(version[0]) if version else "")
