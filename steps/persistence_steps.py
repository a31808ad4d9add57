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
from temporal_acceptance.checks.database import QueryLog
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
    client, fixture = await context.run.client(), context.persistence
    fixture.witness = await stored.ensure_witness(
        client, context.run.endpoints, _queue(context), new_workflow_id("persistence-witness"),
        fixture.witness,
    )  # fmt: skip
    context.stored_before = await stored.read_stored(client, context.run.endpoints, fixture.witness)
    attach_json("stored before the disruption", stored.attachment(context.stored_before))
    _fail_on(stored.reading_problems(context.stored_before), "the first reading is incomplete")


@when("{disruption:Disruption}")
def step_disrupt(context: Any, disruption: Any) -> None:
    context.disruption = disruption
    try:
        context.timing = perform(context.run.stack, disruption)
    except NotSupportedOnTarget as exc:
        context.scenario.skip(exc.line())
        return
    context.persistence.timings.append(context.timing)
    attach_text("restart timings", context.timing.render())


@then("its history, Temporal's rows, the application's rows and both schemas are unchanged")
async def step_nothing_changed(context: Any) -> None:
    before, client = context.stored_before, await context.run.client()
    after = await stored.read_stored(client, context.run.endpoints, before.witness, before)
    attach_json("stored after the disruption", stored.attachment(after))
    _fail_on(
        stored.stored_differences(before, after),
        f"lost or changed by the {context.timing.disruption}",
    )


@then("the stack was healthy again within {seconds:g} seconds, with no unexpected errors logged")
def step_healthy_and_clean(context: Any, seconds: float) -> None:
    timing = context.timing
    logs = scan_window(context.run.stack, context.disruption, timing.started_at, datetime.now(UTC))
    attach_text("log scan", f"since {timing.started_at.isoformat()}\n{logs.summary()}")
    problems = threshold_problems(timing, seconds) + ([logs.failure()] if logs.errors else [])
    _fail_on(problems, f"the {timing.disruption}")


@then("a new workflow runs to completion")
async def step_new_workflow(context: Any) -> None:
    options = ExecutionOptions(new_workflow_id("persistence-new"), _queue(context), timer_seconds=1)
    record = await run_test_workflow(await context.run.client(), options)
    attach_text("new workflow", history.render(record.events))
    _fail_on(
        execution.result_problems(record, context.test_worker.app_database), "the new workflow"
    )


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
    timing, client = context.timing, await context.run.client()
    timing.progress_seconds = await inflight.first_progress_seconds(
        client, context.run.endpoints, context.pair, timing.started_at, max(30.0, 2 * progress)
    )
    attach_json("restart timings", timing.to_json())
    _fail_on(threshold_problems(timing, healthy, progress), "recovery")


@then("both workflows complete with their full histories")
async def step_pair_completes(context: Any) -> None:
    client, endpoints = await context.run.client(), context.run.endpoints
    await inflight.finish_all(client, endpoints, context.pair.both, COMPLETION_TIMEOUT)
    attach_json("in flight, after completing", inflight.attachment(context.pair.both))
    app = context.test_worker.app_database
    _fail_on(
        [p for w in context.pair.both for p in inflight.completion_problems(w, app)], "in flight"
    )


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
    client, endpoints = await context.run.client(), context.run.endpoints
    await inflight.finish_all(client, endpoints, [context.held], COMPLETION_TIMEOUT)
    attach_text("history", history.render(context.held.record.events))
    problems = inflight.retried_elsewhere_problems(
        context.held.record.events, context.killed_worker, context.worker.spec.identity
    )
    _fail_on(problems, f"{context.held.workflow_id} after its worker was killed")


@then("the workflow completes with its full history")
def step_held_completes(context: Any) -> None:
    problems = inflight.completion_problems(context.held, context.test_worker.app_database)
    _fail_on(problems, "after the worker crash")


# -- load across a restart ---------------------------------------------------------------------


@given("{count:d} workflows are in flight")
async def step_load(context: Any, count: int) -> None:
    client = await context.run.client()
    context.load = await load.start_load(
        client, _queue(context), new_workflow_id("persistence-load"), count
    )
    found = await load.statuses(client, context.load)
    attach_json("statuses before the restart", found)
    _fail_on(load.not_running(found), "not in flight before the restart")


@then("all of them complete within {seconds:g} seconds")
async def step_load_completes(context: Any, seconds: float) -> None:
    outcomes = await load.wait_completed(await context.run.client(), context.load, seconds)
    attach_json("outcomes", outcomes)
    _fail_on(load.outcome_problems(outcomes), "under load")


@then("Temporal and the visibility database list each of them exactly once, completed")
async def step_load_exactly_once(context: Any) -> None:
    client, batch = await context.run.client(), context.load
    problems = await load.api_problems_for(client, batch)
    rows, app_ids = load.stored_rows(context.run.endpoints, batch.prefix, log := QueryLog())
    attach_text("visibility and application rows", "\n\n".join(e.render() for e in log.entries))
    problems += load.visibility_problems(rows, batch.ids) + load.app_row_problems(
        app_ids, batch.ids
    )
    _fail_on(problems, f"the {len(batch.ids)} workflows")
