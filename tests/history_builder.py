"""Hand-built workflow histories for unit tests of the history and SQL checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import ActivityType, WorkflowType
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import (
    ActivityTaskCompletedEventAttributes,
    ActivityTaskFailedEventAttributes,
    ActivityTaskScheduledEventAttributes,
    ActivityTaskStartedEventAttributes,
    ActivityTaskTimedOutEventAttributes,
    HistoryEvent,
    StartChildWorkflowExecutionInitiatedEventAttributes,
    TimerFiredEventAttributes,
    TimerStartedEventAttributes,
    WorkflowExecutionSignaledEventAttributes,
    WorkflowExecutionStartedEventAttributes,
    WorkflowTaskCompletedEventAttributes,
)

E = EventType
T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
WORKER = "worker-1@host"


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


class HistoryBuilder:
    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []
        self.now = T0

    def add(self, kind: int, after: float = 0.01, **attrs: object) -> int:
        self.now += timedelta(seconds=after)
        event = HistoryEvent(
            event_id=len(self.events) + 1,
            event_type=kind,  # type: ignore[arg-type]
            event_time=stamp(self.now),
            **attrs,  # type: ignore[arg-type]
        )
        self.events.append(event)
        return event.event_id

    def activity(
        self, name: str, identity: str = WORKER, outcome: str = "completed", attempt: int = 1
    ) -> None:
        scheduled = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            activity_task_scheduled_event_attributes=ActivityTaskScheduledEventAttributes(
                activity_type=ActivityType(name=name)
            ),
        )
        started = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            activity_task_started_event_attributes=ActivityTaskStartedEventAttributes(
                scheduled_event_id=scheduled, identity=identity, attempt=attempt
            ),
        )
        if outcome == "completed":
            self.add(
                E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
                activity_task_completed_event_attributes=ActivityTaskCompletedEventAttributes(
                    scheduled_event_id=scheduled, started_event_id=started, identity=identity
                ),
            )
        elif outcome == "failed":
            self.add(
                E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
                activity_task_failed_event_attributes=ActivityTaskFailedEventAttributes(
                    scheduled_event_id=scheduled, identity=identity, failure=Failure(message="boom")
                ),
            )
        else:
            self.add(
                E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
                activity_task_timed_out_event_attributes=ActivityTaskTimedOutEventAttributes(
                    scheduled_event_id=scheduled, failure=Failure(message="timed out")
                ),
            )

    def timer(self, seconds: float, fires_after: float | None = None) -> None:
        timeout = Duration()
        timeout.FromTimedelta(timedelta(seconds=seconds))
        self.add(
            E.EVENT_TYPE_TIMER_STARTED,
            timer_started_event_attributes=TimerStartedEventAttributes(
                timer_id="1", start_to_fire_timeout=timeout
            ),
        )
        self.add(
            E.EVENT_TYPE_TIMER_FIRED,
            after=seconds if fires_after is None else fires_after,
            timer_fired_event_attributes=TimerFiredEventAttributes(timer_id="1"),
        )

    def child(self, type_name: str = "ChildTestWorkflow") -> None:
        attrs = StartChildWorkflowExecutionInitiatedEventAttributes(
            workflow_type=WorkflowType(name=type_name), workflow_id="w-child"
        )
        self.add(
            E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            start_child_workflow_execution_initiated_event_attributes=attrs,
        )
        self.add(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)

    def signal(self, name: str = "test_signal") -> None:
        self.add(
            E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            workflow_execution_signaled_event_attributes=WorkflowExecutionSignaledEventAttributes(
                signal_name=name
            ),
        )

    def task(self, identity: str = WORKER) -> None:
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
        self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            workflow_task_completed_event_attributes=WorkflowTaskCompletedEventAttributes(
                identity=identity
            ),
        )

    def started(self, workflow_type: str = "TestWorkflow") -> None:
        self.add(
            E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
            after=0,
            workflow_execution_started_event_attributes=WorkflowExecutionStartedEventAttributes(
                workflow_type=WorkflowType(name=workflow_type)
            ),
        )


def child_history(identity: str = WORKER) -> list[HistoryEvent]:
    """ChildTestWorkflow's run: started, one workflow task, completed."""
    b = HistoryBuilder()
    b.started("ChildTestWorkflow")
    b.task(identity)
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    return b.events


def full_history(timer: float = 5.0) -> list[HistoryEvent]:
    """The five stages, in order, as the test workflow leaves them."""
    b = HistoryBuilder()
    b.started()
    b.task()
    b.activity("test_activity_execution")
    b.task()
    b.activity("test_database_operation")
    b.task()
    b.timer(timer)
    b.task()
    b.child()
    b.task()
    b.signal()
    b.task()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    return b.events
