"""Many workflows in flight at every position a crash can find them: sleeping in their
timer, waiting for their signal, in the middle of an activity. Many of each, so that every
history host owns some of each kind when one of them dies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.shared import ACTIVITY_EXECUTION
from temporal_acceptance.workload.watch import (
    Watched,
    options_for,
    read_history,
    start,
    wait_for_position,
)

TIMER, SIGNAL, ACTIVITY = "timer", "signal", "activity"
KINDS = (TIMER, SIGNAL, ACTIVITY)
POSITIONS = {
    TIMER: "sleeping in its timer",
    SIGNAL: "waiting for its signal",
    ACTIVITY: "running its first activity",
}
# The timers are parked last, right before the disruption, and come due a few seconds after
# it: while a crashed host's shards have no owner (about 5 s measured), so their lateness
# shows what the crash delayed. Long enough that every timer of the batch is still pending
# when the last one is parked (parking 17 takes 1–3 s on a loaded 2-core machine).
TIMER_SECONDS = 6.0
# The activities, parked first, hold long enough to be running when the disruption comes.
HOLD_SECONDS = 20.0
# The workflow that waits for its signal gets through its own short timer first.
SIGNAL_TIMER_SECONDS = 1.0
PARK_TIMEOUT = 60.0


@dataclass
class Parked:
    kind: str
    watched: Watched
    shard: int = 0  # the history shard its execution lives on (read from PostgreSQL)

    @property
    def workflow_id(self) -> str:
        return self.watched.workflow_id


@dataclass
class MixedLoad:
    prefix: str
    parked: list[Parked] = field(default_factory=list)

    @property
    def watched(self) -> list[Watched]:
        return [p.watched for p in self.parked]

    @property
    def ids(self) -> list[str]:
        return [p.workflow_id for p in self.parked]

    def of_kind(self, kind: str) -> list[Parked]:
        return [p for p in self.parked if p.kind == kind]


async def start_mixed(
    client: Client, task_queue: str, prefix: str, count: int, kinds: tuple[str, ...] = KINDS
) -> MixedLoad:
    """Start the test workflows of `kinds` among `count` at once (kinds in turn: timer,
    signal, activity)."""

    async def one(i: int) -> Parked:
        kind = KINDS[i % len(KINDS)]
        workflow_id = f"{prefix}-{kind}-{i:03d}"
        if kind == TIMER:
            options, signalled = options_for(workflow_id, task_queue, TIMER_SECONDS), True
        elif kind == SIGNAL:
            options, signalled = options_for(workflow_id, task_queue, SIGNAL_TIMER_SECONDS), False
        else:
            options = options_for(workflow_id, task_queue, SIGNAL_TIMER_SECONDS, HOLD_SECONDS)
            signalled = True
        return Parked(kind, await start(client, options, signalled))

    chosen = [i for i in range(count) if KINDS[i % len(KINDS)] in kinds]
    return MixedLoad(prefix, list(await asyncio.gather(*(one(i) for i in chosen))))


async def _activity_running(client: Client, watched: Watched) -> str:
    handle = client.get_workflow_handle(watched.workflow_id, run_id=watched.run_id)
    pending = (await handle.describe()).raw_description.pending_activities
    return "; ".join(
        f"{p.activity_type.name} {PendingActivityState.Name(p.state)} attempt {p.attempt}"
        for p in pending
    )


async def park(client: Client, parked: Parked, timeout: float = PARK_TIMEOUT) -> None:
    """Wait until the workflow is at its kind's position; keep its history there."""
    watched = parked.watched
    if parked.kind != ACTIVITY:
        watched.before = await wait_for_position(client, watched, POSITIONS[parked.kind], timeout)
        return
    wanted = f"{ACTIVITY_EXECUTION} PENDING_ACTIVITY_STATE_STARTED attempt 1"
    await wait_until_async(
        lambda: _activity_running(client, watched),
        what=f"{ACTIVITY_EXECUTION} of {watched.workflow_id} to run on a worker",
        timeout=timeout,
        accept=lambda seen: seen == wanted,
        describe=lambda seen: seen or "no pending activity",
        errors=(RPCError,),
    )
    watched.before = await read_history(client, watched.workflow_id, watched.run_id)


async def park_mixed(client: Client, task_queue: str, prefix: str, count: int) -> MixedLoad:
    """Start the load and return once every workflow is at its position: those waiting for
    their signal or in their activity first, the timers last (see TIMER_SECONDS)."""
    early = await start_mixed(client, task_queue, prefix, count, (SIGNAL, ACTIVITY))
    await asyncio.gather(*(park(client, p) for p in early.parked))
    timers = await start_mixed(client, task_queue, prefix, count, (TIMER,))
    await asyncio.gather(*(park(client, p) for p in timers.parked))
    return MixedLoad(prefix, early.parked + timers.parked)


async def park_sleeping(
    client: Client, task_queue: str, prefix: str, count: int, timer_seconds: float
) -> MixedLoad:
    """`count` workflows (signalled at their start), returned once each sleeps in its timer."""
    watched = await asyncio.gather(
        *(
            start(client, options_for(f"{prefix}-{i:03d}", task_queue, timer_seconds), True)
            for i in range(count)
        )
    )
    load = MixedLoad(prefix, [Parked(TIMER, one) for one in watched])
    await asyncio.gather(*(park(client, p) for p in load.parked))
    return load


async def start_waiting(client: Client, task_queue: str, prefix: str, count: int) -> MixedLoad:
    """`count` workflows (signalled at their start, 1 s timers) started while no worker
    polls: each returns once its first workflow task is scheduled and waits for a worker."""
    watched = await asyncio.gather(
        *(
            start(client, options_for(f"{prefix}-{i:03d}", task_queue, SIGNAL_TIMER_SECONDS), True)
            for i in range(count)
        )
    )
    load = MixedLoad(prefix, [Parked(TIMER, one) for one in watched])
    for one in load.watched:
        one.before = await wait_for_position(client, one, "waiting for a worker", PARK_TIMEOUT)
    return load
