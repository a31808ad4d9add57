"""Gates about work in flight while one Temporal role process is away: signals and
completions of the workflows a dead history host held, how late their timers fired, the
tasks that waited for matching, and clients finding a restarted frontend again.

Times are the server's own (history event times), measured from the disruption's start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from temporal_acceptance.checks.inflight import completion_problems
from temporal_acceptance.checks.recovery import progress_problems
from temporal_acceptance.checks.topology import (
    Lateness,
    coverage_problems,
    delivery_lateness,
    first_progress_since,
    late_summary,
    lateness_problems,
    timer_lateness,
)
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.gates.topology import Takeover, late_after
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload.events import E, event_time
from temporal_acceptance.workload.execute import (
    ExecutionOptions,
    finish_test_workflow,
    start_test_workflow,
)
from temporal_acceptance.workload.mixed import KINDS, SIGNAL, TIMER, MixedLoad, Parked
from temporal_acceptance.workload.shared import new_workflow_id
from temporal_acceptance.workload.watch import (
    Watched,
    finish,
    read_history,
    send_signal,
)

SIGNAL_TIMEOUT = 60.0  # a signal may be refused while the workflow's shard has no owner


async def signal_all(client: Client, load: MixedLoad) -> list[str]:
    """Signal every workflow that waits for its signal (retried while a shard moves)."""

    async def one(parked: Parked) -> str:
        try:
            await send_signal(client, parked.watched, SIGNAL_TIMEOUT)
        except WaitTimeout as exc:
            return f"{parked.workflow_id} did not accept its signal: {exc}"
        return ""

    outcomes = await asyncio.gather(*(one(p) for p in load.of_kind(SIGNAL)))
    return [problem for problem in outcomes if problem]


async def progress_on(
    client: Client, load: MixedLoad, takeover: Takeover, timing: DisruptionTiming, within: float
) -> tuple[int, list[str]]:
    """The workflows on the dead host's shards (each kind among them) moved on: the first
    workflow task completed on any of them after the kill, in the server's clock."""
    affected = [p for p in load.parked if p.shard in set(takeover.shards)]
    problems = coverage_problems([p.kind for p in affected], KINDS)

    async def moved_on() -> list[datetime]:
        found = []
        for parked in affected:
            watched = parked.watched
            events = await read_history(client, watched.workflow_id, watched.run_id)
            if (event := first_progress_since(events, crashed_at(timing))) is not None:
                found.append(event_time(event))
        return found

    try:
        times = await wait_until_async(
            moved_on,
            what="a workflow on the dead host's shards to move on",
            timeout=max(30.0, 2 * within),
            errors=(RPCError,),
        )
        timing.progress_seconds = (min(times) - timing.started_at).total_seconds()
    except WaitTimeout as exc:
        problems.append(f"no workflow on the dead host's shards moved on: {exc}")
    return len(affected), problems + (
        progress_problems(timing, within) if timing.progress_seconds is not None else []
    )


async def completed_whole(
    client: Client, watched: Sequence[Watched], app_database: str, timeout: float
) -> list[str]:
    """Each closes within `timeout` (all together), completed with everything the
    execution gates ask of it and its history before the disruption intact."""
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    for one in watched:
        try:
            record = await finish(client, one, max(1.0, deadline - time.monotonic()))
        except WaitTimeout as exc:
            problems.append(f"{one.workflow_id} did not complete within {timeout:g} s: {exc}")
            continue
        problems += completion_problems(one, record, app_database)
    return problems


@dataclass
class LateReport:
    """How late the work due during an outage ran."""

    late: list[Lateness]
    what: str
    control: list[Lateness] = field(default_factory=list)  # the same kind of work, unaffected

    @property
    def worst(self) -> float | None:
        return max((one.seconds for one in self.late), default=None)

    @property
    def counts(self) -> dict[str, Any]:
        return {
            "affected": late_summary(self.late),
            **({"unaffected": late_summary(self.control)} if self.control else {}),
        }

    def problems(self, within: float) -> list[str]:
        if not self.late:
            return [f"no {self.what} came due during the outage: the scenario proves nothing"]
        return lateness_problems(self.late, within, self.what)

    @property
    def evidence(self) -> str:
        lines = [f"{self.what} affected by the outage: {late_summary(self.late)}"]
        lines += [f"  {one.line()}" for one in sorted(self.late, key=lambda o: -o.seconds)]
        if self.control:
            lines.append(f"{self.what} elsewhere (for comparison): {late_summary(self.control)}")
        return "\n".join(lines)


def crashed_at(timing: DisruptionTiming) -> datetime:
    """When the killed process was gone (the kill returned): the host may still have
    written events between the disruption's start and then."""
    return timing.started_at + timedelta(seconds=timing.stopped_seconds or 0.0)


def timers_late(load: MixedLoad, takeover: Takeover, timing: DisruptionTiming) -> LateReport:
    """How late the timers that came due after the crash fired: those on the dead host's
    shards, against those on the surviving host's (the comparison)."""
    dead = set(takeover.shards)
    affected: list[Lateness] = []
    control: list[Lateness] = []
    for parked in load.of_kind(TIMER):
        record = parked.watched.record
        if record is None or (late := timer_lateness(parked.workflow_id, record.events)) is None:
            continue
        if late.due >= crashed_at(timing):
            (affected if parked.shard in dead else control).append(late)
    return LateReport(affected, "timers due after the crash", control)


async def timers_fired(client: Client, load: MixedLoad, stack: Stack) -> list[str]:
    """Wait until every workflow's timer has fired (history writes it without matching);
    matching must still be down then, or the scenario proves nothing."""

    async def fired() -> list[str]:
        waiting = []
        for parked in load.parked:
            events = await read_history(client, parked.workflow_id, parked.watched.run_id)
            if E.EVENT_TYPE_TIMER_FIRED not in [e.event_type for e in events]:
                waiting.append(parked.workflow_id)
        return waiting

    longest = max(p.watched.options.timer_seconds for p in load.parked)
    try:
        await wait_until_async(
            fired,
            what="every timer to fire",
            timeout=longest + 30.0,
            accept=lambda waiting: not waiting,
            describe=lambda waiting: f"{len(waiting)} not fired: {waiting[:5]}",
            errors=(RPCError,),
        )
    except WaitTimeout as exc:
        return [str(exc)]
    matching = stack.process_status(stack.process_for(Service.TEMPORAL, "matching"))
    return (
        [f"matching was back before the timers fired: {matching.line()}"]
        if matching.running
        else []
    )


def delivered_late(load: MixedLoad, timing: DisruptionTiming) -> LateReport:
    """For every workflow task scheduled while matching was down and started after it was
    started again: how long after that start it was delivered (matching may hand out tasks
    before its health check says so, so the start, not the health, is the reference)."""
    back = timing.started_at
    late = []
    for parked in load.parked:
        record = parked.watched.record
        if record is not None and (
            one := delivery_lateness(parked.workflow_id, record.events, back)
        ):
            late.append(one)
    return LateReport(late, "tasks waiting for matching")


# -- the frontend restarted ---------------------------------------------------------------------


async def new_workflow_after(
    client: Client, task_queue: str, timing: DisruptionTiming, within: float, prefix: str
) -> tuple[float | None, list[str]]:
    """A new test workflow, started through the client connected before the disruption,
    runs to completion; seconds from the disruption's start to the workflow's start (the
    server's clock). A refused start is tried again until `within` seconds after the
    disruption began: the SDK gives up on its own after about 10 s of retries, and a
    history host back at its old address can be out of the frontend's reach for longer
    (its connection waits out the reconnect backoff: docs/TOPOLOGY.md), so the bound that
    judges is the gate's own, and its refusal says what the frontend answered last."""
    elapsed = (datetime.now(UTC) - timing.started_at).total_seconds()

    async def start() -> tuple[ExecutionOptions, WorkflowHandle[Any, Any]]:
        options = ExecutionOptions(new_workflow_id(prefix), task_queue, timer_seconds=1)
        return options, await start_test_workflow(client, options)

    try:
        options, handle = await wait_until_async(
            start,
            what=f"the frontend to accept a new workflow (limit: {within:g} s from the "
            f"{timing.disruption})",
            timeout=max(within - elapsed, 1.0),
            accept=lambda _: True,
            errors=(RPCError,),
            max_delay=0.5,
        )
    except WaitTimeout as exc:
        return None, [f"no new workflow could be started: {exc}"]
    try:
        record = await finish_test_workflow(handle, options)
    except (RPCError, AssertionError) as exc:
        return None, [f"the new workflow {handle.id} did not run: {type(exc).__name__}: {exc}"]
    started = next(
        (e for e in record.events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), None
    )
    if started is None or record.outcome != "WorkflowExecutionCompleted":
        return None, [f"the new workflow {record.workflow_id} ended {record.outcome}"]
    took = (event_time(started) - timing.started_at).total_seconds()
    return took, late_after(took, within, f"the new workflow {record.workflow_id} started")


# The wait for the worker's polls after a frontend restart: at least this long, so a slow
# reconnect is measured (and judged against the scenario's limit), not cut short.
POLL_AGAIN_AT_LEAST = 30.0


async def polled_again(
    client: Client, driver: Any, timing: DisruptionTiming, within: float
) -> tuple[float | None, list[str]]:
    """The test worker polls through the restarted frontend: both its poll kinds seen
    after the old frontend was gone; seconds from the restart to the later of the two.

    Not "after the stack was healthy again": the SDK reconnects as soon as the new frontend
    listens, before the suite's own health check has said so, and a poll that finds no task
    stays parked for a minute. Activity polls find none here: the SDK takes the activities
    of its own workflows eagerly, with the workflow task's completion (2026-12-03: a run
    failed so, its activity poll made between the start and the health check)."""
    gone = timing.stopped_seconds
    back = timing.started_at + timedelta(
        seconds=gone if gone is not None else timing.healthy_seconds
    )

    async def since_back() -> dict[str, datetime]:
        polls: dict[str, datetime] = await driver.last_polls(client, lambda _, at: at >= back)
        return {kind: at for kind, at in polls.items() if at >= back}

    try:
        polls = await wait_until_async(
            since_back,
            what=f"{driver.spec.identity} to poll through the restarted frontend",
            timeout=max(POLL_AGAIN_AT_LEAST, 2 * within),
            accept=lambda seen: len(seen) >= 2,
            errors=(RPCError,),
        )
    except WaitTimeout as exc:
        return None, [str(exc)]
    took = (max(polls.values()) - timing.started_at).total_seconds()
    return took, late_after(took, within, f"{driver.spec.identity} polled again")
