"""Preflight lines for PostgreSQL: Temporal's two databases (read-only sessions) and the
application database the test workflow writes to."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import connect as connect_postgres
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.stack.external.lines import FATAL, FINDING, Line, Stop, reach, run_stages


def _session(conn: psycopg.Connection[Any]) -> list[str]:
    ssl = conn.execute(
        "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()"
    ).fetchone()
    tls = f"TLS {ssl[1]}" if ssl and ssl[0] else "no TLS"
    read_only = conn.execute("show default_transaction_read_only").fetchone()
    return [tls, f"read-only sessions: {read_only[0] if read_only else '?'}"]


def _pg_error(exc: psycopg.Error) -> Stop:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    lowered = text.lower()
    if "does not exist" in lowered and "database" in lowered:
        return Stop(text, "", FINDING)  # authenticated; the gates will say what is missing
    if "password" in lowered or "authentication" in lowered:
        return Stop(text, "check TACC_POSTGRES_USER and TACC_POSTGRES_PASSWORD(_FILE)")
    if "ssl" in lowered or "certificate" in lowered:
        return Stop(text, "check TACC_POSTGRES_SSLMODE and TACC_POSTGRES_SSLROOTCERT")
    if "options" in lowered:
        return Stop(
            text,
            "the suite sets default_transaction_read_only at connect time: "
            "point it at PostgreSQL itself, not a pooler that refuses startup options",
        )
    return Stop(text, "check TACC_POSTGRES_HOST and TACC_POSTGRES_PORT")


def postgres_line(endpoints: Endpoints) -> tuple[Line, str]:
    found: dict[str, str] = {}
    where = f"{endpoints.postgres_host}:{endpoints.postgres_port}"

    def stages(line: Line) -> None:
        host, port = endpoints.postgres_host, endpoints.postgres_port
        reach(line, host, port, "check TACC_POSTGRES_HOST and TACC_POSTGRES_PORT")
        missing = []
        for database in (endpoints.temporal_database, endpoints.visibility_database):
            try:
                with connect_postgres(endpoints, database) as conn:
                    if not found:
                        line.seen += _session(conn)
                        line.seen.append(f"authenticated as {endpoints.postgres_user}")
                        found["version"] = str(conn.info.parameter_status("server_version"))
            except psycopg.Error as exc:
                stop = _pg_error(exc)
                if stop.mark != FINDING:
                    raise redact_stop(stop, endpoints) from None
                missing.append(database)
                continue
            line.seen.append(f"{database} ✓")
        if found:
            line.seen.append(f"PostgreSQL {found['version']}")
        if missing:
            raise Stop(
                f"database(s) {', '.join(missing)} do not exist here: the gates will fail on it",
                "check TACC_TEMPORAL_DATABASE / TACC_VISIBILITY_DATABASE, or whether this is "
                "the PostgreSQL the server uses",
                FINDING,
            )

    return run_stages(Line("postgres", where), stages), found.get("version", "")


def redact_stop(stop: Stop, endpoints: Endpoints) -> Stop:
    stop.problem = redact(stop.problem, endpoints.secrets)
    return stop


def app_line(endpoints: Endpoints) -> Line:
    dsn = endpoints.app_dsn
    if dsn is None:
        return Line(
            "application database",
            "(not given)",
            mark=FATAL,
            problem="the test workflow's database activity needs a database it may write to",
            fix="set TACC_APP_DSN='host=... port=... dbname=... user=...' (never Temporal's "
            "own databases; its password stays in the environment)",
        )
    parts = conninfo_to_dict(dsn.reveal())
    host, port = str(parts.get("host") or "localhost"), int(parts.get("port") or 5432)
    database = endpoints.app_database
    where = f"{host}:{port}/{database}"

    def stages(line: Line) -> None:
        same_server = (host, port) == (endpoints.postgres_host, endpoints.postgres_port)
        if same_server and database in (endpoints.temporal_database, endpoints.visibility_database):
            raise Stop(
                f"{database} is one of Temporal's databases",
                "give the test workflow a database of its own in TACC_APP_DSN",
            )
        if not host.startswith("/"):
            reach(line, host, port, "check the host and port in TACC_APP_DSN")
        try:
            with connect_postgres(endpoints, database) as conn:
                user = conn.info.user
        except psycopg.Error as exc:
            stop = _pg_error(exc)
            stop.mark, stop.fix = FATAL, "check TACC_APP_DSN"
            raise redact_stop(stop, endpoints) from None
        line.seen.append(f"authenticated as {user}")

    return run_stages(Line("application database", where), stages)
