"""What PostgreSQL says about the deployment: its databases, Temporal's schema versions and
tables, extensions and functions, the membership heartbeats, the server's version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect, query
from temporal_acceptance.probes.versions import PostgresVersion, detect_postgres

# Temporal's own notion of a live host: a membership heartbeat within the last 20 seconds
# (healthyHostLastHeartbeatCutoff in the server's ringpop monitor).
LIVE_HEARTBEAT_SECONDS = 20
# Role numbers in cluster_membership (persistence.ServiceType in the server).
ROLES = {1: "frontend", 2: "history", 3: "matching", 4: "worker", 5: "internal-frontend"}


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


def live_postgres(endpoints: Endpoints, log: QueryLog) -> PostgresVersion:
    with connect(endpoints, endpoints.temporal_database) as conn:
        return detect_postgres(conn, f"{endpoints.postgres_host}:{endpoints.postgres_port}", log)


def installed_extensions(endpoints: Endpoints, database: str, log: QueryLog) -> set[str]:
    conn: psycopg.Connection[Any]
    with connect(endpoints, database) as conn:
        result = query(conn, "select extname, extversion from pg_extension order by 1", (), log)
    return {str(row[0]) for row in result.rows}


# -- what the deployment gates read (each query kept in `log`) -------------------------------


def read_databases(endpoints: Endpoints, log: QueryLog) -> set[str]:
    # pg_database is shared: any database shows every one (Temporal's role reaches only its own)
    with connect(endpoints, endpoints.temporal_database) as conn:
        return databases(conn, log)


def read_schema_versions(
    endpoints: Endpoints, names: Sequence[str], log: QueryLog
) -> dict[str, str | None]:
    """Each database's schema version as Temporal recorded it (None: no schema_version row)."""
    found: dict[str, str | None] = {}
    for database in names:
        with connect(endpoints, database) as conn:
            found[database] = schema_version(conn, database, log)
    return found


def read_tables(endpoints: Endpoints, database: str, log: QueryLog) -> set[str]:
    with connect(endpoints, database) as conn:
        return tables(conn, log)


def read_functions(endpoints: Endpoints, database: str, log: QueryLog) -> set[str]:
    """The functions of the public schema (Temporal's helpers in temporal_visibility)."""
    with connect(endpoints, database) as conn:
        result = query(
            conn,
            "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = 'public' order by 1",
            (),
            log,
        )
    return {str(row[0]) for row in result.rows}


def read_live_roles(endpoints: Endpoints, log: QueryLog) -> dict[str, int]:
    with connect(endpoints, endpoints.temporal_database) as conn:
        return live_roles(conn, log)
