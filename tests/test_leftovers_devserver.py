"""The end of a run against a real Temporal dev server: every workflow left running on the
run's own task queue is terminated, and nothing on another queue is touched."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from conftest import LoopRunner
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.leftovers import (
    TERMINATE_REASON,
    terminate_unfinished,
    unfinished_query,
)
from temporal_acceptance.workload.shared import WORKFLOW_NAME

pytestmark = pytest.mark.devserver


def test_the_query_names_the_queue_and_running_only() -> None:
    assert unfinished_query('q-"x"') == 'TaskQueue = "q-\\"x\\"" AND ExecutionStatus = "Running"'


def test_unfinished_workflows_of_the_run_are_terminated(
    dev_env: WorkflowEnvironment, run: LoopRunner
) -> None:
    client = dev_env.client
    mine, other = f"run-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"

    async def start(queue: str) -> str:
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            id=f"{queue}-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
            execution_timeout=timedelta(minutes=5),
        )
        return handle.id

    ids = [run(start(mine)), run(start(mine))]
    bystander = run(start(other))

    async def listed() -> int:
        return len([w async for w in client.list_workflows(unfinished_query(mine))])

    run(wait_until_async(listed, what="both workflows listed", timeout=20,
                         accept=lambda n: n == 2))  # fmt: skip
    assert sorted(run(terminate_unfinished(client, mine))) == sorted(ids)
    for workflow_id in ids:
        described = run(client.get_workflow_handle(workflow_id).describe())
        assert described.status == WorkflowExecutionStatus.TERMINATED
    assert run(client.get_workflow_handle(bystander).describe()).status == (
        WorkflowExecutionStatus.RUNNING
    )
    history = run(client.get_workflow_handle(ids[0]).fetch_history())
    last = history.events[-1].workflow_execution_terminated_event_attributes
    assert last.reason == TERMINATE_REASON
    run(client.get_workflow_handle(bystander).terminate(reason="test over"))
