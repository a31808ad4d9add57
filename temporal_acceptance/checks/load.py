"""Judging a batch of workflows: all completed, each exactly once wherever it is listed,
each activity completed once and executed once per attempt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks.history import scheduled_activity_types
from temporal_acceptance.workload.events import STATUS_COMPLETED, STATUS_NAMES, E
from temporal_acceptance.workload.shared import (
    ACTIVITY_EXECUTION,
    CHILD_WORKFLOW_NAME,
    DATABASE_OPERATION,
    WORKFLOW_NAME,
)


def not_running(found: dict[str, str]) -> list[str]:
    return [f"{wid}: {status}" for wid, status in found.items() if status != "RUNNING"]


def outcome_problems(outcomes: dict[str, str]) -> list[str]:
    bad = {wid: outcome for wid, outcome in outcomes.items() if outcome != "completed"}
    if not bad:
        return []
    shown = "; ".join(f"{wid}: {outcome}" for wid, outcome in sorted(bad.items())[:10])
    return [f"{len(bad)} of {len(outcomes)} workflows did not complete: {shown}"]


def exactly_once_problems(where: str, expected: Iterable[str], seen: Sequence[str]) -> list[str]:
    """Every expected id is seen exactly once, and nothing else is."""
    wanted = set(expected)
    counts = Counter(seen)
    problems = []
    if lost := sorted(wanted - set(counts)):
        problems.append(f"{where}: {len(lost)} workflows lost: {', '.join(lost[:10])}")
    if twice := sorted(wid for wid, n in counts.items() if n > 1):
        problems.append(
            f"{where}: {len(twice)} workflows duplicated: "
            + ", ".join(f"{wid} ×{counts[wid]}" for wid in twice[:10])
        )
    if strangers := sorted(set(counts) - wanted):
        problems.append(
            f"{where}: {len(strangers)} unexpected workflows: {', '.join(strangers[:10])}"
        )
    return problems


def api_problems(
    listed: Sequence[tuple[str, str]], expected: Sequence[str], what: str
) -> list[str]:
    problems = exactly_once_problems(f"Temporal's list of {what}", expected, [i for i, _ in listed])
    unfinished = [f"{wid} {status}" for wid, status in listed if status != "COMPLETED"]
    if unfinished:
        problems.append(
            f"Temporal lists {len(unfinished)} {what} runs not completed: "
            + ", ".join(unfinished[:10])
        )
    return problems


def visibility_problems(rows: Sequence[tuple[Any, ...]], expected: Sequence[str]) -> list[str]:
    """Each parent and each child once in the visibility table, every one completed."""
    parents = [str(r[0]) for r in rows if r[2] == WORKFLOW_NAME]
    children = [str(r[0]) for r in rows if r[2] == CHILD_WORKFLOW_NAME]
    problems = exactly_once_problems("visibility table (TestWorkflow)", expected, parents)
    problems += exactly_once_problems(
        "visibility table (ChildTestWorkflow)", [f"{wid}-child" for wid in expected], children
    )
    unfinished = [
        f"{r[0]} {STATUS_NAMES.get(int(r[1]), r[1])}" for r in rows if int(r[1]) != STATUS_COMPLETED
    ]
    if unfinished:
        problems.append(
            f"visibility table: {len(unfinished)} runs not completed: {', '.join(unfinished[:10])}"
        )
    return problems


def completed_attempt(events: Sequence[HistoryEvent], activity: str) -> int | None:
    """The attempt of `activity` that completed, as its ActivityTaskStarted event records it
    (Temporal writes the started event of the final attempt only)."""
    types = scheduled_activity_types(events)
    started = {
        e.event_id: e.activity_task_started_event_attributes.attempt
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }
    for e in events:
        attrs = e.activity_task_completed_event_attributes
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED and (
            types.get(attrs.scheduled_event_id) == activity
        ):
            return started.get(attrs.started_event_id)
    return None


def completions(events: Sequence[HistoryEvent]) -> Counter[str]:
    """How many times each activity type completed in one history."""
    types = scheduled_activity_types(events)
    return Counter(
        types.get(e.activity_task_completed_event_attributes.scheduled_event_id, "?")
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    )


def execution_problems(wid: str, attempts: Sequence[int], completed: int | None) -> list[str]:
    """The database activity's executions of one workflow, against the attempt Temporal
    completed: one row per attempt, none beyond the completed one, the completed one there."""
    counts = Counter(attempts)
    problems = [
        f"{wid}: {DATABASE_OPERATION} attempt {n} ran {c} times (a duplicate execution)"
        for n, c in sorted(counts.items())
        if c > 1
    ]
    if completed is None:
        return [*problems, f"{wid}: its history shows no completed {DATABASE_OPERATION}"]
    if beyond := sorted(n for n in counts if n > completed):
        problems.append(
            f"{wid}: {DATABASE_OPERATION} ran attempt(s) {beyond} after attempt {completed} "
            "completed (executions Temporal never dispatched)"
        )
    if completed not in counts:
        problems.append(
            f"{wid}: the completed attempt {completed} of {DATABASE_OPERATION} left no row"
        )
    return problems


def activities_once_problems(
    histories: Mapping[str, Sequence[HistoryEvent]],
    executions: Sequence[tuple[str, int]],
    expected: Sequence[str],
) -> list[str]:
    """Each workflow's history completes each activity exactly once, and the application
    table holds one execution of the database activity per attempt Temporal made — so an
    activity run twice shows, in the history or in the table."""
    rows: dict[str, list[int]] = {}
    for wid, attempt in executions:
        rows.setdefault(wid, []).append(attempt)
    problems: list[str] = []
    for wid in expected:
        events = histories.get(wid)
        if events is None:
            problems.append(f"{wid}: no history was read")
            continue
        done = completions(events)
        for activity in (ACTIVITY_EXECUTION, DATABASE_OPERATION):
            if done[activity] != 1:
                problems.append(
                    f"{wid}: {activity} completed {done[activity]} times in its history"
                )
        problems += execution_problems(
            wid, rows.get(wid, []), completed_attempt(events, DATABASE_OPERATION)
        )
    return problems
