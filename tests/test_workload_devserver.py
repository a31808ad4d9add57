"""The test workflow's logic against a real Temporal dev server: stages, queries, signal,
history, failure. The database activity is replaced at the boundary (same name, no
PostgreSQL); test_activity_execution is the real one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from conftest import LoopRunner
from temporalio import activity
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from temporal_acceptance.checks import execution, history
from temporal_acceptance.checks.registration import registration_problems
from temporal_acceptance.clients.temporal import poller_identities
from temporal_acceptance.probes.histories import child_histories, histories
from temporal_acceptance.workload import activities
from temporal_acceptance.workload import worker as worker_module
from temporal_acceptance.workload.execute import ExecutionOptions, run_test_workflow
from temporal_acceptance.workload.shared import (
    ACTIVITY_EXECUTION,
    DATABASE_OPERATION,
    STAGE_TIMER,
    DatabaseOperationInput,
    DatabaseRow,
    TestSignal,
    TestWorkflowInput,
)
from temporal_acceptance.workload.workflows import ChildTestWorkflow, TestWorkflow

pytestmark = pytest.mark.devserver

IDENTITY = "unit-test-worker"
FAKE_DATABASE = "fake_app"
# Short, so the tests stay fast; the gates use the sprint plan's 5 seconds.
TIMER = 0.2
STAGES = ["activity execution", "state persistence", "child workflow", "signal handling",
          "completion"]  # fmt: skip
QUERIES = [
    execution.QueryExpectation.parse("during the timer", "timer", "activity, database row"),
    execution.QueryExpectation.parse(
        "waiting for the signal", "signal", "activity, database row, timer, child"
    ),
    execution.QueryExpectation.parse(
        "after completion", "completed", "activity, database row, timer, child, signal"
    ),
]


@activity.defn(name=DATABASE_OPERATION)
async def fake_database_operation(request: DatabaseOperationInput) -> DatabaseRow:
    written_at = "2026-01-01T00:00:00+00:00"
    return DatabaseRow(
        7, request.workflow_id, request.run_id, request.payload, written_at, FAKE_DATABASE, "t"
    )


@activity.defn(name=DATABASE_OPERATION)
async def broken_database_operation(request: DatabaseOperationInput) -> DatabaseRow:
    raise ApplicationError('database "nowhere" does not exist', non_retryable=True)


@asynccontextmanager
async def running_worker(
    client: Client, database_activity: Callable[..., object] = fake_database_operation
) -> AsyncIterator[str]:
    task_queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TestWorkflow, ChildTestWorkflow],
        activities=[activities.test_activity_execution, database_activity],
        identity=IDENTITY,
    ):
        yield task_queue


def test_the_five_stages_complete_in_order(run: LoopRunner, dev_env: WorkflowEnvironment) -> None:
    async def scenario() -> execution.ExecutionRecord:
        async with running_worker(dev_env.client) as queue:
            options = ExecutionOptions(task_queue=queue, timer_seconds=TIMER, message="abc")
            return await run_test_workflow(dev_env.client, options)

    record = run(scenario())
    assert record.completed, record.failure
    assert execution.result_problems(record, FAKE_DATABASE) == []
    assert execution.query_problems(record, QUERIES) == []
    assert history.stage_order_problems(record.events, STAGES) == []
    assert history.timer_problems(record.events, timedelta(seconds=TIMER)) == []
    assert (
        history.activity_problems(record.events, [ACTIVITY_EXECUTION, DATABASE_OPERATION], IDENTITY)
        == []
    )
    assert record.result is not None
    assert record.result.activity.processed == "processed: abc"
    assert record.workflow_seconds is not None
    assert record.workflow_seconds >= TIMER
    assert record.to_json()["timings"]["timer_seconds"] == TIMER


def test_the_checks_reject_another_worker_identity(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    async def scenario() -> execution.ExecutionRecord:
        async with running_worker(dev_env.client) as queue:
            return await run_test_workflow(
                dev_env.client, ExecutionOptions(task_queue=queue, timer_seconds=TIMER)
            )

    record = run(scenario())
    problems = history.activity_problems(record.events, [ACTIVITY_EXECUTION], "someone-else")
    assert problems == [
        f"{ACTIVITY_EXECUTION} was completed by ['{IDENTITY}'], not by 'someone-else'"
    ]
    assert execution.result_problems(record, "acceptance_app")[0].startswith("database row")


def test_an_early_signal_is_kept_and_reported_while_the_timer_runs(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    async def scenario() -> tuple[object, object]:
        async with running_worker(dev_env.client) as queue:
            handle = await dev_env.client.start_workflow(
                TestWorkflow.run,
                TestWorkflowInput(timer_seconds=1.0),
                id=f"early-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
                execution_timeout=timedelta(seconds=30),
            )
            await handle.signal(TestWorkflow.test_signal, TestSignal("first"))
            await handle.signal(TestWorkflow.test_signal, TestSignal("second"))
            early = await handle.query(TestWorkflow.get_status)
            return early, await handle.result()

    early, result = run(scenario())
    assert early.signal == TestSignal("first")  # type: ignore[attr-defined]
    assert early.stage in ("activities", STAGE_TIMER)  # type: ignore[attr-defined]
    assert result.signal == TestSignal("first")  # type: ignore[attr-defined]


def test_a_failing_database_activity_fails_the_run_with_its_message(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    async def scenario() -> execution.ExecutionRecord:
        async with running_worker(dev_env.client, broken_database_operation) as queue:
            return await run_test_workflow(
                dev_env.client, ExecutionOptions(task_queue=queue, timer_seconds=TIMER)
            )

    record = run(scenario())
    assert not record.completed
    assert record.outcome == "WorkflowExecutionFailed"
    assert 'database "nowhere" does not exist' in record.failure
    problems = history.activity_problems(record.events, [DATABASE_OPERATION], IDENTITY)
    failed = 'ActivityTaskFailed: database "nowhere" does not exist'
    assert problems == [f"{DATABASE_OPERATION} did not complete ({failed})"]
    assert execution.result_problems(record, FAKE_DATABASE)[0].startswith("workflow ")
    assert history.stage_order_problems(record.events, ["state persistence"]) == [
        "state persistence: no event for 'timer started'",
        "state persistence: no event for 'timer fired'",
    ]
    assert "after_completion" in record.to_json()["queries"]


def test_the_worker_module_registers_and_serves(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    """The worker module's own wiring (connect, register, ready line), in process."""
    config = worker_module.WorkerConfig(
        dev_env.client.service_client.config.target_host,
        "default",
        f"unit-{uuid.uuid4().hex[:8]}",
        "module-worker",
    )

    async def scenario() -> str:
        client = await worker_module.connect(config)
        async with worker_module.build_worker(client, config):
            record = await run_test_workflow(
                client,
                ExecutionOptions(task_queue=config.task_queue, timer_seconds=TIMER),
            )
        return record.failure

    failure = run(scenario())
    # No TACC_APP_DSN here: the real database activity refuses to run, naming the fix.
    assert "TACC_APP_DSN is not set" in failure
    assert "workflows=TestWorkflow,ChildTestWorkflow" in worker_module.ready_line(config)


def test_registration_is_read_from_the_server_and_the_childs_history(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    wanted = [
        ("workflow", "TestWorkflow"),
        ("workflow", "ChildTestWorkflow"),
        ("activity", ACTIVITY_EXECUTION),
        ("activity", DATABASE_OPERATION),
    ]

    async def scenario() -> tuple[list[str], list[list[HistoryEvent]], dict[str, int]]:
        async with running_worker(dev_env.client) as queue:
            options = ExecutionOptions(task_queue=queue, timer_seconds=TIMER)
            record = await run_test_workflow(dev_env.client, options)
            polling = [
                kind
                for kind in ("workflow", "activity")
                if IDENTITY in await poller_identities(dev_env.client, "default", queue, kind)
            ]
            children = await child_histories(dev_env.client, record.events)
            by_id = await histories(dev_env.client, [(record.workflow_id, record.run_id)])
            return polling, [record.events, *children], {k: len(v) for k, v in by_id.items()}

    polling, runs, lengths = run(scenario())
    assert polling == ["workflow", "activity"]
    assert len(runs) == 2  # the parent's history and its child's
    assert registration_problems(wanted, IDENTITY, polling, runs) == []
    assert registration_problems(wanted, "another-worker", polling, runs) != []
    assert list(lengths.values()) == [len(runs[0])]
