"""Steps about the test worker process: started once per run, polling, registered.

Given the test worker has been started
Then the task queue shows the test worker polling for:
Then the test worker reports these registrations:
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from temporal_acceptance.checks.deployment import missing_problems
from temporal_acceptance.core.verdict import expect


@given("the test worker has been started")
async def step_worker_started(context: Any) -> None:
    await context.worker.ensure(context.run)
    spec = context.worker.driver.spec
    expect(
        "the test worker",
        [],
        {"test worker": f"{spec.identity} on task queue {spec.task_queue}, log {spec.log_file}"},
    )


@then("the task queue shows the test worker polling for:")
async def step_worker_polling(context: Any) -> None:
    worker = context.worker.driver
    expect("the test worker", [] if worker.running() else [worker.describe_state()])
    polling = await worker.polling_kinds(await context.run.client())
    wanted = [row["task type"] for row in context.table]
    expect(
        f"task queue {worker.spec.task_queue}, poller {worker.spec.identity!r} since the "
        f"worker started (log: {worker.spec.log_file})",
        missing_problems("polling for task types", wanted, polling),
        {"pollers": f"{worker.spec.identity} polls {worker.spec.task_queue} for {polling}"},
    )


@then("the test worker reports these registrations:")
def step_worker_registrations(context: Any) -> None:
    registered = context.worker.driver.registrations()
    kinds = {"workflow": "workflows", "activity": "activities"}
    wanted = [f"{row['kind']} {row['name']}" for row in context.table]
    seen = [f"{kind} {name}" for kind, key in kinds.items() for name in registered.get(key, [])]
    expect(
        f"the test worker (log: {context.worker.driver.spec.log_file})",
        missing_problems("registrations", wanted, seen),
        {"worker registrations": repr(registered)},
    )
