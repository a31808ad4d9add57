"""Test workflows in a chosen state — running, failed, terminated, timed out — made through
Temporal's API on the run's test worker, so the UI gates can check it shows each state as
Temporal records it (not only the happy path).

Nothing here changes the test workflow: each state comes from its ordinary input and the
client's ordinary calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from temporal_acceptance.core.text import squeeze
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.events import STATUS_NAMES
from temporal_acceptance.workload.execute import ExecutionOptions, run_test_workflow
from temporal_acceptance.workload.shared import TestWorkflowInput, new_workflow_id
from temporal_acceptance.workload.workflows import TestWorkflow

E = EventType
STATES = ("running", "failed", "terminated", "timed out")
# A running workflow waits in its timer stage far longer than any scenario; the execution
# timeout ends it even if the scenario's cleanup (terminate) never ran.
LONG_TIMER_SECONDS = 600.0
RUNNING_EXECUTION_TIMEOUT = timedelta(minutes=15)
# The shortest execution timeout Temporal enforces reliably (whole seconds).
SHORT_EXECUTION_TIMEOUT = timedelta(seconds=1)
# PostgreSQL text cannot hold a NUL character: the database activity fails on this message
# with the database's own error, and with one attempt the workflow fails.
UNSTORABLE_MESSAGE = "a message the application database cannot store: \x00"
TERMINATE_REASON = "terminated by the UI gates of temporal-acceptance"
# How long a state may take to show through the API (worker pick-up, timeout enforcement).
STATE_TIMEOUT = 30.0


@dataclass(frozen=True)
class WorkflowInState:
    workflow_id: str
    run_id: str
    status: str  # as Temporal reports it: Running, Failed, Terminated, TimedOut
    reason: str  # why Temporal says it closed ('' while running, or when it records none)


def closing_reason(events: Sequence[HistoryEvent]) -> str:
    """The text Temporal recorded for why a run closed: the root cause of a failure, the
    reason of a termination; '' for other endings and for a running workflow."""
    if not events:
        return ""
    last = events[-1]
    if last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        failure = last.workflow_execution_failed_event_attributes.failure
        while failure.HasField("cause"):
            failure = failure.cause
        return failure.message
    if last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return last.workflow_execution_terminated_event_attributes.reason
    return ""


async def _start_sleeping(
    client: Client, workflow_id: str, task_queue: str, execution_timeout: timedelta
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        TestWorkflow.run,
        TestWorkflowInput(timer_seconds=LONG_TIMER_SECONDS),
        id=workflow_id,
        task_queue=task_queue,
        execution_timeout=execution_timeout,
    )


async def _history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return list((await handle.fetch_history()).events)


async def history_events(client: Client, workflow_id: str, run_id: str) -> list[HistoryEvent]:
    """The run's history as Temporal's API serves it (what the UI must show)."""
    return await _history(client.get_workflow_handle(workflow_id, run_id=run_id))


async def _wait_in_timer(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the worker has taken the workflow to its timer stage (it is really running)."""
    await wait_until_async(
        lambda: _history(handle),
        what=f"workflow {handle.id} to reach its timer on the test worker",
        timeout=STATE_TIMEOUT,
        accept=lambda events: any(e.event_type == E.EVENT_TYPE_TIMER_STARTED for e in events),
        describe=lambda events: (
            f"{len(events)} events, the last {events[-1].event_type if events else 'none'}"
        ),
        errors=(RPCError,),
    )


async def _status(handle: WorkflowHandle[Any, Any]) -> str:
    description = await handle.describe()
    code = int(description.status) if description.status is not None else 0
    return STATUS_NAMES.get(code, f"status {code}")


async def _wait_status(handle: WorkflowHandle[Any, Any], status: str) -> None:
    await wait_until_async(
        lambda: _status(handle),
        what=f"Temporal to report workflow {handle.id} as {status}",
        timeout=STATE_TIMEOUT,
        accept=lambda seen: seen == status,
        describe=str,
        errors=(RPCError,),
    )


async def make_workflow_in_state(
    client: Client, task_queue: str, state: str, workflow_id: str = ""
) -> WorkflowInState:
    """Run the test workflow into `state` (one of STATES) and return what Temporal says
    about it. A running one keeps running: the caller terminates it when done."""
    if state not in STATES:
        raise ValueError(f"unknown workflow state {state!r}; known: {', '.join(STATES)}")
    workflow_id = workflow_id or new_workflow_id(f"temporal-ui-{squeeze(state)}")
    if state == "failed":
        options = ExecutionOptions(
            workflow_id, task_queue, message=UNSTORABLE_MESSAGE, timer_seconds=1.0,
            activity_attempts=1,
        )  # fmt: skip
        record = await run_test_workflow(client, options)
        handle = client.get_workflow_handle_for(TestWorkflow.run, workflow_id, run_id=record.run_id)
    elif state == "timed out":
        handle = await _start_sleeping(client, workflow_id, task_queue, SHORT_EXECUTION_TIMEOUT)
        await _wait_status(handle, "TimedOut")
    else:
        handle = await _start_sleeping(client, workflow_id, task_queue, RUNNING_EXECUTION_TIMEOUT)
        await _wait_in_timer(handle)
        if state == "terminated":
            await handle.terminate(reason=TERMINATE_REASON)
    events = await _history(handle)
    run_id = handle.result_run_id or handle.run_id or ""
    made = WorkflowInState(workflow_id, run_id, await _status(handle), closing_reason(events))
    expected = {"running": "Running", "failed": "Failed", "terminated": "Terminated"}
    wanted = expected.get(state, "TimedOut")
    if made.status != wanted:
        raise AssertionError(
            f"workflow {workflow_id} was to be {state}, but Temporal reports it {made.status}"
            + (f" ({made.reason})" if made.reason else "")
        )
    return made


async def terminate_if_running(client: Client, workflow_id: str, run_id: str) -> None:
    """Cleanup: never leave a test workflow running after its scenario."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        if await _status(handle) == "Running":
            await handle.terminate(reason=f"{TERMINATE_REASON}: scenario over")
    except RPCError:
        pass  # already closed (or gone): nothing is left running
