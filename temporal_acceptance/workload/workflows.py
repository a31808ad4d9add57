"""The sprint's test workflow: five stages, each visible in its history and in `get_status`.

1 activities (on the worker), 2 a durable timer, 3 a child workflow, 4 wait for the signal
`test_signal`, 5 answer the query `get_status` accurately at every point.

This module is re-imported by the workflow sandbox: nothing here may run at import time.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporal_acceptance.workload.activities import (
        test_activity_execution,
        test_database_operation,
    )
    from temporal_acceptance.workload.shared import (
        CHILD_WORKFLOW_NAME,
        LOAD_PROBE_WORKFLOW_NAME,
        PAYLOAD_WORKFLOW_NAME,
        QUERY_NAME,
        SIGNAL_NAME,
        STAGE_ACTIVITIES,
        STAGE_CHILD,
        STAGE_COMPLETED,
        STAGE_SIGNAL,
        STAGE_STARTED,
        STAGE_TIMER,
        WORKFLOW_NAME,
        ActivityInput,
        ChildInput,
        ChildResult,
        DatabaseOperationInput,
        TestSignal,
        TestWorkflowInput,
        TestWorkflowResult,
        TimerOutcome,
        WorkflowStatus,
        child_reply,
    )

# An activity that has not answered in this long is stuck, not slow: retry it elsewhere.
ACTIVITY_TIMEOUT = timedelta(seconds=10)
# A child that takes longer than this has hung; the parent fails instead of waiting forever.
CHILD_EXECUTION_TIMEOUT = timedelta(seconds=60)
# A held activity (input activity_hold_seconds) heartbeats; this long without a heartbeat
# means its worker is gone, and the attempt is retried on another worker.
HELD_ACTIVITY_HEARTBEAT_TIMEOUT = timedelta(seconds=2)


def activity_retry(attempts: int) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=5),
        maximum_attempts=max(1, attempts),
    )


@workflow.defn(name=CHILD_WORKFLOW_NAME)
class ChildTestWorkflow:
    @workflow.run
    async def run(self, request: ChildInput) -> ChildResult:
        return ChildResult(workflow.info().workflow_id, child_reply(request.message))


@workflow.defn(name=WORKFLOW_NAME)
class TestWorkflow:
    __test__ = False  # a workflow, not a pytest test class

    def __init__(self) -> None:
        self._status = WorkflowStatus()

    @workflow.run
    async def run(self, request: TestWorkflowInput) -> TestWorkflowResult:
        info = workflow.info()
        retry = activity_retry(request.activity_attempts)

        self._enter(STAGE_ACTIVITIES)
        hold = request.activity_hold_seconds
        activity_result = await workflow.execute_activity(
            test_activity_execution,
            ActivityInput(request.message, hold),
            start_to_close_timeout=ACTIVITY_TIMEOUT + timedelta(seconds=hold),
            heartbeat_timeout=HELD_ACTIVITY_HEARTBEAT_TIMEOUT if hold > 0 else None,
            retry_policy=retry,
        )
        self._status.activity = activity_result
        database_row = await workflow.execute_activity(
            test_database_operation,
            DatabaseOperationInput(info.workflow_id, info.run_id, request.message),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry,
        )
        self._status.database_row = database_row

        self._enter(STAGE_TIMER)
        started = workflow.now()
        await workflow.sleep(timedelta(seconds=request.timer_seconds), summary="stage 2 timer")
        timer = TimerOutcome(request.timer_seconds, started.isoformat(), workflow.now().isoformat())
        self._status.timer = timer

        self._enter(STAGE_CHILD)
        child = await workflow.execute_child_workflow(
            ChildTestWorkflow.run,
            ChildInput(info.workflow_id, request.message),
            id=f"{info.workflow_id}-child",
            execution_timeout=CHILD_EXECUTION_TIMEOUT,
        )
        self._status.child = child

        self._enter(STAGE_SIGNAL)
        await workflow.wait_condition(lambda: self._status.signal is not None)
        signal = self._status.signal or TestSignal("")  # set: the condition above held

        self._enter(STAGE_COMPLETED)
        return TestWorkflowResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            completed_stages=list(self._status.completed_stages),
            activity=activity_result,
            database_row=database_row,
            timer=timer,
            child=child,
            signal=signal,
        )

    def _enter(self, stage: str) -> None:
        """Move to `stage`; the stage left behind counts as completed."""
        if self._status.stage != STAGE_STARTED:
            self._status.completed_stages.append(self._status.stage)
        self._status.stage = stage
        workflow.logger.info("stage %s", stage)

    @workflow.signal(name=SIGNAL_NAME)
    def test_signal(self, signal: TestSignal) -> None:
        # The first payload is the one the workflow acts on; later ones are ignored.
        if self._status.signal is None:
            self._status.signal = signal

    @workflow.query(name=QUERY_NAME)
    def get_status(self) -> WorkflowStatus:
        return self._status


@workflow.defn(name=PAYLOAD_WORKFLOW_NAME)
class PayloadSizeWorkflow:
    """Receives one (large) input and returns its length: a payload near the server's size
    limit must travel through the start, the history and the workflow task."""

    @workflow.run
    async def run(self, payload: str) -> int:
        return len(payload)


@workflow.defn(name=LOAD_PROBE_WORKFLOW_NAME)
class LoadProbeWorkflow:
    """One activity, then done: the shortest round trip through the server, the persistence
    and the worker (a workflow task, an activity task, a workflow task). The load gate
    starts hundreds of them to measure throughput and start-to-close latency."""

    @workflow.run
    async def run(self, message: str) -> str:
        result = await workflow.execute_activity(
            test_activity_execution,
            ActivityInput(message),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=activity_retry(5),
        )
        return result.checksum
