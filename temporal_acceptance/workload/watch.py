"""The workflows a persistence scenario watches: a completed one whose stored history must
come back unchanged, and in-flight ones parked where a disruption hurts most — sleeping in
their timer, waiting for their signal, or in the middle of an activity.

The predicates on histories are plain functions (unit-tested on hand-built histories); the
rest drives the test workflow through the run's Temporal client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError

from temporal_acceptance.core.verdict import GateFailed
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.events import type_name
from temporal_acceptance.workload.execute import (
    DEFAULT_EXECUTION_MARGIN,
    ExecutionOptions,
    ExecutionRecord,
)
from temporal_acceptance.workload.shared import TestSignal, TestWorkflowInput
from temporal_acceptance.workload.workflows import TestWorkflow

E = EventType
CLOSING_EVENTS = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


# -- where a history stands ----------------------------------------------------------------


def kinds(events: Sequence[HistoryEvent]) -> list[int]:
    return [e.event_type for e in events]


def closed(events: Sequence[HistoryEvent]) -> bool:
    return bool(events) and events[-1].event_type in CLOSING_EVENTS


def sleeping_in_timer(events: Sequence[HistoryEvent]) -> bool:
    """The timer was started (the server holds it) and has not fired."""
    seen = kinds(events)
    return E.EVENT_TYPE_TIMER_STARTED in seen and E.EVENT_TYPE_TIMER_FIRED not in seen


def past_its_timer(events: Sequence[HistoryEvent]) -> bool:
    return E.EVENT_TYPE_TIMER_FIRED in kinds(events)


def past_its_signal_wait(events: Sequence[HistoryEvent]) -> bool:
    return E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds(events) or closed(events)


def waiting_for_signal(events: Sequence[HistoryEvent]) -> bool:
    """The child completed and the workflow task that took its result in completed (the
    workflow now waits for its signal), and no signal has arrived."""
    seen = kinds(events)
    if E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in seen or closed(events):
        return False
    if E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED not in seen:
        return False
    after_child = seen[seen.index(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED) :]
    return E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in after_child


def waiting_for_worker(events: Sequence[HistoryEvent]) -> bool:
    """Its first workflow task is scheduled and no worker has picked it up."""
    seen = kinds(events)
    return E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED in seen and (
        E.EVENT_TYPE_WORKFLOW_TASK_STARTED not in seen
    )


def first_progress(
    before: Sequence[HistoryEvent], now: Sequence[HistoryEvent]
) -> HistoryEvent | None:
    """The first workflow task completed after the `before` reading: the server, its
    database and the worker have all moved this workflow on since."""
    return next(
        (e for e in now[len(before) :] if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        None,
    )


def describe_position(events: Sequence[HistoryEvent]) -> str:
    if not events:
        return "no history"
    return f"{len(events)} events, last {type_name(events[-1].event_type)}"


# -- driving workflows ---------------------------------------------------------------------


async def read_history(
    client: Client, workflow_id: str, run_id: str | None = None
) -> list[HistoryEvent]:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    return list((await handle.fetch_history()).events)


@dataclass
class Watched:
    """One workflow a scenario watches, with its input and the histories read so far."""

    options: ExecutionOptions
    run_id: str = ""
    signalled_at_start: bool = False
    before: list[HistoryEvent] = field(default_factory=list)  # read before the disruption
    record: ExecutionRecord | None = None  # filled when it has closed

    @property
    def workflow_id(self) -> str:
        return self.options.workflow_id


def workflow_input(options: ExecutionOptions) -> TestWorkflowInput:
    return TestWorkflowInput(
        options.message,
        options.timer_seconds,
        options.activity_attempts,
        options.activity_hold_seconds,
    )


async def start(client: Client, options: ExecutionOptions, signal_at_start: bool) -> Watched:
    """Start the test workflow; with `signal_at_start` its signal goes in with the start
    (it is recorded at once, and the workflow runs to completion on its own)."""
    extra: dict[str, Any] = {}
    if signal_at_start:
        extra = {
            "start_signal": "test_signal",
            "start_signal_args": [TestSignal(options.signal_payload)],
        }
    handle: WorkflowHandle[Any, Any] = await client.start_workflow(
        TestWorkflow.run,
        workflow_input(options),
        id=options.workflow_id,
        task_queue=options.task_queue,
        execution_timeout=options.resolved_timeout(),
        **extra,
    )
    return Watched(
        options, handle.first_execution_run_id or handle.result_run_id or "", signal_at_start
    )


async def wait_for_position(
    client: Client, watched: Watched, position: str, timeout: float
) -> list[HistoryEvent]:
    """Wait until the workflow's history shows it at `position` (see POSITIONS); fail at
    once when it shows the workflow already past it (it can never be seen there again)."""
    predicate, passed = POSITIONS[position], PASSED.get(position)

    async def history() -> list[HistoryEvent]:
        events = await read_history(client, watched.workflow_id, watched.run_id)
        if passed is not None and passed(events) and not predicate(events):
            seen = describe_position(events)
            problem = f"it went past '{position}' before it was seen there ({seen})"
            raise GateFailed(f"workflow {watched.workflow_id}", [problem])
        return events

    return await wait_until_async(
        history,
        what=f"workflow {watched.workflow_id} to be {position}",
        timeout=timeout,
        accept=predicate,
        describe=describe_position,
        errors=(RPCError,),
        fatal=(GateFailed,),
        max_delay=0.1,
    )


POSITIONS = {
    "sleeping in its timer": sleeping_in_timer,
    "waiting for its signal": waiting_for_signal,
    "waiting for a worker": waiting_for_worker,
    "closed": closed,
}
# Where a workflow is once it has left a position for good.
PASSED = {
    "sleeping in its timer": past_its_timer,
    "waiting for its signal": past_its_signal_wait,
}


async def send_signal(client: Client, watched: Watched, timeout: float) -> None:
    """Signal the workflow, retrying while the deployment is still recovering."""
    handle = client.get_workflow_handle(watched.workflow_id, run_id=watched.run_id)

    async def attempt() -> bool:
        await handle.signal(TestWorkflow.test_signal, TestSignal(watched.options.signal_payload))
        return True

    await wait_until_async(
        attempt,
        what=f"workflow {watched.workflow_id} to accept its signal",
        timeout=timeout,
        errors=(RPCError,),
        max_delay=0.2,
    )


async def finish(client: Client, watched: Watched, timeout: float) -> ExecutionRecord:
    """Wait until the workflow closed; its record (history, result or failure) for the
    checks the execution gates use."""
    events = await wait_for_position(client, watched, "closed", timeout)
    record = ExecutionRecord(watched.workflow_id, watched.run_id, watched.options)
    record.events = events
    record.outcome = type_name(events[-1].event_type)
    handle = client.get_workflow_handle_for(
        TestWorkflow.run, watched.workflow_id, run_id=watched.run_id
    )
    try:
        record.result = await handle.result()
    except WorkflowFailureError as exc:
        record.failure = str(exc.cause or exc)
    watched.record = record
    return record


def options_for(
    workflow_id: str,
    task_queue: str,
    timer_seconds: float,
    hold_seconds: float = 0.0,
    margin: float = DEFAULT_EXECUTION_MARGIN,
) -> ExecutionOptions:
    """`margin`: how long the workflow may take beyond its timer and held activity before
    it times out (a workflow in flight across an upgrade and its rollback needs more)."""
    return ExecutionOptions(
        workflow_id,
        task_queue,
        timer_seconds=timer_seconds,
        activity_hold_seconds=hold_seconds,
        execution_timeout=timer_seconds + hold_seconds + margin,
    )
