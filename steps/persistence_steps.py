"""Steps that disrupt the deployment and prove nothing was lost (Phase 4).

Given a completed workflow and a record of what PostgreSQL stores
When the Temporal server is restarted            (and every phrase of DISRUPTIONS)
Then its history, Temporal's rows, the application's rows and both schemas are unchanged
And the stack was healthy again within 15 seconds, with no unexpected errors logged
And a new workflow runs to completion
Given a workflow sleeping in its 3 second timer and another waiting for its signal
And the waiting workflow is sent its signal
Then the stack was healthy within 15 seconds and a workflow moved on within 15 seconds
And both workflows complete with their full histories
Given a workflow whose first activity is running on the test worker
When the test worker is killed and a new worker process is started
Then the activity was retried on the new worker process
And the workflow completes with its full history
Given 50 workflows are in flight
Then all of them complete within 60 seconds
And Temporal and the visibility database list each of them exactly once, completed
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import parse
from behave import given, register_type, then, when

from temporal_acceptance.checks import execution, history
from temporal_acceptance.errors import NotSupportedOnTarget
from temporal_acceptance.persistence import inflight, load, stored
from temporal_acceptance.persistence.disruption import (
    DISRUPTIONS,
    parse_disruption,
    perform,
    threshold_problems,
)
from temporal_acceptance.persistence.recovery import scan_window
from temporal_acceptance.persistence.workflows import new_workflow_id
from temporal_acceptance.reporting.attach import attach_json, attach_text
from temporal_acceptance.workload.execute import ExecutionOptions, run_test_workflow

register_type(
    Disruption=parse.with_pattern("|".join(map(re.escape, DISRUPTIONS)))(parse_disruption)
)
# How long a workflow may take to complete once the deployment is back (timer included).
COMPLETION_TIMEOUT = 60.0
# How long the waiting workflow's signal may be refused while the deployment recovers.
SIGNAL_TIMEOUT = 30.0


def _fail_on(problems: list[str], title: str) -> None:
    assert not problems, title + ":\n" + "\n".join(problems)


def _queue(context: Any) -> str:
    return str(context.worker.spec.task_queue)


# -- a completed workflow and what PostgreSQL stores -----------------------------------------


@given("a completed workflow and a record of what PostgreSQL stores")
async def step_record_stored(context: Any) -> None:
    run, fixture = context.run, context.persistence
    before, problems = await stored.first_reading(
        await run.client(), run.endpoints, _queue(context), fixture.witness
    )
    context.stored_before, fixture.witness = before, before.witness
    attach_json("stored before the disruption", stored.attachment(before))
    _fail_on(problems, "the first reading is incomplete")


@when("{disruption:Disruption}")
def step_disrupt(context: Any, disruption: Any) -> None:
    try:
        context.timing = perform(context.run.stack, disruption)
    except NotSupportedOnTarget as exc:
        return context.scenario.skip(exc.line())  # type: ignore[no-any-return]
    context.persistence.record(disruption, context.timing)
    attach_text("restart timings", context.timing.render())


@then("its history, Temporal's rows, the application's rows and both schemas are unchanged")
async def step_nothing_changed(context: Any) -> None:
    run = context.run
    after, problems = await stored.second_reading(
        await run.client(), run.endpoints, context.stored_before
    )
    attach_json("stored after the disruption", stored.attachment(after))
    _fail_on(problems, f"lost or changed by the {context.timing.disruption}")


@then("the stack was healthy again within {seconds:g} seconds, with no unexpected errors logged")
def step_healthy_and_clean(context: Any, seconds: float) -> None:
    timing, recent = context.timing, context.persistence.noisy_since(context.timing.started_at)
    logs = scan_window(context.run.stack, recent, timing.started_at, datetime.now(UTC))
    attach_text("log scan", f"since {timing.started_at.isoformat()}\n{logs.summary()}")
    problems = threshold_problems(timing, seconds) + ([logs.failure()] if logs.errors else [])
    _fail_on(problems, f"the {timing.disruption}")


@then("a new workflow runs to completion")
async def step_new_workflow(context: Any) -> None:
    options = ExecutionOptions(new_workflow_id("persistence-new"), _queue(context), timer_seconds=1)
    record = await run_test_workflow(await context.run.client(), options)
    attach_text("new workflow", history.render(record.events))
    problems = execution.result_problems(record, context.test_worker.app_database)
    _fail_on(problems, "the new workflow")


# -- in-flight workflows ----------------------------------------------------------------------


@given("a workflow sleeping in its {seconds:g} second timer and another waiting for its signal")
async def step_park_pair(context: Any, seconds: float) -> None:
    client = await context.run.client()
    context.pair = await inflight.park_pair(
        client, _queue(context), "persistence-inflight", seconds
    )
    attach_json("in flight at the disruption", inflight.attachment(context.pair.both))


@when("the waiting workflow is sent its signal")
async def step_signal_waiting(context: Any) -> None:
    client, endpoints = await context.run.client(), context.run.endpoints
    await inflight.signal_waiting(client, endpoints, context.pair, SIGNAL_TIMEOUT)


@then(
    "the stack was healthy within {healthy:g} seconds and a workflow moved on within "
    "{progress:g} seconds"
)
async def step_progress(context: Any, healthy: float, progress: float) -> None:
    client, endpoints = await context.run.client(), context.run.endpoints
    problems = await inflight.progress_problems(
        client, endpoints, context.pair, context.timing, healthy, progress
    )
    attach_json("restart timings", context.timing.to_json())
    _fail_on(problems, "recovery")


@then("both workflows complete with their full histories")
async def step_pair_completes(context: Any) -> None:
    client, run = await context.run.client(), context.run
    app, pair = context.test_worker.app_database, context.pair
    problems = await inflight.finished_whole(
        client, run.endpoints, pair.both, app, COMPLETION_TIMEOUT
    )
    attach_json("in flight, after completing", inflight.attachment(pair.both))
    _fail_on(problems, "in flight")


# -- a worker crash in the middle of an activity ---------------------------------------------


@given("a workflow whose first activity is running on the test worker")
async def step_held_activity(context: Any) -> None:
    client, identity = await context.run.client(), context.worker.spec.identity
    context.held = await inflight.start_held_activity(
        client, _queue(context), "persistence-crash", identity
    )


@when("the test worker is killed and a new worker process is started")
async def step_replace_worker(context: Any) -> None:
    context.killed_worker = context.worker.spec.identity
    attach_text("killed", f"{context.killed_worker}: exit {context.worker.kill()}")
    context.worker = await context.test_worker.replace(context.run)


@then("the activity was retried on the new worker process")
async def step_retried(context: Any) -> None:
    client, held, new = await context.run.client(), context.held, context.worker.spec.identity
    problems = await inflight.retried_on(
        client, context.run.endpoints, held, context.killed_worker, new, COMPLETION_TIMEOUT
    )
    attach_text("history", history.render(held.record.events))
    _fail_on(problems, f"{held.workflow_id} after its worker was killed")


@then("the workflow completes with its full history")
def step_held_completes(context: Any) -> None:
    problems = inflight.completion_problems(context.held, context.test_worker.app_database)
    _fail_on(problems, "after the worker crash")


# -- load across a restart ---------------------------------------------------------------------


@given("{count:d} workflows are in flight")
async def step_load(context: Any, count: int) -> None:
    prefix = new_workflow_id("persistence-load")
    context.load, found, problems = await load.in_flight(
        await context.run.client(), _queue(context), prefix, count
    )
    attach_json("statuses before the restart", found)
    _fail_on(problems, "not in flight before the restart")


@then("all of them complete within {seconds:g} seconds")
async def step_load_completes(context: Any, seconds: float) -> None:
    outcomes = await load.wait_completed(await context.run.client(), context.load, seconds)
    attach_json("outcomes", outcomes)
    _fail_on(load.outcome_problems(outcomes), "under load")


@then("Temporal and the visibility database list each of them exactly once, completed")
async def step_load_exactly_once(context: Any) -> None:
    problems, log = await load.exactly_once(
        await context.run.client(), context.run.endpoints, context.load
    )
    attach_text("visibility and application rows", "\n\n".join(e.render() for e in log.entries))
    _fail_on(problems, f"the {len(context.load.ids)} workflows")
