"""Steps that find a workflow's state in PostgreSQL, each recording its SQL and results.

Then the database activity's row is in the application database
Then Temporal's database holds the workflow's execution and current execution
And the history stored in PostgreSQL matches the history Temporal serves
And the visibility database lists the workflow as completed within 10 seconds
"""

from __future__ import annotations

from typing import Any

from behave import then

from temporal_acceptance.checks import database as db
from temporal_acceptance.checks import execution
from temporal_acceptance.checks import workflow_state as state
from temporal_acceptance.reporting.attach import attach_text


def _attach(log: db.QueryLog, name: str) -> None:
    attach_text(name, "\n\n".join(entry.render() for entry in log.entries))


def _completed(context: Any) -> Any:
    problems = execution.not_completed(context.execution)
    assert not problems, problems[0]
    return context.execution


@then("the database activity's row is in the application database")
def step_app_row(context: Any) -> None:
    database = context.test_worker.app_database
    problems, log = state.app_row_problems(context.run.endpoints, database, _completed(context))
    _attach(log, f"application row in {database}")
    assert not problems, problems[0]


@then("Temporal's database holds the workflow's execution and current execution")
def step_execution_rows(context: Any) -> None:
    problems, log = state.execution_rows_problems(context.run.endpoints, _completed(context))
    _attach(log, "execution rows")
    assert not problems, "Temporal's execution rows:\n" + "\n".join(problems)


@then("the history stored in PostgreSQL matches the history Temporal serves")
async def step_stored_history(context: Any) -> None:
    record, client = _completed(context), await context.run.client()
    served = await client.get_workflow_handle(
        record.workflow_id, run_id=record.run_id
    ).fetch_history()
    problems, log = state.stored_history_check(context.run.endpoints, record.run_id, served.events)
    _attach(log, "history nodes")
    assert not problems, f"history of {record.workflow_id} in PostgreSQL:\n" + "\n".join(problems)


@then("the visibility database lists the workflow as completed within {seconds:g} seconds")
def step_visibility(context: Any, seconds: float) -> None:
    problems, log = state.visibility_problems(context.run.endpoints, _completed(context), seconds)
    _attach(log, "visibility row")
    assert not problems, problems[0]
