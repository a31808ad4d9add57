"""Steps that find a workflow's state in PostgreSQL, each recording its SQL and results.

Then the database activity's row is in the application database
And the database activity ran as the application's own database role
Then Temporal's database holds the workflow's execution and current execution
And the history stored in PostgreSQL matches the history Temporal serves
And the visibility database lists the workflow as completed within 10 seconds
"""

from __future__ import annotations

from typing import Any

from behave import then

from temporal_acceptance.checks import execution, security
from temporal_acceptance.checks import workflow_rows as checks
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.probes import workflow_rows as rows


def _completed(context: Any) -> Any:
    expect(
        f"the workflow {context.execution.workflow_id}", execution.not_completed(context.execution)
    )
    return context.execution


@then("the database activity's row is in the application database")
def step_app_row(context: Any) -> None:
    database, record = context.worker.app_database, _completed(context)
    found = rows.read_app_rows(
        context.run.endpoints, database, record.workflow_id, record.run_id, log := QueryLog()
    )
    reported = record.result.database_row.row_id
    expect(
        "the application database",
        checks.app_row_problems(found, reported, database, record.run_id),
        {f"application row in {database}": log},
    )


@then("the database activity ran as the application's own database role")
def step_app_role(context: Any) -> None:
    row, endpoints = _completed(context).result.database_row, context.run.endpoints
    problems = security.role_of_its_own_problems(
        row.role, endpoints.app_user, [endpoints.postgres_user]
    )
    expect("the database activity", problems, {"role of the database activity": row.role})


@then("Temporal's database holds the workflow's execution and current execution")
def step_execution_rows(context: Any) -> None:
    record, endpoints = _completed(context), context.run.endpoints
    found = rows.read_execution_rows(endpoints, record.workflow_id, log := QueryLog())
    problems = checks.execution_rows_problems(
        found,
        endpoints.namespace,
        record.workflow_id,
        record.run_id,
        len(record.events),
        endpoints.display_dsn(endpoints.temporal_database),
    )
    expect("Temporal's execution rows", problems, {"execution rows": log})


@then("the history stored in PostgreSQL matches the history Temporal serves")
async def step_stored_history(context: Any) -> None:
    record, client = _completed(context), await context.run.client()
    served = await client.get_workflow_handle(
        record.workflow_id, run_id=record.run_id
    ).fetch_history()
    nodes = rows.read_stored_history(context.run.endpoints, record.run_id, log := QueryLog())
    expect(
        f"history of {record.workflow_id} in PostgreSQL",
        checks.stored_history_problems(nodes, served.events),
        {"history nodes": log},
    )


@then("the visibility database lists the workflow as completed within {seconds:g} seconds")
def step_visibility(context: Any, seconds: float) -> None:
    record = _completed(context)
    row = rows.read_closed_visibility(
        context.run.endpoints, record.workflow_id, record.run_id, seconds, log := QueryLog()
    )
    expect(
        "the visibility database",
        checks.visibility_problems(row, record.workflow_id, len(record.events)),
        {"visibility row": log},
    )
