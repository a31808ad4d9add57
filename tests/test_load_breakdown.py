"""Where a load's time went: each gap between two events is put down to the event it waited
for, timed-out workflow tasks are counted apart, and a late timer is measured."""

from __future__ import annotations

import pytest

from temporal_acceptance.checks import load_breakdown as lb
from temporal_acceptance.workload.throughput import Timed
from temporal_acceptance.workload.timeline import Step


def _five_stage_with_a_lost_task() -> list[Step]:
    return [
        Step("WORKFLOW_EXECUTION_STARTED", 0.0, 1),
        Step("WORKFLOW_TASK_SCHEDULED", 0.0, 2),
        Step("WORKFLOW_TASK_STARTED", 2.0, 3),  # 2 s waiting for a worker
        Step("WORKFLOW_TASK_TIMED_OUT", 12.0, 4, "START_TO_CLOSE"),  # taken, never answered
        Step("WORKFLOW_TASK_SCHEDULED", 12.0, 5),
        Step("WORKFLOW_TASK_STARTED", 12.5, 6),
        Step("WORKFLOW_TASK_COMPLETED", 12.7, 7),
        Step("TIMER_STARTED", 12.7, 8, seconds=1.0),
        Step("TIMER_FIRED", 15.2, 9, ref=8),  # 1.5 s late
        Step("WORKFLOW_TASK_SCHEDULED", 15.2, 10, "sticky"),
        Step("WORKFLOW_TASK_TIMED_OUT", 18.2, 11, "SCHEDULE_TO_START"),  # sticky, untaken
        Step("WORKFLOW_TASK_SCHEDULED", 18.2, 12),
        Step("WORKFLOW_TASK_STARTED", 18.3, 13),
        Step("WORKFLOW_TASK_COMPLETED", 18.4, 14),
        Step("ACTIVITY_TASK_SCHEDULED", 18.4, 15),
        Step("ACTIVITY_TASK_STARTED", 18.6, 16),
        Step("ACTIVITY_TASK_COMPLETED", 18.9, 17),
        Step("WORKFLOW_TASK_SCHEDULED", 18.9, 18, "sticky"),
        Step("WORKFLOW_TASK_STARTED", 19.0, 19),  # taken from the worker's sticky queue
        Step("WORKFLOW_TASK_COMPLETED", 19.1, 20),
        Step("START_CHILD_WORKFLOW_EXECUTION_INITIATED", 19.1, 21),
        Step("CHILD_WORKFLOW_EXECUTION_STARTED", 19.3, 22),
        Step("CHILD_WORKFLOW_EXECUTION_COMPLETED", 20.3, 23),
        Step("WORKFLOW_EXECUTION_SIGNALED", 21.3, 24),
        Step("WORKFLOW_EXECUTION_COMPLETED", 21.4, 25),
    ]


def test_every_gap_is_put_down_to_what_it_waited_for() -> None:
    spent = lb.breakdown([_five_stage_with_a_lost_task()])
    assert spent.workflows == 1
    assert spent.total == pytest.approx(21.4)  # the gaps add up to the workflow's time
    assert spent.seconds[lb.TAKEN_NEVER_DONE] == pytest.approx(10.0)
    assert spent.seconds[lb.NEVER_TAKEN] == pytest.approx(3.0)
    assert spent.seconds[lb.WAIT_WORKFLOW_TASK] == pytest.approx(2.0 + 0.5 + 0.1)
    assert spent.seconds[lb.WAIT_STICKY] == pytest.approx(0.1)
    assert spent.seconds[lb.IN_WORKER] == pytest.approx(0.2 + 0.1 + 0.1)
    assert spent.seconds[lb.TIMERS] == pytest.approx(2.5)
    assert spent.seconds[lb.WAIT_ACTIVITY] == pytest.approx(0.2)
    assert spent.seconds[lb.ACTIVITIES] == pytest.approx(0.3)
    assert spent.seconds[lb.CHILD] == pytest.approx(0.2 + 1.0)
    assert spent.seconds[lb.SIGNAL] == pytest.approx(1.0)
    assert spent.seconds[lb.SERVER] == pytest.approx(0.1)
    assert spent.timed_out == {lb.TAKEN_NEVER_DONE: 1, lb.NEVER_TAKEN: 1}
    assert spent.timers_late_max == pytest.approx(1.5)


def test_the_line_leads_with_the_biggest_wait_and_names_timeouts_and_late_timers() -> None:
    line = lb.breakdown([_five_stage_with_a_lost_task()], ["w-9: RPCError: gone"]).line()
    assert line.startswith("1 slowest, 21.4 s in all: " + lb.TAKEN_NEVER_DONE + " 47%")
    assert "; workflow tasks timed out: 1 taken by a worker, never completed" in line
    assert "; workflow tasks timed out: 1 never taken" in line
    assert "a timer fired up to 1.5 s late" in line
    assert line.endswith("; 1 histories not read")
    as_json = lb.breakdown([_five_stage_with_a_lost_task()]).as_json()
    assert as_json["timed_out"] == {lb.TAKEN_NEVER_DONE: 1, lb.NEVER_TAKEN: 1}
    assert as_json["summary"].startswith("1 slowest")


def test_nothing_read_says_why() -> None:
    assert lb.breakdown([], ["w-1: RPCError: unavailable"]).line() == (
        "no history read (w-1: RPCError: unavailable)"
    )
    assert lb.breakdown([]).line() == "no history read"


def test_a_timer_on_time_and_an_unknown_event_are_not_late_or_lost() -> None:
    spent = lb.breakdown(
        [
            [
                Step("TIMER_STARTED", 0.0, 1, seconds=1.0),
                Step("TIMER_FIRED", 1.05, 2, ref=1),
                Step("MARKER_RECORDED", 1.25, 3),
                # a timed-out task of a type this version does not name: a worker took it
                Step("WORKFLOW_TASK_TIMED_OUT", 1.5, 4, "UNSPECIFIED"),
            ]
        ]
    )
    assert spent.timers_late_max == pytest.approx(0.05)
    assert "late" not in spent.line()
    assert spent.seconds[lb.SERVER] == pytest.approx(0.2)
    assert spent.timed_out == {lb.TAKEN_NEVER_DONE: 1}


def test_the_slowest_come_first_and_unfinished_ones_before_them() -> None:
    samples = [
        Timed(0, 1.0, "", "a"),
        Timed(0, None, "RPCError: x", "b"),
        Timed(0, 5.0, "", "c"),
        Timed(0, 3.0, "", "d"),
        Timed(0, 9.0, "", ""),  # no id: its history cannot be read
    ]
    assert lb.slowest(samples, 3) == ["b", "c", "d"]
    assert lb.slowest(samples, 10) == ["b", "c", "d", "a"]


def test_a_history_event_becomes_a_step_and_an_unknown_type_keeps_its_number() -> None:
    from temporalio.api.enums.v1 import EventType, TimeoutType
    from temporalio.api.history.v1 import HistoryEvent

    from temporal_acceptance.workload.timeline import step

    timed_out = HistoryEvent(event_id=7, event_type=EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
    timed_out.event_time.FromSeconds(100)
    timed_out.workflow_task_timed_out_event_attributes.timeout_type = (
        TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
    )
    assert step(timed_out) == Step("WORKFLOW_TASK_TIMED_OUT", 100.0, 7, "START_TO_CLOSE")
    timer = HistoryEvent(event_id=3, event_type=EventType.EVENT_TYPE_TIMER_STARTED)
    timer.timer_started_event_attributes.start_to_fire_timeout.FromSeconds(5)
    assert step(timer).seconds == 5.0
    fired = HistoryEvent(event_id=4, event_type=EventType.EVENT_TYPE_TIMER_FIRED)
    fired.timer_fired_event_attributes.started_event_id = 3
    assert step(fired).ref == 3
    newer = HistoryEvent(event_id=9, event_type=9999)  # a type a newer server may add
    assert step(newer).kind == "9999"
