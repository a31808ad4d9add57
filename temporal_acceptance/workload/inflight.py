"""In-flight work across a disruption: a workflow sleeping in its timer and one waiting
for its signal (they must both resume and complete with their full histories), and a
workflow whose activity is cut off by a worker crash (it must be retried elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.events import history_json
from temporal_acceptance.workload.execute import DEFAULT_EXECUTION_MARGIN
from temporal_acceptance.workload.shared import ACTIVITY_EXECUTION, new_workflow_id
from temporal_acceptance.workload.watch import (
    Watched,
    options_for,
    read_history,
    start,
    wait_for_position,
)

E = EventType
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
    client: Client,
    task_queue: str,
    prefix: str,
    timer_seconds: float,
    margin: float = DEFAULT_EXECUTION_MARGIN,
) -> InFlightPair:
    """Start both and return once each is where the disruption should find it; their
    histories at that point are kept as `before`. `margin`: see watch.options_for.

    The sleeping one starts only once the other waits for its signal (a child workflow and
    a timer of its own first: seconds on a loaded machine), so the disruption finds it early
    in its timer; started together, a busy machine let its timer fire before it was seen."""
    sleeping_options = options_for(
        new_workflow_id(f"{prefix}-timer"), task_queue, timer_seconds, margin=margin
    )
    waiting_options = options_for(
        new_workflow_id(f"{prefix}-signal"), task_queue, WAITING_TIMER_SECONDS, margin=margin
    )
    waiting = await start(client, waiting_options, False)
    waiting.before = await wait_for_position(
        client, waiting, "waiting for its signal", PARK_TIMEOUT
    )
    sleeping = await start(client, sleeping_options, True)
    sleeping.before = await wait_for_position(
        client, sleeping, "sleeping in its timer", PARK_TIMEOUT
    )
    return InFlightPair(sleeping, waiting)


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


# -- gate entry points ------------------------------------------------------------------------
