"""What Temporal's PostgreSQL role may do, seen from a session of that role: its role
attributes, whether ALTER SYSTEM is refused, which databases it may connect to, and what
happens when it tries the application database.

The ALTER SYSTEM attempt resets a parameter nobody sets (`temporal_acceptance.probe`): a
role without the privilege is refused before anything is read; a superuser gets "unrecognized
configuration parameter" (or a no-op rewrite on PostgreSQL 15+): the server's configuration
is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import APP_DATABASE, TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect, query, try_connect

ALTER_SYSTEM_PROBE = "ALTER SYSTEM RESET temporal_acceptance.probe"
INSUFFICIENT_PRIVILEGE = "42501"
ROLE_SQL = (
    "select current_user, rolsuper, rolcreaterole, rolcreatedb "
    "from pg_roles where rolname = current_user"
)
CONNECTABLE_SQL = (
    "select datname from pg_database where not datistemplate and datallowconn "
    "and has_database_privilege(current_user, datname, 'CONNECT') order by 1"
)


@dataclass(frozen=True)
class PrivilegeReading:
    role: str = ""
    superuser: bool = False
    create_role: bool = False
    create_db: bool = False
    # ALTER SYSTEM: PostgreSQL's SQLSTATE and message ("" and "accepted" when it ran)
    alter_system_state: str = ""
    alter_system_answer: str = ""
    connectable: tuple[str, ...] = ()  # databases it has CONNECT on (templates aside)
    # connecting to the application database as Temporal's role: "" = it connected
    other_database: str = APP_DATABASE
    other_database_refusal: str = ""
    error: str = ""  # the reading itself failed
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        if self.error:
            return f"could not read the role's privileges: {self.error}"
        return "\n".join(
            [
                f"role {self.role}: superuser={self.superuser}, createrole={self.create_role}, "
                f"createdb={self.create_db}",
                f"may connect to: {', '.join(self.connectable) or '(none)'}",
                *self.notes,
            ]
        )


def read_privileges(endpoints: Endpoints, log: QueryLog) -> PrivilegeReading:
    """Temporal's role as it sees itself (endpoints.postgres is Temporal's login)."""
    try:
        conn: psycopg.Connection[Any]
        with connect(endpoints.postgres, TEMPORAL_DATABASE) as conn:
            row = query(conn, ROLE_SQL, (), log).rows[0]
            databases = tuple(str(r[0]) for r in query(conn, CONNECTABLE_SQL, (), log).rows)
            state, answer = _try_alter_system(conn)
    except psycopg.Error as exc:
        return PrivilegeReading(error=f"{type(exc).__name__}: {str(exc).strip()}")
    other = try_connect(endpoints.postgres, APP_DATABASE)
    return PrivilegeReading(
        role=str(row[0]),
        superuser=bool(row[1]),
        create_role=bool(row[2]),
        create_db=bool(row[3]),
        alter_system_state=state,
        alter_system_answer=answer,
        connectable=databases,
        other_database_refusal="" if other.ok else other.error,
        notes=[
            f"{ALTER_SYSTEM_PROBE} → {state or 'no error'}: {answer}",
            f"connect to {APP_DATABASE} as {row[0]} → "
            + ("connected" if other.ok else other.error),
        ],
    )


def _try_alter_system(conn: psycopg.Connection[Any]) -> tuple[str, str]:
    try:
        conn.execute(ALTER_SYSTEM_PROBE)
    except psycopg.Error as exc:
        return exc.sqlstate or "", str(exc).strip().splitlines()[0]
    return "", "accepted"
