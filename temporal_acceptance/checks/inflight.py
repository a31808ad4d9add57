"""Whether workflows that were in flight at a disruption completed whole, and whether an
activity cut off by a worker crash was retried on the new worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks import execution, history
from temporal_acceptance.checks.history_diff import history_differences
from temporal_acceptance.workload.events import E
from temporal_acceptance.workload.execute import ExecutionRecord
from temporal_acceptance.workload.shared import ACTIVITY_EXECUTION
from temporal_acceptance.workload.watch import (
    Watched,
)

ALL_STAGES = (
    "activity execution",
    "state persistence",
    "child workflow",
    "signal handling",
    "completion",
)


def completion_problems(watched: Watched, record: ExecutionRecord, app_database: str) -> list[str]:
    """Completed, all five stages in order (a signal sent with the start is checked by
    the result only), the timer no shorter than asked, the result
    right, and the history still starts with every event it had before the disruption."""
    problems = execution.result_problems(record, app_database)
    # A signal sent with the start is recorded first: it cannot follow the child stage.
    stages = [s for s in ALL_STAGES if not (watched.signalled_at_start and s == "signal handling")]
    problems += history.stage_order_problems(record.events, stages)
    problems += history.timer_problems(
        record.events, timedelta(seconds=watched.options.timer_seconds)
    )
    problems += history_differences(watched.before, record.events, closed=False)
    return [f"{watched.workflow_id}: {p}" for p in problems]


def retried_elsewhere_problems(events: Sequence[HistoryEvent], old: str, new: str) -> list[str]:
    """The held activity completed on the new worker, in a later attempt than the first."""
    types = history.scheduled_activity_types(events)
    started = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and types.get(e.activity_task_started_event_attributes.scheduled_event_id)
        == ACTIVITY_EXECUTION
    ]
    runs = [r for r in history.activity_outcomes(events) if r.activity_type == ACTIVITY_EXECUTION]
    if not started or not runs:
        return [
            f"{ACTIVITY_EXECUTION} never completed: {[r.outcome for r in runs] or 'no outcome'}"
        ]
    problems = []
    attempt, identity = started[-1].attempt, started[-1].identity
    if attempt < 2:
        problems.append(
            f"{ACTIVITY_EXECUTION} ran only once (attempt {attempt} on {identity}): it was not "
            f"retried after {old} was killed"
        )
    if runs[-1].outcome != "ActivityTaskCompleted" or runs[-1].identity != new:
        problems.append(
            f"{ACTIVITY_EXECUTION} ended with {runs[-1].outcome} on {runs[-1].identity or '?'}, "
            f"not completed by the new worker process {new}"
        )
    return problems


def completed_whole(watched: Watched, app_database: str) -> list[str]:
    """completion_problems of a workflow already waited for (finish() keeps its record)."""
    if watched.record is None:
        return [f"workflow {watched.workflow_id} has not closed"]
    return completion_problems(watched, watched.record, app_database)
