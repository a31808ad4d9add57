"""Phase 4 gates that wait for the deployment and then judge: the witness workflow and its
stored readings, in-flight workflows moving on and completing, an activity retried after a
worker crash. Each returns its problems; a workflow that does not move on is reported as
lost or stuck from what PostgreSQL still holds of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from temporal_acceptance.checks import execution
from temporal_acceptance.checks.inflight import completion_problems, retried_elsewhere_problems
from temporal_acceptance.checks.logscan import Disturbance, ScanResult
from temporal_acceptance.checks.recovery import progress_problems, progress_seconds
from temporal_acceptance.checks.restart_noise import MULTIROLE_NOISE, RESTART_NOISE
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.gates.logs import scan_logs
from temporal_acceptance.probes.stored import (
    WITNESS_TIMER_SECONDS,
    StoredReading,
    Witness,
    lost_or_kept,
    read_stored,
)
from temporal_acceptance.probes.workflow_rows import wait_visibility_closed
from temporal_acceptance.stack.base import START_ORDER, Service, Stack
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload.execute import ExecutionOptions, run_test_workflow
from temporal_acceptance.workload.inflight import InFlightPair
from temporal_acceptance.workload.shared import new_workflow_id
from temporal_acceptance.workload.watch import (
    Watched,
    describe_position,
    finish,
    first_progress,
    read_history,
    send_signal,
)


def _lost_or_stuck(endpoints: Endpoints, watched: Watched, what: str, exc: Exception) -> str:
    return (
        f"workflow {watched.workflow_id}, in flight at the disruption "
        f"({describe_position(watched.before)}), {what} — "
        f"{lost_or_kept(endpoints, watched.run_id, len(watched.before))}; {exc}"
    )


# -- the witness: a completed workflow read before and after ---------------------------------


async def witness(
    client: Client, endpoints: Endpoints, task_queue: str, cached: Witness | None
) -> tuple[Witness | None, list[str]]:
    """The completed workflow whose history the scenario compares: the cached one while it
    is still completed, else a new run, which must complete (and be in visibility, whose
    rows the snapshot counts)."""
    if cached is not None:
        try:
            handle = client.get_workflow_handle(cached.workflow_id, run_id=cached.run_id)
            if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
                return cached, []
        except RPCError:
            pass
    options = ExecutionOptions(
        new_workflow_id("persistence-witness"), task_queue, timer_seconds=WITNESS_TIMER_SECONDS
    )
    record = await run_test_workflow(client, options)
    if problems := execution.not_completed(record):
        return None, [f"the witness workflow did not complete: {problem}" for problem in problems]
    try:
        wait_visibility_closed(endpoints, record.workflow_id, record.run_id)
    except WaitTimeout as exc:
        return None, [f"the witness workflow is not in the visibility database: {exc}"]
    return Witness(record.workflow_id, record.run_id), []


async def reading(
    client: Client, endpoints: Endpoints, witness: Witness, before: StoredReading | None = None
) -> StoredReading:
    """Everything read (again): with `before`, the row counts cover exactly its runs."""
    return await read_stored(client, endpoints, witness, before)


# -- in-flight workflows ----------------------------------------------------------------------


# A workflow slower than the feature's limit to move on is still waited for this long (or
# twice the limit): the figure says how late it was, not only that it was.
PROGRESS_WAIT_AT_LEAST = 30.0


async def signal_waiting(
    client: Client, endpoints: Endpoints, pair: InFlightPair, timeout: float
) -> list[str]:
    try:
        await send_signal(client, pair.waiting, timeout)
    except WaitTimeout as exc:
        return [_lost_or_stuck(endpoints, pair.waiting, "did not accept its signal", exc)]
    return []


async def moved_on_within(
    client: Client,
    endpoints: Endpoints,
    pair: InFlightPair,
    timing: DisruptionTiming,
    progress_within: float,
) -> list[str]:
    """Wait for the first workflow task either workflow completed after the disruption
    began (recorded in `timing`, in the server's clock) and judge the recovery against the
    feature's limits."""

    async def moved_on() -> list[HistoryEvent]:
        found = []
        for watched in pair.both:
            now = await read_history(client, watched.workflow_id, watched.run_id)
            if (event := first_progress(watched.before, now)) is not None:
                found.append(event)
        return found

    try:
        events = await wait_until_async(
            moved_on,
            what=f"workflow {pair.sleeping.workflow_id} or {pair.waiting.workflow_id} to move on",
            timeout=max(PROGRESS_WAIT_AT_LEAST, 2 * progress_within),
            errors=(RPCError,),
            max_delay=0.1,
        )
    except WaitTimeout as exc:
        states = "; ".join(
            f"{w.workflow_id} ({describe_position(w.before)} before): "
            + lost_or_kept(endpoints, w.run_id, len(w.before))
            for w in pair.both
        )
        return [f"no in-flight workflow moved on after the disruption — {states}; {exc}"]
    timing.progress_seconds = progress_seconds(events, timing.started_at)
    return progress_problems(timing, progress_within)


async def finished_whole(
    client: Client,
    endpoints: Endpoints,
    watched: Sequence[Watched],
    app_database: str,
    timeout: float,
) -> list[str]:
    """Wait until each has closed; every way one of them did not complete whole."""
    problems: list[str] = []
    for one in watched:
        try:
            record = await finish(client, one, timeout)
        except WaitTimeout as exc:
            problems.append(_lost_or_stuck(endpoints, one, "did not complete", exc))
            continue
        problems += completion_problems(one, record, app_database)
    return problems


async def retried_on(
    client: Client, endpoints: Endpoints, held: Watched, old: str, new: str, timeout: float
) -> list[str]:
    """Wait until the held workflow closed; whether its activity was retried on `new`."""
    try:
        record = await finish(client, held, timeout)
    except WaitTimeout as exc:
        return [_lost_or_stuck(endpoints, held, "did not complete", exc)]
    return retried_elsewhere_problems(record.events, old, new)


async def scan_window(
    stack: Stack,
    client: Client,
    endpoints: Endpoints,
    since: datetime,
    disturbances: Sequence[Disturbance],
) -> tuple[ScanResult, dict[str, str]]:
    """Every service's lines since `since`: each must have logged, and nothing at error
    level but the restart noise allowed after `disturbances` (each entry in its window; on
    the multirole topology also the shard handoff and role restarts)."""
    multirole = len(stack.processes(Service.TEMPORAL)) > 1
    allowlist = RESTART_NOISE + (MULTIROLE_NOISE if multirole else ())
    return await scan_logs(
        stack, client, endpoints, START_ORDER, since, None, allowlist, disturbances
    )
