"""Comparing two readings of one history: identical, truncated, rewritten, grown."""

from __future__ import annotations

from history_builder import HistoryBuilder, full_history
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks.history_diff import (
    MAX_DIFFERENCES,
    changed_fields,
    history_differences,
)
from temporal_acceptance.workload.events import brief, history_json

E = EventType


def copy(events: list[HistoryEvent]) -> list[HistoryEvent]:
    return [HistoryEvent.FromString(e.SerializeToString()) for e in events]


def test_an_identical_reading_has_no_differences() -> None:
    before = full_history()
    assert history_differences(before, copy(before)) == []


def test_a_history_that_is_gone_is_reported_lost_with_its_extent() -> None:
    before = full_history()
    assert history_differences(before, []) == [
        f"history lost: {len(before)} events before (1 WorkflowExecutionStarted … "
        f"{len(before)} WorkflowExecutionCompleted), none after"
    ]


def test_a_truncated_history_names_the_lost_events() -> None:
    before = full_history()
    problems = history_differences(before, copy(before[:10]))
    assert problems == [
        f"history truncated: {len(before)} events before, 10 after; lost "
        f"{brief(before[10])} … {brief(before[-1])}"
    ]


def test_a_rewritten_event_names_the_fields_that_differ() -> None:
    before = full_history()
    after = copy(before)
    after[4].event_time.seconds += 7
    problems = history_differences(before, after)
    assert len(problems) == 1
    assert problems[0].startswith("history changed: event 5 was 5 ActivityTaskScheduled at ")
    assert problems[0].endswith("(fields differing: event_time)")
    assert changed_fields(before[4], after[4]) == ["event_time"]


def test_many_rewritten_events_are_summarised() -> None:
    before = full_history()
    after = copy(before)
    for event in after:
        event.task_id = 99
    problems = history_differences(before, after)
    assert len(problems) == MAX_DIFFERENCES + 1
    assert problems[-1] == f"... and {len(before) - MAX_DIFFERENCES} more changed events"


def test_a_closed_workflow_must_not_grow_but_an_open_one_may() -> None:
    b = HistoryBuilder()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, after=0)
    b.task()
    before = copy(b.events)
    b.timer(1.0)
    after = b.events
    assert history_differences(before, after, closed=False) == []
    assert history_differences(before, after) == [
        "history changed: the closed workflow gained 2 events (5 TimerStarted … 6 TimerFired)"
    ]


def test_an_open_workflow_whose_early_events_changed_is_caught() -> None:
    before = full_history()[:8]
    after = copy(full_history())
    after[2].event_type = E.EVENT_TYPE_TIMER_FIRED
    problems = history_differences(before, after, closed=False)
    assert len(problems) == 1
    assert problems[0].startswith("history changed: event 3 was 3 WorkflowTaskStarted at ")
    assert problems[0].endswith(
        "is now 3 TimerFired at 2026-11-25T12:00:00.020000+00:00 (fields differing: event_type)"
    )


def test_the_json_holds_every_field_of_every_event() -> None:
    events = full_history()
    rendered = history_json(events)
    assert len(rendered) == len(events)
    assert rendered[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert "eventTime" in rendered[0]
