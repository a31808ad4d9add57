"""Steps of the multirole topology: rings, shards, a dead history host, matching and the
frontend away and back (features/multirole.feature). The disruptions themselves ("one
history host is killed", ...) are phrases of stack/disruption.py, run by the persistence
steps' disruption step.

Then the membership ring shows each role with its hosts within 10 seconds
And the history shards are spread over both history hosts within 10 seconds
Given 51 workflows in flight: sleeping in their timer, waiting for their signal or in an activity
And the waiting workflows are sent their signals
Then the other history host owned all of its shards within 15 seconds
And a workflow on those shards moved on within 20 seconds
And all of them complete within 120 seconds, each with its full history
And no timer fired more than 20 seconds late
Given one history host has been killed and the other owns all the shards
Given 20 workflows sleeping in their 8 second timer
And their timers fire while matching is down
And every waiting task was delivered within 20 seconds of matching being started again
Given the test worker is stopped
And 20 workflows are waiting for a worker
And a new test worker process is started
Then a new workflow started within 10 seconds of the restart
And a new workflow started within 20 seconds of the host's start
And the test worker polled again within 10 seconds of the restart
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.core.verdict import expect
from temporal_acceptance.gates import role_outage as outage
from temporal_acceptance.gates import topology as gates
from temporal_acceptance.stack.disruption import DISRUPTIONS
from temporal_acceptance.workload import mixed
from temporal_acceptance.workload.shared import new_workflow_id

CRASH_HISTORY = DISRUPTIONS["one history host is killed"]


def _queue(context: Any) -> str:
    return str(context.worker.driver.spec.task_queue)


def _record(context: Any, figure: str, seconds: float | None, **extra: Any) -> dict[str, Any]:
    target = context.run.stack.target
    return context.topology.record(context.scenario.name, figure, seconds, target=target, **extra)


# -- rings and shards ---------------------------------------------------------------------------


@then("the membership ring shows each role with its hosts within {seconds:g} seconds")
def step_ring(context: Any, seconds: float) -> None:
    seen = gates.ring_settled(context.run.stack, context.run.endpoints, _since(context), seconds)
    _record(context, f"membership ring complete{_after(context)}", seen.seconds)
    expect("the membership ring", seen.problems, {"membership": seen.evidence})


@then("the history shards are spread over both history hosts within {seconds:g} seconds")
def step_spread(context: Any, seconds: float) -> None:
    seen = gates.shards_spread(context.run.stack, context.run.endpoints, _since(context), seconds)
    _record(context, f"shards spread over both history hosts{_after(context)}", seen.seconds)
    expect("the history shards", seen.problems, {"shard owners": seen.evidence})


def _after(context: Any) -> str:
    timing = getattr(context, "timing", None)
    return f" (after the {timing.disruption})" if timing is not None else ""


def _since(context: Any) -> Any:
    """From the scenario's disruption when there was one, else from now."""
    timing = getattr(context, "timing", None)
    return timing.started_at if timing is not None else None


# -- a history host killed under load -------------------------------------------------------------


@given(
    "{count:d} workflows in flight: sleeping in their timer, waiting for their signal "
    "or in an activity"
)
async def step_park_mixed(context: Any, count: int) -> None:
    client, run = await context.run.client(), context.run
    context.load = await mixed.park_mixed(client, _queue(context), new_workflow_id("mr"), count)
    context.owners_before = gates.placed(run.stack, run.endpoints, context.load)
    placement = gates.placement_text(context.load, context.owners_before)
    expect("in flight", [], {"where the workflows live": placement})


@when("the waiting workflows are sent their signals")
async def step_signal_all(context: Any) -> None:
    problems = await outage.signal_all(await context.run.client(), context.load)
    expect("the signals", problems)


@then("the other history host owned all of its shards within {seconds:g} seconds")
def step_takeover(context: Any, seconds: float) -> None:
    run, timing = context.run, context.timing
    context.takeover = gates.taken_over(run.stack, run.endpoints, timing, context.owners_before)
    _record(context, "shard takeover", context.takeover.seconds, shards=context.takeover.count)
    expect(
        f"after the {timing.disruption}",
        context.takeover.problems(seconds),
        {"shard takeover": context.takeover.evidence},
    )


@then("a workflow on those shards moved on within {seconds:g} seconds")
async def step_progress_on_shards(context: Any, seconds: float) -> None:
    client, timing = await context.run.client(), context.timing
    hit, problems = await outage.progress_on(
        client, context.load, context.takeover, timing, seconds
    )
    _record(context, "time to progress", timing.progress_seconds, workflows_on_shards=hit)
    expect(f"after the {timing.disruption}", problems, {"timings": timing.to_json()})


@then("all of them complete within {seconds:g} seconds, each with its full history")
async def step_all_complete(context: Any, seconds: float) -> None:
    client, app = await context.run.client(), context.worker.app_database
    problems = await outage.completed_whole(client, context.load.watched, app, seconds)
    expect(f"the {len(context.load.ids)} workflows", problems)


@then("no timer fired more than {seconds:g} seconds late")
def step_timers_late(context: Any, seconds: float) -> None:
    late = outage.timers_late(context.load, context.takeover, context.timing)
    _record(context, "timers delayed (max lateness)", late.worst, **late.counts)
    expect("the timers", late.problems(seconds), {"timer lateness": late.evidence})


# -- the killed host back ---------------------------------------------------------------------


@given("one history host has been killed and the other owns all the shards")
def step_crashed(context: Any) -> None:
    run = context.run
    timing, takeover = gates.crash_history_host(run.stack, run.endpoints, CRASH_HISTORY)
    context.persistence.record(CRASH_HISTORY, timing)
    expect(
        f"after the {timing.disruption}", takeover.problems(60.0), {"takeover": takeover.evidence}
    )


# -- matching away ------------------------------------------------------------------------------


@given("{count:d} workflows sleeping in their {seconds:g} second timer")
async def step_park_sleeping(context: Any, count: int, seconds: float) -> None:
    client = await context.run.client()
    context.load = await mixed.park_sleeping(
        client, _queue(context), new_workflow_id("mr-timer"), count, seconds
    )


@when("their timers fire while matching is down")
async def step_timers_fire(context: Any) -> None:
    problems = await outage.timers_fired(
        await context.run.client(), context.load, context.run.stack
    )
    expect("the timers", problems)


@then("every waiting task was delivered within {seconds:g} seconds of matching being started again")
def step_delivered(context: Any, seconds: float) -> None:
    late = outage.delivered_late(context.load, context.timing)
    _record(
        context, "tasks delivered after matching was started again (max)", late.worst, **late.counts
    )
    expect("the waiting tasks", late.problems(seconds), {"delivery": late.evidence})


@given("the test worker is stopped")
def step_worker_stopped(context: Any) -> None:
    exit_status = context.worker.driver.stop()
    expect("the worker", [], {"stopped": f"{context.worker.driver.spec.identity}: {exit_status}"})


@given("{count:d} workflows are waiting for a worker")
async def step_waiting_for_worker(context: Any, count: int) -> None:
    client = await context.run.client()
    context.load = await mixed.start_waiting(
        client, _queue(context), new_workflow_id("mr-q"), count
    )


@when("a new test worker process is started")
async def step_new_worker(context: Any) -> None:
    driver = await context.worker.replace(context.run)
    expect("the worker", [], {"new worker": driver.spec.identity})


# -- the frontend restarted ---------------------------------------------------------------------


# Where a new workflow's start is timed from: its workflow id prefix and its figure's name.
NEW_WORKFLOW_AFTER = {
    "restart": ("mr-after-frontend", "new workflow started after the frontend restart"),
    "host's start": ("mr-after-history", "new workflow started after the history host's start"),
}


@then("a new workflow started within {seconds:g} seconds of the {moment}")
async def step_new_start(context: Any, seconds: float, moment: str) -> None:
    if moment not in NEW_WORKFLOW_AFTER:
        raise ValueError(f"'{moment}': expected one of {', '.join(NEW_WORKFLOW_AFTER)}")
    prefix, figure = NEW_WORKFLOW_AFTER[moment]
    client, timing = await context.run.client(), context.timing
    took, problems = await outage.new_workflow_after(
        client, _queue(context), timing, seconds, prefix
    )
    _record(context, figure, took)
    expect(f"after the {timing.disruption}", problems, {"timings": timing.to_json()})


@then("the test worker polled again within {seconds:g} seconds of the restart")
async def step_repolled(context: Any, seconds: float) -> None:
    client, timing, driver = await context.run.client(), context.timing, context.worker.driver
    took, problems = await outage.polled_again(client, driver, timing, seconds)
    _record(context, "test worker polling again after the frontend restart", took)
    expect(f"after the {timing.disruption}", problems)
