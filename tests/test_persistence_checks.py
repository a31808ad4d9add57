"""The persistence gates' judgements on hand-built histories and rows: where an in-flight
workflow stands, whether it completed whole, whether an activity was retried elsewhere, and
whether a batch completed exactly once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from history_builder import HistoryBuilder, full_history
from temporalio.api.common.v1 import ActivityType
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    ActivityTaskCompletedEventAttributes,
    ActivityTaskScheduledEventAttributes,
    ActivityTaskStartedEventAttributes,
    HistoryEvent,
)
from test_snapshot import connector, healthy_databases

from temporal_acceptance.checks import inflight as inflight_checks
from temporal_acceptance.checks import load as load_checks
from temporal_acceptance.checks import stored as stored_checks
from temporal_acceptance.probes import stored
from temporal_acceptance.probes.snapshot import take_snapshot
from temporal_acceptance.workload import inflight
from temporal_acceptance.workload import watch as wf
from temporal_acceptance.workload.activities import derive
from temporal_acceptance.workload.execute import ExecutionRecord
from temporal_acceptance.workload.shared import (
    ActivityResult,
    ChildResult,
    DatabaseRow,
    TestSignal,
    TestWorkflowResult,
    TimerOutcome,
    child_reply,
)
from temporal_acceptance.workload.watch import Watched, options_for

E = EventType
N = len(full_history())


def started() -> HistoryBuilder:
    b = HistoryBuilder()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, after=0)
    b.task()
    return b


def test_positions_of_a_history() -> None:
    b = started()
    assert not wf.sleeping_in_timer(b.events)
    assert not wf.closed(b.events)
    b.add(E.EVENT_TYPE_TIMER_STARTED)
    assert wf.sleeping_in_timer(b.events)
    b.add(E.EVENT_TYPE_TIMER_FIRED)
    assert not wf.sleeping_in_timer(b.events)
    b.task()
    b.child()
    assert not wf.waiting_for_signal(b.events)  # the child's result not yet taken in
    b.task()
    assert wf.waiting_for_signal(b.events)
    assert wf.describe_position(b.events) == f"{len(b.events)} events, last WorkflowTaskCompleted"
    b.signal()
    assert not wf.waiting_for_signal(b.events)
    assert wf.closed(full_history())
    assert wf.describe_position([]) == "no history"
    assert not wf.waiting_for_signal(started().events)


def test_progress_is_a_workflow_task_completed_after_the_first_reading() -> None:
    b = started()
    b.add(E.EVENT_TYPE_TIMER_STARTED)
    before = list(b.events)
    b.add(E.EVENT_TYPE_TIMER_FIRED)
    assert wf.first_progress(before, b.events) is None
    b.task()
    progress = wf.first_progress(before, b.events)
    assert progress is not None
    assert progress.event_id == len(b.events)


def record_for(watched: Watched, events: list[HistoryEvent], **changes: Any) -> ExecutionRecord:
    options = watched.options
    result = TestWorkflowResult(
        workflow_id=watched.workflow_id,
        run_id=watched.run_id,
        completed_stages=["activities", "timer", "child_workflow", "signal"],
        activity=derive(options.message),
        database_row=DatabaseRow(
            1,
            watched.workflow_id,
            watched.run_id,
            options.message,
            "t",
            "acceptance_app",
            "workload_round_trips",
        ),
        timer=TimerOutcome(
            options.timer_seconds, "2026-11-25T12:00:00+00:00", "2026-11-25T12:00:05+00:00"
        ),
        child=ChildResult(f"{watched.workflow_id}-child", child_reply(options.message)),
        signal=TestSignal(options.signal_payload),
    )
    record = ExecutionRecord(watched.workflow_id, watched.run_id, options)
    record.events, record.outcome, record.result = events, "WorkflowExecutionCompleted", result
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def test_a_workflow_that_completed_whole_after_the_disruption_passes() -> None:
    events = full_history(timer=5.0)
    watched = Watched(options_for("w-1", "q", 5.0), run_id="r-1", before=events[:18])
    watched.record = record_for(watched, events)
    assert inflight_checks.completed_whole(watched, "acceptance_app") == []
    early = Watched(options_for("w-2", "q", 5.0), "r-2", True, events[:10])
    early.record = record_for(early, events)
    assert inflight_checks.completed_whole(early, "acceptance_app") == []  # signal order not judged


def test_a_workflow_that_lost_events_or_its_result_fails_with_its_id() -> None:
    events = full_history(timer=5.0)
    watched = Watched(options_for("w-1", "q", 5.0), run_id="r-1", before=events[:18])
    rewritten = [HistoryEvent.FromString(e.SerializeToString()) for e in events]
    rewritten[3].event_time.seconds += 1
    watched.record = record_for(watched, rewritten)
    problems = inflight_checks.completed_whole(watched, "acceptance_app")
    assert len(problems) == 1
    assert problems[0].startswith("w-1: history changed: event 4 was ")
    watched.record = record_for(watched, events, result=None, outcome="WorkflowExecutionFailed",
                                failure="boom")  # fmt: skip
    assert inflight_checks.completed_whole(watched, "acceptance_app")[0] == (
        "w-1: workflow w-1 did not complete: WorkflowExecutionFailed — boom"
    )
    assert inflight_checks.completed_whole(replace(watched, record=None), "acceptance_app") == [
        "workflow w-1 has not closed"
    ]


def held_activity_history(attempt: int, starter: str, completer: str) -> list[HistoryEvent]:
    b = started()
    scheduled = b.add(
        E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activity_task_scheduled_event_attributes=ActivityTaskScheduledEventAttributes(
            activity_type=ActivityType(name="test_activity_execution")
        ),
    )
    b.add(
        E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        activity_task_started_event_attributes=ActivityTaskStartedEventAttributes(
            scheduled_event_id=scheduled, identity=starter, attempt=attempt
        ),
    )
    b.add(
        E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        activity_task_completed_event_attributes=ActivityTaskCompletedEventAttributes(
            scheduled_event_id=scheduled, identity=completer
        ),
    )
    return b.events


def test_an_activity_retried_on_the_new_worker_passes() -> None:
    events = held_activity_history(2, "new", "new")
    assert inflight_checks.retried_elsewhere_problems(events, "old", "new") == []


def test_an_activity_the_old_worker_finished_in_its_first_attempt_fails() -> None:
    events = held_activity_history(1, "old", "old")
    assert inflight_checks.retried_elsewhere_problems(events, "old", "new") == [
        "test_activity_execution ran only once (attempt 1 on old): it was not retried after old "
        "was killed",
        "test_activity_execution ended with ActivityTaskCompleted on old, not completed by the new "
        "worker process new",
    ]
    assert inflight_checks.retried_elsewhere_problems(started().events, "old", "new") == [
        "test_activity_execution never completed: no outcome"
    ]


def test_the_attachment_holds_both_histories() -> None:
    watched = Watched(options_for("w-1", "q", 1.0), run_id="r", before=full_history()[:3])
    shown = inflight.attachment([watched])
    assert shown[0]["workflow_id"] == "w-1"
    assert len(shown[0]["history_before_the_disruption"]) == 3
    assert shown[0]["history_after"] is None


# -- load -----------------------------------------------------------------------------------


def test_exactly_once_names_the_lost_the_duplicated_and_the_strangers() -> None:
    assert load_checks.exactly_once_problems("api", ["a", "b"], ["b", "a"]) == []
    assert load_checks.exactly_once_problems("api", ["a", "b", "c"], ["a", "a", "x"]) == [
        "api: 2 workflows lost: b, c",
        "api: 1 workflows duplicated: a ×2",
        "api: 1 unexpected workflows: x",
    ]


def test_outcomes_statuses_and_listings_are_judged() -> None:
    assert load_checks.outcome_problems({"a": "completed"}) == []
    assert load_checks.outcome_problems({"a": "completed", "b": "failed: boom"}) == [
        "1 of 2 workflows did not complete: b: failed: boom"
    ]
    assert load_checks.not_running({"a": "RUNNING", "b": "COMPLETED"}) == ["b: COMPLETED"]
    assert load_checks.api_problems(
        [("a", "COMPLETED"), ("b", "RUNNING")], ["a", "b"], "TestWorkflow"
    ) == ["Temporal lists 1 TestWorkflow runs not completed: b RUNNING"]


def test_each_activity_ran_once_per_attempt_and_a_duplicate_shows() -> None:
    clean = full_history()
    histories = {"a": clean, "b": clean}
    ok = [("a", 1), ("b", 1)]
    assert load_checks.activities_once_problems(histories, ok, ["a", "b"]) == []
    # the same attempt executed twice: the append-only table shows it
    assert load_checks.activities_once_problems(histories, [*ok, ("a", 1)], ["a", "b"]) == [
        "a: test_database_operation attempt 1 ran 2 times (a duplicate execution)"
    ]
    # an execution Temporal never dispatched, and one that left no row
    assert load_checks.activities_once_problems(histories, [("a", 1), ("a", 2)], ["a", "b"]) == [
        "a: test_database_operation ran attempt(s) [2] after attempt 1 completed (executions "
        "Temporal never dispatched)",
        "b: the completed attempt 1 of test_database_operation left no row",
    ]


def test_a_retried_attempt_is_no_duplicate_but_a_second_completion_is() -> None:
    b = HistoryBuilder()
    b.started()
    b.activity("test_activity_execution")
    b.activity("test_database_operation", attempt=2)  # attempt 1 failed (not recorded)
    retried = {"a": b.events}
    assert load_checks.completed_attempt(b.events, "test_database_operation") == 2
    assert load_checks.activities_once_problems(retried, [("a", 1), ("a", 2)], ["a"]) == []
    b.activity("test_activity_execution")
    assert load_checks.activities_once_problems({"a": b.events}, [("a", 2)], ["a"]) == [
        "a: test_activity_execution completed 2 times in its history"
    ]
    assert load_checks.activities_once_problems({}, [], ["a"]) == ["a: no history was read"]
    assert load_checks.execution_problems("a", [], None) == [
        "a: its history shows no completed test_database_operation"
    ]


def test_the_visibility_rows_hold_each_parent_and_child_once_completed() -> None:
    rows = [
        ("p-1", 2, "TestWorkflow"),
        ("p-1-child", 2, "ChildTestWorkflow"),
        ("p-2", 1, "TestWorkflow"),
    ]
    assert load_checks.visibility_problems(rows, ["p-1", "p-2"]) == [
        "visibility table (ChildTestWorkflow): 1 workflows lost: p-2-child",
        "visibility table: 1 runs not completed: p-2 Running",
    ]


# -- stored readings ------------------------------------------------------------------------


def reading(**changes: Any) -> stored.StoredReading:
    base = stored.StoredReading(
        stored.Witness("w-1", "r-1"),
        take_snapshot(connector(healthy_databases()), "default"),
        api_events=full_history(),
        stored_events=full_history(),
    )
    return replace(base, **changes)


def test_an_unchanged_reading_passes_and_a_lost_history_says_so() -> None:
    before = reading()
    assert stored_checks.reading_problems(before) == []
    assert stored_checks.stored_differences(before, reading()) == []
    assert stored_checks.history_changes(before, reading()) == []
    gone = 'database "temporal" does not exist'
    after = reading(api_events=[], api_error="NOT_FOUND: workflow not found",
                    stored_events=[], stored_error=gone)  # fmt: skip
    assert stored_checks.stored_differences(before, after) == [
        f"history lost through Temporal: workflow w-1 had {N} events before; after the disruption "
        "Temporal answers NOT_FOUND: workflow not found",
        f"history lost in PostgreSQL: workflow w-1 had {N} stored events before; after the "
        'disruption they cannot be read: database "temporal" does not exist',
    ]
    assert stored_checks.reading_problems(after) == [
        "Temporal did not serve the witness's history: NOT_FOUND: workflow not found",
        'PostgreSQL holds no history for the witness: database "temporal" does not exist',
    ]
    shown = stored.attachment(after)
    assert shown["history_through_temporal"] == "NOT_FOUND: workflow not found"
    assert shown["postgresql"]["namespace"] == "default"


def test_lost_or_kept_reads_what_postgres_still_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[tuple[list[HistoryEvent], str]] = [
        ([], 'database "temporal" does not exist'),
        (full_history()[:5], ""),
        (full_history(), ""),
    ]
    monkeypatch.setattr(stored, "stored_events", lambda endpoints, run_id: answers.pop(0))
    assert stored.lost_or_kept(None, "r", N) == (  # type: ignore[arg-type]
        f'LOST: its {N} stored events cannot be read from PostgreSQL any more (database "temporal" '
        "does not exist)"
    )
    kept = [stored.lost_or_kept(None, "r", N) for _ in range(2)]  # type: ignore[arg-type]
    assert kept == [
        f"LOST: PostgreSQL holds 5 of the {N} events it had stored",
        f"stuck: PostgreSQL still holds its history ({N} events)",
    ]

    assert ActivityResult("a", "b", 1) == ActivityResult("a", "b", 1)
