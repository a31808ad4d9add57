"""Steps about the test worker process: started once per run, polling, registered.

Given the test worker has been started
Then the task queue shows the test worker polling for:
Then Temporal shows the test worker polling for and running each of these:
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from temporal_acceptance.checks.deployment import missing_problems
from temporal_acceptance.checks.history import render
from temporal_acceptance.checks.registration import registration_problems
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.probes.histories import child_histories


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


@then("Temporal shows the test worker polling for and running each of these:")
async def step_worker_registrations(context: Any) -> None:
    client, worker, record = await context.run.client(), context.worker.driver, context.execution
    polling = await worker.polling_kinds(client)
    runs = [record.events, *await child_histories(client, record.events)]
    wanted = [(row["kind"], row["name"]) for row in context.table]
    expect(
        f"what Temporal reports of the test worker {worker.spec.identity}",
        registration_problems(wanted, worker.spec.identity, polling, runs),
        {"polling for": polling, "histories read": "\n\n".join(map(render, runs))},
    )
