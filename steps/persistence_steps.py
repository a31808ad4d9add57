"""Steps that disrupt the deployment and prove nothing was lost (Phase 4).

Given a completed workflow and a record of what PostgreSQL stores
When the Temporal server is restarted            (and every phrase of DISRUPTIONS)
Then its history is unchanged
And Temporal's rows are unchanged
And the application's rows are unchanged
And both schemas are unchanged
And a new workflow runs to completion
And the stack was healthy again within 10 seconds
And no unexpected errors were logged
Given a workflow sleeping in its 3 second timer and another waiting for its signal
And the waiting workflow is sent its signal
And a workflow moved on within 10 seconds
And both workflows complete with their full histories
Given a workflow whose first activity is running on the test worker
When the test worker is killed and a new worker process is started
Then the activity was retried on the new worker process
And the workflow completes with its full history
Given 50 workflows are in flight
Then all of them complete within 60 seconds
And Temporal lists each of them exactly once, completed
And the visibility database lists each of them exactly once, completed
And each of them completed every activity once, with no duplicate execution
And PostgreSQL's connections are being sampled
And no database and user held 100 or more connections
And the server reported every role healthy, its rings and shards whole, within 30 seconds
"""

from __future__ import annotations

import re
from typing import Any

import parse
from behave import given, register_type, then, use_fixture, when

from temporal_acceptance.checks import execution, stored
from temporal_acceptance.checks.connections import peak_problems
from temporal_acceptance.checks.history import render
from temporal_acceptance.checks.inflight import completed_whole
from temporal_acceptance.checks.load import (
    activities_once_problems,
    not_running,
    outcome_problems,
    visibility_problems,
)
from temporal_acceptance.checks.recovery import healthy_problems
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.core.errors import NotSupportedOnTarget
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.fixtures.connections import connection_sampling
from temporal_acceptance.gates import cluster
from temporal_acceptance.gates import load as load_gate
from temporal_acceptance.gates import persistence as gates
from temporal_acceptance.probes.histories import histories
from temporal_acceptance.probes.load import read_executions, read_visibility_rows
from temporal_acceptance.probes.stored import attachment
from temporal_acceptance.stack.disruption import DISRUPTIONS, parse_disruption, perform
from temporal_acceptance.workload import inflight, load
from temporal_acceptance.workload.execute import ExecutionOptions, run_test_workflow
from temporal_acceptance.workload.shared import new_workflow_id

register_type(
    Disruption=parse.with_pattern("|".join(map(re.escape, DISRUPTIONS)))(parse_disruption)
)
# How long a workflow may take to complete once the deployment is back (timer included).
COMPLETION_TIMEOUT = 60.0
# How long the waiting workflow's signal may be refused while the deployment recovers.
SIGNAL_TIMEOUT = 30.0
WHOLE_STEP = (
    "the server reported every role healthy, its rings and shards whole, within {seconds:g} seconds"
)


def _queue(context: Any) -> str:
    return str(context.worker.driver.spec.task_queue)


# -- a completed workflow and what PostgreSQL stores -----------------------------------------


@given("a completed workflow and a record of what PostgreSQL stores")
async def step_record_stored(context: Any) -> None:
    run, fixture = context.run, context.persistence
    client = await run.client()
    witness, problems = await context.worker.needed(
        gates.witness(client, run.endpoints, _queue(context), fixture.witness)
    )
    expect("the witness workflow", problems)
    before = await gates.reading(client, run.endpoints, witness)
    context.stored_before, fixture.witness = before, witness
    expect(
        "the first reading",
        stored.reading_problems(before),
        {"stored before the disruption": attachment(before)},
    )


@when("{disruption:Disruption}")
def step_disrupt(context: Any, disruption: Any) -> None:
    context.range_ids = cluster.range_ids(context.run.endpoints)
    try:
        context.timing = perform(context.run.stack, disruption)
    except NotSupportedOnTarget as exc:
        return context.scenario.skip(exc.line())  # type: ignore[no-any-return]
    context.persistence.record(disruption, context.timing)
    _watch_recovery(context)
    expect("the disruption", [], {"restart timings": context.timing.render()})


def _watch_recovery(context: Any) -> None:
    """When the scenario judges the cluster after its disruption, that check begins now, in a
    thread of its own: its waits (history turns SERVING 5 s after it holds its shards) pass
    while the scenario's other checks run, and its step reads the result (same readings, same
    bound from the start of the disruption). Stopped when the scenario ends unread."""
    for step in context.scenario.steps:
        if found := parse.parse(WHOLE_STEP, step.name):
            run = context.run
            context.recovery_watch = watch = cluster.Watch(
                run.stack, run.endpoints, context.range_ids, context.timing, found["seconds"]
            )
            context.add_cleanup(watch.cancel)
            return


async def _after(context: Any) -> Any:
    """The second reading, taken once by the first Then that needs it."""
    if getattr(context, "stored_after", None) is None:
        run, before = context.run, context.stored_before
        context.stored_after = await gates.reading(
            await run.client(), run.endpoints, before.witness, before
        )
        expect(
            "the second reading",
            [],
            {"stored after the disruption": attachment(context.stored_after)},
        )
    return context.stored_after


@then("its history is unchanged")
async def step_history_unchanged(context: Any) -> None:
    after = await _after(context)
    expect(
        f"after the {context.timing.disruption}",
        stored.history_changes(context.stored_before, after),
    )


@then("Temporal's rows are unchanged")
async def step_rows_unchanged(context: Any) -> None:
    after = await _after(context)
    expect(
        f"after the {context.timing.disruption}", stored.row_changes(context.stored_before, after)
    )


@then("the application's rows are unchanged")
async def step_app_rows_unchanged(context: Any) -> None:
    after = await _after(context)
    expect(
        f"after the {context.timing.disruption}",
        stored.app_row_changes(context.stored_before, after),
    )


@then("both schemas are unchanged")
async def step_schemas_unchanged(context: Any) -> None:
    after = await _after(context)
    expect(
        f"after the {context.timing.disruption}",
        stored.schema_changes(context.stored_before, after),
    )


@then("the stack was healthy again within {seconds:g} seconds")
def step_healthy_within(context: Any, seconds: float) -> None:
    timing = context.timing
    expect(
        f"the {timing.disruption}",
        healthy_problems(timing, seconds),
        {"restart timings": timing.to_json()},
    )


@then("no unexpected errors were logged")
async def step_no_unexpected_errors(context: Any) -> None:
    run, timing, disturbances = context.run, context.timing, context.persistence.disturbances
    logs, markers = await gates.scan_window(
        run.stack, await run.client(), run.endpoints, timing.started_at, disturbances
    )
    evidence = f"since {timing.started_at.isoformat()}\nmarkers: {markers}\n{logs.summary()}"
    expect(f"the logs since the {timing.disruption}", logs.problems(), {"log scan": evidence})


@then("a new workflow runs to completion")
async def step_new_workflow(context: Any) -> None:
    options = ExecutionOptions(new_workflow_id("persistence-new"), _queue(context), timer_seconds=1)
    record = await context.worker.needed(run_test_workflow(await context.run.client(), options))
    expect(
        "the new workflow",
        execution.result_problems(record, context.worker.app_database),
        {"new workflow": render(record.events)},
    )


# -- in-flight workflows ----------------------------------------------------------------------


@given("a workflow sleeping in its {seconds:g} second timer and another waiting for its signal")
async def step_park_pair(context: Any, seconds: float) -> None:
    client = await context.run.client()
    parked = inflight.park_pair(client, _queue(context), "persistence-inflight", seconds)
    context.pair = await context.worker.needed(parked)
    expect("in flight", [], {"in flight at the disruption": inflight.attachment(context.pair.both)})


@when("the waiting workflow is sent its signal")
async def step_signal_waiting(context: Any) -> None:
    client, endpoints = await context.run.client(), context.run.endpoints
    signalled = gates.signal_waiting(client, endpoints, context.pair, SIGNAL_TIMEOUT)
    expect("the signal", await context.worker.needed(signalled))


@then("a workflow moved on within {seconds:g} seconds")
async def step_progress(context: Any, seconds: float) -> None:
    client, endpoints = await context.run.client(), context.run.endpoints
    moved_on = gates.moved_on_within(client, endpoints, context.pair, context.timing, seconds)
    problems = await context.worker.needed(moved_on)
    expect("recovery", problems, {"restart timings": context.timing.to_json()})


@then("both workflows complete with their full histories")
async def step_pair_completes(context: Any) -> None:
    client, run = await context.run.client(), context.run
    app, pair = context.worker.app_database, context.pair
    finished = gates.finished_whole(client, run.endpoints, pair.both, app, COMPLETION_TIMEOUT)
    problems = await context.worker.needed(finished)
    expect("in flight", problems, {"in flight, after completing": inflight.attachment(pair.both)})


# -- a worker crash in the middle of an activity ---------------------------------------------


@given("a workflow whose first activity is running on the test worker")
async def step_held_activity(context: Any) -> None:
    client, identity = await context.run.client(), context.worker.driver.spec.identity
    held = inflight.start_held_activity(client, _queue(context), "persistence-crash", identity)
    context.held = await context.worker.needed(held)


@when("the test worker is killed and a new worker process is started")
async def step_replace_worker(context: Any) -> None:
    context.killed_worker = context.worker.driver.spec.identity
    exit_status = context.worker.driver.kill()
    await context.worker.replace(context.run)
    expect("the worker", [], {"killed": f"{context.killed_worker}: exit {exit_status}"})


@then("the activity was retried on the new worker process")
async def step_retried(context: Any) -> None:
    client, held, new = (
        await context.run.client(),
        context.held,
        context.worker.driver.spec.identity,
    )
    problems = await context.worker.needed(
        gates.retried_on(
            client, context.run.endpoints, held, context.killed_worker, new, COMPLETION_TIMEOUT
        )
    )
    history = render(held.record.events) if held.record else "(not closed)"
    expect(f"{held.workflow_id} after its worker was killed", problems, {"history": history})


@then("the workflow completes with its full history")
def step_held_completes(context: Any) -> None:
    held = context.held
    problems = completed_whole(held, context.worker.app_database)
    expect("after the worker crash", problems)


# -- load across a restart ---------------------------------------------------------------------


@given("{count:d} workflows are in flight")
async def step_load(context: Any, count: int) -> None:
    client = await context.run.client()
    context.load = await load.start_load(
        client, _queue(context), new_workflow_id("persistence-load"), count
    )
    found = await load.statuses(client, context.load)
    expect(
        "not in flight before the restart",
        not_running(found),
        {"statuses before the restart": found},
    )


@then("all of them complete within {seconds:g} seconds")
async def step_load_completes(context: Any, seconds: float) -> None:
    completed = load.wait_completed(await context.run.client(), context.load, seconds)
    outcomes = await context.worker.needed(completed)
    expect("under load", outcome_problems(outcomes), {"outcomes": outcomes})


@then("Temporal lists each of them exactly once, completed")
async def step_listed_exactly_once(context: Any) -> None:
    problems = await load_gate.listed_exactly_once(await context.run.client(), context.load)
    expect(f"the {len(context.load.ids)} workflows", problems)


@then("the visibility database lists each of them exactly once, completed")
def step_visibility_exactly_once(context: Any) -> None:
    batch = context.load
    rows = read_visibility_rows(context.run.endpoints, batch.prefix, log := QueryLog())
    expect(
        f"the {len(batch.ids)} workflows",
        visibility_problems(rows, batch.ids),
        {"visibility rows": log},
    )


@then("each of them completed every activity once, with no duplicate execution")
async def step_activities_once(context: Any) -> None:
    batch, runs = context.load, [(w.workflow_id, w.run_id) for w in context.load.watched]
    found = await histories(await context.run.client(), runs)
    rows = read_executions(
        context.run.endpoints, context.worker.app_database, batch.prefix, log := QueryLog()
    )
    expect(
        f"the {len(batch.ids)} workflows",
        activities_once_problems(found, rows, batch.ids),
        {"activity executions": log},
    )


# -- the cluster and PostgreSQL's connections through the disruption ---------------------------


@given("PostgreSQL's connections are being sampled")
def step_sample_connections(context: Any) -> None:
    context.connections = use_fixture(connection_sampling, context)


@then("no database and user held {limit:d} or more connections")
def step_connection_peak(context: Any, limit: int) -> None:
    peaks = context.connections.finish()
    expect("PostgreSQL's connections", peak_problems(peaks, limit), {"connection peaks": peaks})


@then(WHOLE_STEP)
def step_cluster_whole(context: Any, seconds: float) -> None:
    run, timing = context.run, context.timing
    watch = getattr(context, "recovery_watch", None)
    if watch is not None and watch.timeout == seconds:  # begun when the disruption ended
        seen = watch.result()
    else:
        seen = cluster.whole_again(run.stack, run.endpoints, context.range_ids, timing, seconds)
    context.persistence.record_recovery(timing.disruption, seen.render())
    expect(f"after the {timing.disruption}", seen.problems, seen.evidence())
