"""Steps that look at PostgreSQL directly: credentials, schema, tables, server roles.

When a client connects to Temporal's database with the configured credentials
Then the connection succeeds on the requested PostgreSQL major version
When a client connects to Temporal's database with a wrong password
Then the connection is refused because the password is wrong
When the datastores are read from the configuration Temporal runs with
Then its default store is Temporal's database at the schema version this release expects
And its visibility store is the visibility database at the schema version this release expects
When Temporal's database role is examined from a session of its own
Then it is not a superuser and cannot create roles or databases
And it is refused a change of the server's configuration
And it cannot reach any database but Temporal's own
Then Temporal's database and its visibility database exist
And each Temporal database is at the schema version this Temporal release expects
Then Temporal's database has every table this release needs
And the visibility database has every table this release needs
And these Temporal server roles are up:
"""

from __future__ import annotations

from typing import Any

from behave import then, when

from temporal_acceptance.checks import deployment as checks
from temporal_acceptance.checks import security
from temporal_acceptance.clients.postgres import QueryLog, try_connect
from temporal_acceptance.core.secrets import generate_password
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.probes import database as db
from temporal_acceptance.probes.datastores import read_datastores
from temporal_acceptance.probes.privileges import read_privileges


def _databases(context: Any) -> dict[str, str]:
    """The two databases by the words the features use (their names are settings)."""
    endpoints = context.run.endpoints
    return {
        "Temporal's database": endpoints.temporal_database,
        "the visibility database": endpoints.visibility_database,
    }


@when("a client connects to Temporal's database with the configured credentials")
def step_connect_configured(context: Any) -> None:
    endpoints = context.run.endpoints
    context.connection = try_connect(endpoints, endpoints.temporal_database)


@when("a client connects to Temporal's database with a wrong password")
def step_connect_wrong_password(context: Any) -> None:
    endpoints = context.run.endpoints
    context.connection = try_connect(endpoints, endpoints.temporal_database, generate_password())


@then("the connection succeeds on the requested PostgreSQL major version")
def step_connection_ok(context: Any) -> None:
    problems = checks.connection_problems(context.connection, context.run.settings.postgres_major)
    dsn = context.run.endpoints.display_dsn(context.run.endpoints.temporal_database)
    expect("the configured credentials", problems, {"connection": f"{dsn} → {context.connection}"})


@then("the connection is refused because the password is wrong")
def step_connection_refused(context: Any) -> None:
    expect(
        "a wrong password",
        checks.refusal_problems(context.connection),
        {"connection with a wrong password": str(context.connection)},
    )


@when("the datastores are read from the configuration Temporal runs with")
def step_read_datastores(context: Any) -> None:
    context.datastores = read_datastores(context.run.stack)
    lines = "\n".join(r.line() for r in context.datastores)
    expect("Temporal's configuration", [], {"datastores Temporal runs with": lines})


@then("its {role} store is {database} at the schema version this release expects")
def step_datastore_is(context: Any, role: str, database: str) -> None:
    expected = context.run.stack.expected_schema()
    version = expected.temporal if role == "default" else expected.visibility
    problems = checks.datastore_problems(
        context.datastores, role, _databases(context)[database], version
    )
    expect(f"Temporal's {role} store", problems)


@when("Temporal's database role is examined from a session of its own")
def step_examine_role(context: Any) -> None:
    context.privileges = read_privileges(context.run.endpoints, log := QueryLog())
    expect("Temporal's role", [], {"Temporal's role": context.privileges, "queries": log})


@then("it is not a superuser and cannot create roles or databases")
def step_role_attributes(context: Any) -> None:
    user = context.run.endpoints.postgres_user
    expect("Temporal's role", security.attribute_problems(context.privileges, user))


@then("it is refused a change of the server's configuration")
def step_role_alter_system(context: Any) -> None:
    expect("Temporal's role", security.alter_system_problems(context.privileges))


@then("it cannot reach any database but Temporal's own")
def step_role_reach(context: Any) -> None:
    expect("Temporal's role", security.reach_problems(context.privileges))


@then("Temporal's database and its visibility database exist")
def step_databases_exist(context: Any) -> None:
    present = db.read_databases(context.run.endpoints, log := QueryLog())
    expect(
        "PostgreSQL",
        checks.missing_problems("databases", _databases(context).values(), present),
        {"databases": log},
    )


@then("each Temporal database is at the schema version this Temporal release expects")
def step_schema_versions(context: Any) -> None:
    expected, names = context.run.stack.expected_schema(), _databases(context)
    wanted = {
        names["Temporal's database"]: expected.temporal,
        names["the visibility database"]: expected.visibility,
    }
    found = db.read_schema_versions(context.run.endpoints, list(wanted), log := QueryLog())
    expect(
        "schema versions", checks.schema_version_problems(found, wanted), {"schema versions": log}
    )


@then("{database} has every table this release needs")
def step_tables_present(context: Any, database: str) -> None:
    name, expected = _databases(context)[database], context.run.stack.expected_schema()
    temporal = database == "Temporal's database"
    needed = expected.temporal_tables if temporal else expected.visibility_tables
    present = db.read_tables(context.run.endpoints, name, log := QueryLog())
    problems = checks.release_list_problems("tables", needed)
    problems += checks.missing_problems(f"tables of {name}", needed, present)
    expect(
        database,
        problems,
        {f"tables of {name}": log, "tables this release needs": "\n".join(needed)},
    )


@then("these Temporal server roles are up:")
def step_roles_up(context: Any) -> None:
    live = db.read_live_roles(context.run.endpoints, log := QueryLog())
    roles = [row["role"] for row in context.table]
    expect(
        "Temporal's membership",
        checks.roles_problems(live, roles, db.LIVE_HEARTBEAT_SECONDS),
        {"cluster membership": log},
    )
