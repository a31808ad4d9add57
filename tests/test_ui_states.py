"""Test workflows in the states the UI gates look at, made through the API: the reasons
Temporal records, and each state against a real Temporal dev server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from conftest import LoopRunner
from history_builder import E, HistoryBuilder, full_history
from temporalio import activity
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import (
    WorkflowExecutionFailedEventAttributes,
    WorkflowExecutionTerminatedEventAttributes,
)
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from temporal_acceptance.workload import activities, states
from temporal_acceptance.workload.shared import (
    DATABASE_OPERATION,
    DatabaseOperationInput,
    DatabaseRow,
)
from temporal_acceptance.workload.states import closing_reason, make_workflow_in_state
from temporal_acceptance.workload.workflows import ChildTestWorkflow, TestWorkflow

NUL_REJECTED = "PostgreSQL text fields cannot contain NUL (0x00) bytes"


def test_a_failure_is_explained_by_its_root_cause() -> None:
    b = HistoryBuilder()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    failure = Failure(message="Activity task failed", cause=Failure(message="disk full"))
    b.add(
        E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        workflow_execution_failed_event_attributes=WorkflowExecutionFailedEventAttributes(
            failure=failure
        ),
    )
    assert closing_reason(b.events) == "disk full"


def test_a_termination_is_explained_by_its_reason() -> None:
    b = HistoryBuilder()
    b.add(
        E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        workflow_execution_terminated_event_attributes=WorkflowExecutionTerminatedEventAttributes(
            reason="operator stopped it"
        ),
    )
    assert closing_reason(b.events) == "operator stopped it"


def test_other_endings_and_running_workflows_have_no_reason() -> None:
    assert closing_reason(full_history()) == ""
    assert closing_reason(full_history()[:5]) == ""
    assert closing_reason([]) == ""


def test_an_unknown_state_is_refused(run: LoopRunner) -> None:
    with pytest.raises(ValueError, match="unknown workflow state 'paused'"):
        run(make_workflow_in_state(None, "queue", "paused"))  # type: ignore[arg-type]


# -- against a dev server ------------------------------------------------------------------


@activity.defn(name=DATABASE_OPERATION)
async def postgres_like_database_operation(request: DatabaseOperationInput) -> DatabaseRow:
    """Refuses a NUL character as PostgreSQL does; stores nothing."""
    if "\x00" in request.payload:
        raise ApplicationError(f"application database round trip failed: {NUL_REJECTED}")
    return DatabaseRow(1, request.workflow_id, request.run_id, request.payload, "", "fake", "t")


@asynccontextmanager
async def worker(client: Client) -> AsyncIterator[str]:
    task_queue = f"ui-states-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TestWorkflow, ChildTestWorkflow],
        activities=[activities.test_activity_execution, postgres_like_database_operation],
    ):
        yield task_queue


@pytest.mark.devserver
@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        ("running", "Running", ""),
        ("failed", "Failed", f"application database round trip failed: {NUL_REJECTED}"),
        ("terminated", "Terminated", states.TERMINATE_REASON),
        ("timed out", "TimedOut", ""),
    ],
)
def test_each_state_is_made_and_reported_as_temporal_records_it(
    run: LoopRunner, dev_env: WorkflowEnvironment, state: str, status: str, reason: str
) -> None:
    client = dev_env.client

    async def scenario() -> tuple[states.WorkflowInState, str]:
        async with worker(client) as queue:
            made = await make_workflow_in_state(client, queue, state)
            await states.terminate_if_running(client, made.workflow_id, made.run_id)
            after = await states._status(client.get_workflow_handle(made.workflow_id))
        return made, after

    made, after_cleanup = run(scenario())
    assert made.workflow_id.startswith(f"temporal-ui-{state.replace(' ', '')}-")
    assert made.run_id
    assert made.status == status
    assert made.reason == reason
    # The cleanup leaves nothing running, and leaves closed runs as they were.
    assert after_cleanup == ("Terminated" if state == "running" else status)


@pytest.mark.devserver
def test_a_state_temporal_does_not_confirm_fails_the_setup(
    run: LoopRunner, dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A message PostgreSQL would store: the "failed" workflow completes instead.
    monkeypatch.setattr(states, "UNSTORABLE_MESSAGE", "harmless")

    async def scenario() -> None:
        async with worker(dev_env.client) as queue:
            await make_workflow_in_state(dev_env.client, queue, "failed")

    with pytest.raises(AssertionError, match="was to be failed, but Temporal reports it Completed"):
        run(scenario())
