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
from temporal_acceptance.stack.base import TEMPORAL_DATABASE, VISIBILITY_DATABASE


def _attach(log: db.QueryLog, name: str) -> None:
    attach_text(name, "\n\n".join(entry.render() for entry in log.entries))


def _completed(context: Any) -> Any:
    problems = execution.not_completed(context.execution)
    assert not problems, problems[0]
    return context.execution


@then("the database activity's row is in the application database")
def step_app_row(context: Any) -> None:
    record, log, database = _completed(context), db.QueryLog(), context.test_worker.app_database
    with db.connect(context.run.endpoints, database) as conn:
        rows = state.app_row(conn, record.workflow_id, record.run_id, log).rows
    _attach(log, f"application row in {database}")
    reported = record.result.database_row.row_id
    found = [row[0] for row in rows]
    assert found == [reported], (
        f"{database}.workload_round_trips holds rows {found} for run {record.run_id}; "
        f"the database activity reported writing row {reported}"
    )


@then("Temporal's database holds the workflow's execution and current execution")
def step_execution_rows(context: Any) -> None:
    record, log = _completed(context), db.QueryLog()
    with db.connect(context.run.endpoints, TEMPORAL_DATABASE) as conn:
        problems = state.execution_problems(
            conn, context.run.endpoints.namespace, record.workflow_id, record.run_id,
            len(record.events), log,
        )  # fmt: skip
    _attach(log, "execution rows")
    assert not problems, f"Temporal's rows for {record.workflow_id}:\n" + "\n".join(problems)


@then("the history stored in PostgreSQL matches the history Temporal serves")
async def step_stored_history(context: Any) -> None:
    record, log = _completed(context), db.QueryLog()
    client = await context.run.client()
    served = await client.get_workflow_handle(
        record.workflow_id, run_id=record.run_id
    ).fetch_history()
    with db.connect(context.run.endpoints, TEMPORAL_DATABASE) as conn:
        nodes = state.stored_history(conn, record.run_id, log)
    _attach(log, "history nodes")
    problems = state.stored_history_problems(nodes, served.events)
    assert not problems, f"history of {record.workflow_id} in PostgreSQL:\n" + "\n".join(problems)


@then("the visibility database lists the workflow as completed within {seconds:g} seconds")
def step_visibility(context: Any, seconds: float) -> None:
    record, endpoints, log = _completed(context), context.run.endpoints, db.QueryLog()
    with db.connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = state.namespace_id(conn, endpoints.namespace, log)
    with db.connect(endpoints, VISIBILITY_DATABASE) as conn:
        row, last = state.closed_visibility_row(
            conn, ns_id or "", record.workflow_id, record.run_id, seconds
        )
    _attach(db.QueryLog(log.entries + last.entries), "visibility row")
    assert (row.status_name, row.history_length) == ("Completed", len(record.events)), (
        f"visibility shows {record.workflow_id} as {row.status_name} with history length "
        f"{row.history_length}; expected Completed with {len(record.events)} events"
    )
