"""Steps about the test worker process: started once per run, polling, registered.

Given the test worker has been started
Then the task queue shows the test worker polling for:
Then the test worker reports these registrations:
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from behave import given, then

from temporal_acceptance.reporting.attach import attach_text


@given("the test worker has been started")
async def step_worker_started(context: Any) -> None:
    context.scenario_window_start = datetime.now(UTC)
    context.worker = await context.test_worker.ensure(context.run)
    spec = context.worker.spec
    attach_text(
        "test worker", f"{spec.identity} on task queue {spec.task_queue}, log {spec.log_file}"
    )


@then("the task queue shows the test worker polling for:")
async def step_worker_polling(context: Any) -> None:
    worker = context.worker
    assert worker.running(), worker.describe_state()
    polling = await worker.polling_kinds(await context.run.client())
    missing = [row["task type"] for row in context.table if row["task type"] not in polling]
    attach_text("pollers", f"{worker.spec.identity} polls {worker.spec.task_queue} for {polling}")
    assert not missing, (
        f"task queue {worker.spec.task_queue} shows no poller {worker.spec.identity!r} "
        f"for {missing} task(s) since the worker started; see {worker.spec.log_file}"
    )


@then("the test worker reports these registrations:")
def step_worker_registrations(context: Any) -> None:
    registered = context.worker.registrations()
    attach_text("worker registrations", repr(registered))
    kinds = {"workflow": "workflows", "activity": "activities"}
    missing = [
        f"{row['kind']} {row['name']}"
        for row in context.table
        if row["name"] not in registered.get(kinds[row["kind"]], [])
    ]
    assert not missing, (
        f"the test worker did not register {missing}; it reported {registered or 'nothing'} "
        f"(see {context.worker.spec.log_file})"
    )
