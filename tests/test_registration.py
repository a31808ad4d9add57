"""Registration as Temporal reports it: pollers per task type for the worker's identity, and
each registered type run by that identity in a history. And the timer gate's upper bound."""

from __future__ import annotations

from datetime import timedelta

from history_builder import WORKER, HistoryBuilder, child_history, full_history
from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks.history import timer_problems
from temporal_acceptance.checks.registration import ran_by, registration_problems

WANTED = [
    ("workflow", "TestWorkflow"),
    ("workflow", "ChildTestWorkflow"),
    ("activity", "test_activity_execution"),
    ("activity", "test_database_operation"),
]


def test_every_registered_type_polled_for_and_run_by_the_worker_passes() -> None:
    runs = [full_history(), child_history()]
    assert ran_by(runs, WORKER) == {
        "workflow": {"TestWorkflow", "ChildTestWorkflow"},
        "activity": {"test_activity_execution", "test_database_operation"},
    }
    assert registration_problems(WANTED, WORKER, ["workflow", "activity"], runs) == []


def test_a_type_run_by_another_worker_or_not_polled_for_fails() -> None:
    runs = [full_history(), child_history(identity="someone-else")]
    assert registration_problems(WANTED, WORKER, ["workflow"], runs) == [
        "workflow ChildTestWorkflow: no history shows 'worker-1@host' running it (workflow "
        "types it ran: TestWorkflow; histories read: 2)",
        "activity test_activity_execution: Temporal does not list 'worker-1@host' polling for "
        "activity tasks (it polls for: workflow)",
        "activity test_database_operation: Temporal does not list 'worker-1@host' polling for "
        "activity tasks (it polls for: workflow)",
    ]
    assert registration_problems([("signal", "x")], WORKER, [], []) == [
        "unknown kind 'signal' for x (use workflow or activity)"
    ]
    assert registration_problems([("activity", "a")], "w", [], []) == [
        "activity a: Temporal does not list 'w' polling for activity tasks (it polls for: nothing)",
        "activity a: no history shows 'w' running it (activity types it ran: none; histories "
        "read: 0)",
    ]


def test_a_timer_that_fires_late_fails_the_upper_bound() -> None:
    five, two = timedelta(seconds=5), timedelta(seconds=2)
    assert timer_problems(full_history(timer=5), five, two) == []
    late = timer_problems(full_history_late(), five, two)
    assert len(late) == 1
    assert late[0].startswith("the 0:00:05 timer fired 3.000 s late, more than the 2 s allowed")
    assert timer_problems(full_history_late(), five) == []  # no bound asked for


def full_history_late() -> list[HistoryEvent]:
    b = HistoryBuilder()
    b.started()
    b.timer(5, fires_after=8)
    return b.events
