"""In-flight work across a disruption: a workflow sleeping in its timer and one waiting
for its signal (they must both resume and complete with their full histories), and a
workflow whose activity is cut off by a worker crash (it must be retried elsewhere).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.checks import execution, history
from temporal_acceptance.checks.history_diff import history_differences, history_json
from temporal_acceptance.errors import WaitTimeout
from temporal_acceptance.persistence.disruption import DisruptionTiming, threshold_problems
from temporal_acceptance.persistence.stored import lost_or_kept
from temporal_acceptance.persistence.workflows import (
    Watched,
    describe_position,
    finish,
    first_progress,
    new_workflow_id,
    options_for,
    read_history,
    send_signal,
    start,
    wait_for_position,
)
from temporal_acceptance.stack.base import Endpoints
from temporal_acceptance.waiting import wait_until_async
from temporal_acceptance.workload.shared import ACTIVITY_EXECUTION

E = EventType
ALL_STAGES = (
    "activity execution",
    "state persistence",
    "child workflow",
    "signal handling",
    "completion",
)
# The workflow that waits for its signal gets through its own (short) timer first.
WAITING_TIMER_SECONDS = 1.0
# Starting both, running their activities and the child: a few seconds on a loaded machine.
PARK_TIMEOUT = 30.0


@dataclass
class InFlightPair:
    sleeping: Watched  # in its timer when the disruption starts; its signal came with the start
    waiting: Watched  # waiting for its signal when the disruption starts

    @property
    def both(self) -> tuple[Watched, Watched]:
        return (self.sleeping, self.waiting)


async def park_pair(
    client: Client, task_queue: str, prefix: str, timer_seconds: float
) -> InFlightPair:
    """Start both and return once each is where the disruption should find it; their
    histories at that point are kept as `before`."""
    sleeping, waiting = await asyncio.gather(
        start(
            client, options_for(new_workflow_id(f"{prefix}-timer"), task_queue, timer_seconds), True
        ),
        start(
            client,
            options_for(new_workflow_id(f"{prefix}-signal"), task_queue, WAITING_TIMER_SECONDS),
            False,
        ),
    )
    waiting.before = await wait_for_position(
        client, waiting, "waiting for its signal", PARK_TIMEOUT
    )
    sleeping.before = await wait_for_position(
        client, sleeping, "sleeping in its timer", PARK_TIMEOUT
    )
    return InFlightPair(sleeping, waiting)


def _lost_or_stuck(
    endpoints: Endpoints, watched: Watched, what: str, exc: Exception
) -> AssertionError:
    return AssertionError(
        f"workflow {watched.workflow_id}, in flight at the disruption "
        f"({describe_position(watched.before)}), {what} — "
        f"{lost_or_kept(endpoints, watched.run_id, len(watched.before))}; {exc}"
    )


async def signal_waiting(
    client: Client, endpoints: Endpoints, pair: InFlightPair, timeout: float
) -> None:
    try:
        await send_signal(client, pair.waiting, timeout)
    except WaitTimeout as exc:
        raise _lost_or_stuck(endpoints, pair.waiting, "did not accept its signal", exc) from None


async def first_progress_seconds(
    client: Client,
    endpoints: Endpoints,
    pair: InFlightPair,
    disruption_started: datetime,
    timeout: float,
) -> float:
    """Seconds from the start of the disruption to the first workflow task either workflow
    completed after it (server clock: the event's own time)."""

    async def progress() -> list[HistoryEvent]:
        found = []
        for watched in pair.both:
            now = await read_history(client, watched.workflow_id, watched.run_id)
            if (event := first_progress(watched.before, now)) is not None:
                found.append(event)
        return found

    try:
        events = await wait_until_async(
            progress,
            what=f"workflow {pair.sleeping.workflow_id} or {pair.waiting.workflow_id} to move on",
            timeout=timeout,
            errors=(RPCError,),
            max_delay=0.1,
        )
    except WaitTimeout as exc:
        states = "; ".join(
            f"{w.workflow_id} ({describe_position(w.before)} before): "
            + lost_or_kept(endpoints, w.run_id, len(w.before))
            for w in pair.both
        )
        raise AssertionError(
            f"no in-flight workflow moved on after the disruption — {states}; {exc}"
        ) from None

    earliest = min(history.event_time(e) for e in events)
    return (earliest - disruption_started).total_seconds()


async def finish_all(
    client: Client, endpoints: Endpoints, watched: Sequence[Watched], timeout: float
) -> None:
    for one in watched:
        try:
            await finish(client, one, timeout)
        except WaitTimeout as exc:
            raise _lost_or_stuck(endpoints, one, "did not complete", exc) from None


def attachment(watched: Sequence[Watched]) -> list[dict[str, Any]]:
    """Each workflow's history before the disruption and, once closed, after it."""
    return [
        {
            "workflow_id": w.workflow_id,
            "run_id": w.run_id,
            "history_before_the_disruption": history_json(w.before),
            "history_after": history_json(w.record.events) if w.record else None,
        }
        for w in watched
    ]


def completion_problems(watched: Watched, app_database: str) -> list[str]:
    """Completed, all five stages in order (a signal sent with the start is checked by
    the result only), the timer no shorter than asked, the result
    right, and the history still starts with every event it had before the disruption."""
    record = watched.record
    assert record is not None, f"workflow {watched.workflow_id} was never waited for"
    problems = execution.result_problems(record, app_database)
    # A signal sent with the start is recorded first: it cannot follow the child stage.
    stages = [s for s in ALL_STAGES if not (watched.signalled_at_start and s == "signal handling")]
    problems += history.stage_order_problems(record.events, stages)
    problems += history.timer_problems(
        record.events, timedelta(seconds=watched.options.timer_seconds)
    )
    problems += history_differences(watched.before, record.events, closed=False)
    return [f"{watched.workflow_id}: {p}" for p in problems]


# -- an activity cut off by a worker crash ---------------------------------------------------

# The first attempt holds this long unless its worker dies first: far longer than the
# heartbeat timeout, so only a retry on another worker completes the workflow quickly.
HOLD_SECONDS = 30.0


async def start_held_activity(
    client: Client, task_queue: str, prefix: str, identity: str
) -> Watched:
    """Start a workflow whose first activity holds, and return once that activity runs (and
    heartbeats) on the worker `identity`."""
    options = options_for(new_workflow_id(prefix), task_queue, WAITING_TIMER_SECONDS, HOLD_SECONDS)
    watched = await start(client, options, True)
    handle = client.get_workflow_handle(watched.workflow_id, run_id=watched.run_id)

    async def running_on_worker() -> str:
        pending = (await handle.describe()).raw_description.pending_activities
        return "; ".join(
            f"{p.activity_type.name} {PendingActivityState.Name(p.state)} attempt {p.attempt} "
            f"on {p.last_worker_identity or 'nobody'}"
            + (" heartbeating" if p.HasField("last_heartbeat_time") else "")
            for p in pending
        )

    wanted = (
        f"{ACTIVITY_EXECUTION} PENDING_ACTIVITY_STATE_STARTED attempt 1 on {identity} heartbeating"
    )
    await wait_until_async(
        running_on_worker,
        what=f"{ACTIVITY_EXECUTION} of {watched.workflow_id} to run and heartbeat on {identity}",
        timeout=PARK_TIMEOUT,
        accept=lambda seen: seen == wanted,
        describe=lambda seen: seen or "no pending activity",
        errors=(RPCError,),
        max_delay=0.1,
    )
    watched.before = await read_history(client, watched.workflow_id, watched.run_id)
    return watched


def retried_elsewhere_problems(events: Sequence[HistoryEvent], old: str, new: str) -> list[str]:
    """The held activity completed on the new worker, in a later attempt than the first."""
    types = history.scheduled_activity_types(events)
    started = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and types.get(e.activity_task_started_event_attributes.scheduled_event_id)
        == ACTIVITY_EXECUTION
    ]
    runs = [r for r in history.activity_outcomes(events) if r.activity_type == ACTIVITY_EXECUTION]
    if not started or not runs:
        return [
            f"{ACTIVITY_EXECUTION} never completed: {[r.outcome for r in runs] or 'no outcome'}"
        ]
    problems = []
    attempt, identity = started[-1].attempt, started[-1].identity
    if attempt < 2:
        problems.append(
            f"{ACTIVITY_EXECUTION} ran only once (attempt {attempt} on {identity}): it was not "
            f"retried after {old} was killed"
        )
    if runs[-1].outcome != "ActivityTaskCompleted" or runs[-1].identity != new:
        problems.append(
            f"{ACTIVITY_EXECUTION} ended with {runs[-1].outcome} on {runs[-1].identity or '?'}, "
            f"not completed by the new worker process {new}"
        )
    return problems


# -- gate entry points ------------------------------------------------------------------------


async def progress_problems(
    client: Client,
    endpoints: Endpoints,
    pair: InFlightPair,
    timing: DisruptionTiming,
    healthy_within: float,
    progress_within: float,
) -> list[str]:
    """Measure when the first in-flight workflow moved on (recorded in `timing`) and judge
    the recovery against the feature's limits."""
    timing.progress_seconds = await first_progress_seconds(
        client, endpoints, pair, timing.started_at, max(30.0, 2 * progress_within)
    )
    return threshold_problems(timing, healthy_within, progress_within)


async def finished_whole(
    client: Client,
    endpoints: Endpoints,
    watched: Sequence[Watched],
    app_database: str,
    timeout: float,
) -> list[str]:
    """Wait until each has closed; every way one of them did not complete whole."""
    await finish_all(client, endpoints, watched, timeout)
    return [problem for one in watched for problem in completion_problems(one, app_database)]


async def retried_on(
    client: Client, endpoints: Endpoints, held: Watched, old: str, new: str, timeout: float
) -> list[str]:
    """Wait until the held workflow closed; whether its activity was retried on `new`."""
    await finish_all(client, endpoints, [held], timeout)
    assert held.record is not None
    return retried_elsewhere_problems(held.record.events, old, new)
