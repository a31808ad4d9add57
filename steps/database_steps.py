"""Steps that look at PostgreSQL directly: credentials, schema, tables, server roles.

When a client connects to the "temporal" database with the configured credentials
Then the connection succeeds on the requested PostgreSQL major version
When a client connects to the "temporal" database with a wrong password
Then the connection is refused with a message containing "password authentication failed"
Then every datastore in the Temporal configuration reaches a database with Temporal's schema
Then these databases exist:
And each Temporal database is at the schema version this Temporal release expects
Then the "temporal" database has these tables:
And these Temporal server roles are up:
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from behave import then, when

from temporal_acceptance.checks import database as db
from temporal_acceptance.reporting.attach import attach_text
from temporal_acceptance.secrets import generate_password
from temporal_acceptance.stack.base import TEMPORAL_DATABASE, VISIBILITY_DATABASE


def _attach_queries(log: db.QueryLog, name: str) -> None:
    attach_text(name, "\n\n".join(entry.render() for entry in log.entries))


@when('a client connects to the "{database}" database with the configured credentials')
def step_connect_configured(context: Any, database: str) -> None:
    context.connection = db.try_connect(context.run.endpoints, database)
    attach_text(
        "connection", f"{context.run.endpoints.display_dsn(database)} → {context.connection}"
    )


@when('a client connects to the "{database}" database with a wrong password')
def step_connect_wrong_password(context: Any, database: str) -> None:
    context.connection = db.try_connect(context.run.endpoints, database, generate_password())
    attach_text("connection with a wrong password", f"{database} → {context.connection}")


@then("the connection succeeds on the requested PostgreSQL major version")
def step_connection_ok(context: Any) -> None:
    outcome = context.connection
    assert outcome.ok, f"PostgreSQL refused the configured credentials: {outcome.error}"
    major = int(outcome.server_version.split(".")[0])
    wanted = context.run.settings.postgres_major
    assert major == wanted, (
        f"server is PostgreSQL {outcome.server_version}, expected major {wanted}"
    )


@then('the connection is refused with a message containing "{text}"')
def step_connection_refused(context: Any, text: str) -> None:
    outcome = context.connection
    assert not outcome.ok, "PostgreSQL accepted a wrong password: authentication is not enforced"
    assert text in outcome.error, f"the refusal does not say {text!r}: {outcome.error!r}"


@then("every datastore in the Temporal configuration reaches a database with Temporal's schema")
def step_datastores_reach(context: Any) -> None:
    problems = []
    lines = []
    for store in context.run.stack.datastores():
        endpoints = replace(
            context.run.endpoints,
            postgres_host=store.host,
            postgres_port=store.port,
            postgres_user=store.user,
        )
        outcome = db.try_connect(endpoints, store.database)
        lines.append(f"{store.describe()} → {'ok' if outcome.ok else outcome.error}")
        if not outcome.ok:
            problems.append(f"{store.describe()}: {outcome.error}")
            continue
        with db.connect(endpoints, store.database) as conn:
            if db.schema_version(conn, store.database) is None:
                problems.append(f"{store.describe()}: no Temporal schema_version row")
    attach_text("Temporal datastores", "\n".join(lines))
    assert lines, "the Temporal configuration lists no datastores"
    assert not problems, "datastores that do not work:\n" + "\n".join(problems)


@then("these databases exist:")
def step_databases_exist(context: Any) -> None:
    log = db.QueryLog()
    with db.connect(context.run.endpoints, "postgres") as conn:
        present = db.databases(conn, log)
    _attach_queries(log, "databases")
    missing = sorted({row["database"] for row in context.table} - present)
    assert not missing, f"missing databases: {missing}; present: {sorted(present)}"


@then("each Temporal database is at the schema version this Temporal release expects")
def step_schema_versions(context: Any) -> None:
    expected = context.run.stack.expected_schema()
    wanted = {TEMPORAL_DATABASE: expected.temporal, VISIBILITY_DATABASE: expected.visibility}
    log = db.QueryLog()
    found = {}
    for database in wanted:
        with db.connect(context.run.endpoints, database) as conn:
            found[database] = db.schema_version(conn, database, log)
    _attach_queries(log, "schema versions")
    wrong = {d: (found[d], v) for d, v in wanted.items() if found[d] != v}
    assert not wrong, "schema versions (found, expected): " + ", ".join(
        f"{d}: {f!r} vs {e!r}" for d, (f, e) in wrong.items()
    )


@then('the "{database}" database has these tables:')
def step_tables_present(context: Any, database: str) -> None:
    log = db.QueryLog()
    with db.connect(context.run.endpoints, database) as conn:
        present = db.tables(conn, log)
    _attach_queries(log, f"tables of {database}")
    missing = sorted({row["table"] for row in context.table} - present)
    assert not missing, f"{database} lacks tables {missing} (has {len(present)} tables)"


@then("these Temporal server roles are up:")
def step_roles_up(context: Any) -> None:
    log = db.QueryLog()
    with db.connect(context.run.endpoints, TEMPORAL_DATABASE) as conn:
        live = db.live_roles(conn, log)
    _attach_queries(log, "cluster membership")
    missing = [row["role"] for row in context.table if live.get(row["role"], 0) < 1]
    assert not missing, (
        f"roles without a membership heartbeat in the last {db.LIVE_HEARTBEAT_SECONDS}s: "
        f"{missing}; live: {live}"
    )
