"""History analysis: stage order, timer gap, activity identity, rendering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from history_builder import WORKER, E, HistoryBuilder, full_history

from temporal_acceptance.checks import history
from temporal_acceptance.workload.events import type_name

STAGES = list(history.STAGE_MILESTONES)
BOTH = ["test_activity_execution", "test_database_operation"]


def test_a_complete_history_passes_every_check() -> None:
    events = full_history()
    assert history.stage_order_problems(events, STAGES) == []
    assert history.timer_problems(events, timedelta(seconds=5)) == []
    assert history.activity_problems(events, BOTH, WORKER) == []


def test_stages_out_of_order_are_named() -> None:
    b = HistoryBuilder()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    b.activity("test_activity_execution")
    b.timer(1)  # the timer runs before the database activity completed
    b.activity("test_database_operation")
    b.child()
    b.signal()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    problems = history.stage_order_problems(b.events, STAGES)
    assert len(problems) == 1
    assert problems[0].startswith("state persistence (from event 5) does not follow")


def test_a_signal_before_the_child_finished_breaks_the_order() -> None:
    b = HistoryBuilder()
    b.activity("test_activity_execution")
    b.activity("test_database_operation")
    b.timer(1)
    b.signal()
    b.child()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    assert history.stage_order_problems(b.events, STAGES) == [
        "signal handling (from event 9) does not follow child workflow (until event 11)"
    ]


def test_missing_milestones_and_unknown_stages() -> None:
    b = HistoryBuilder()
    b.activity("test_activity_execution")
    b.child("SomeOtherWorkflow")
    b.signal("another_signal")
    problems = history.stage_order_problems(b.events, STAGES)
    assert "activity execution: no event for 'test_database_operation completed'" in problems
    assert "child workflow: no event for 'ChildTestWorkflow initiated'" in problems
    assert "signal handling: no event for 'signal test_signal received'" in problems
    assert "completion: no event for 'workflow completed'" in problems
    with pytest.raises(ValueError, match="unknown stages"):
        history.stage_order_problems(b.events, ["query handling"])


def test_a_timer_that_fired_early_or_never_is_reported() -> None:
    b = HistoryBuilder()
    b.timer(5, fires_after=4.5)
    assert history.timer_problems(b.events, timedelta(seconds=5)) == [
        "the 0:00:05 timer fired after only 0:00:04.500000 "
        f"(started {b.events[0].event_time.ToDatetime().isoformat()}+00:00, "
        f"fired {b.events[1].event_time.ToDatetime().isoformat()}+00:00)"
    ]
    assert history.timer_problems(b.events, timedelta(seconds=1)) == [
        "no timer of 0:00:01 started and fired (fired timers: ['0:00:05'])"
    ]
    assert history.timer_problems([], timedelta(seconds=1)) == [
        "no timer of 0:00:01 started and fired (fired timers: none)"
    ]


def test_activities_by_another_worker_or_not_completed() -> None:
    b = HistoryBuilder()
    b.activity("test_activity_execution", identity="intruder@elsewhere")
    b.activity("test_database_operation", outcome="failed")
    b.activity("third", outcome="timed out")
    assert history.activity_problems(b.events, [*BOTH, "third", "fourth"], WORKER) == [
        "test_activity_execution was completed by ['intruder@elsewhere'], not by 'worker-1@host'",
        "test_database_operation did not complete (ActivityTaskFailed: boom)",
        "third did not complete (ActivityTaskTimedOut: timed out)",
        "fourth did not complete (it never finished)",
    ]


def test_render_names_each_event_with_its_key_fact() -> None:
    b = HistoryBuilder()
    b.activity("test_database_operation", outcome="failed")
    b.activity("test_activity_execution")
    text = history.render(full_history() + b.events)
    assert "TimerStarted" in text
    assert "timer 1 for 0:00:05" in text
    assert "test_activity_execution by worker-1@host" in text
    assert "test_database_operation: boom" in text
    assert "ChildTestWorkflow w-child" in text
    assert "WorkflowTaskCompleted" in text
    assert type_name(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) == "WorkflowExecutionSignaled"
