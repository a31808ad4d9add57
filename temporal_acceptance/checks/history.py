"""Reading a workflow history as evidence: which stage happened when, on which worker.

Works on the API's HistoryEvent protos, so the same analysis serves the live history and a
history decoded from PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.workload.events import E, event_time, type_name
from temporal_acceptance.workload.shared import (
    ACTIVITY_EXECUTION,
    CHILD_WORKFLOW_NAME,
    DATABASE_OPERATION,
    SIGNAL_NAME,
)


def scheduled_activity_types(events: Sequence[HistoryEvent]) -> dict[int, str]:
    """Activity type by the id of its ActivityTaskScheduled event."""
    return {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }


def detail(event: HistoryEvent, activity_types: dict[int, str]) -> str:
    """The one fact about an event a reader of the evidence needs."""
    kind = event.event_type
    if kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return event.activity_task_scheduled_event_attributes.activity_type.name
    if kind == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        attrs = event.activity_task_started_event_attributes
        return f"{activity_types.get(attrs.scheduled_event_id, '?')} on {attrs.identity}"
    if kind == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        attrs_c = event.activity_task_completed_event_attributes
        return f"{activity_types.get(attrs_c.scheduled_event_id, '?')} by {attrs_c.identity}"
    if kind == E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        attrs_f = event.activity_task_failed_event_attributes
        return f"{activity_types.get(attrs_f.scheduled_event_id, '?')}: {attrs_f.failure.message}"
    if kind == E.EVENT_TYPE_TIMER_STARTED:
        timeout = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        return f"timer {event.timer_started_event_attributes.timer_id} for {timeout}"
    if kind == E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        attrs_i = event.start_child_workflow_execution_initiated_event_attributes
        return f"{attrs_i.workflow_type.name} {attrs_i.workflow_id}"
    if kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        return event.workflow_execution_signaled_event_attributes.signal_name
    if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        return event.workflow_task_completed_event_attributes.identity
    if kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return event.workflow_execution_failed_event_attributes.failure.message
    return ""


def render(events: Sequence[HistoryEvent]) -> str:
    """The history as a table, one event per line, for the report."""
    types = scheduled_activity_types(events)
    lines = [
        f"{e.event_id:>4}  {event_time(e).isoformat(timespec='milliseconds')}  "
        f"{type_name(e.event_type):<42} {detail(e, types)}".rstrip()
        for e in events
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ActivityRun:
    activity_type: str
    outcome: str  # the event type that closed the attempt, e.g. ActivityTaskCompleted
    event_id: int
    identity: str
    message: str = ""


def activity_outcomes(events: Sequence[HistoryEvent]) -> list[ActivityRun]:
    """How each activity ended (completed, failed, timed out), and on which worker."""
    types = scheduled_activity_types(events)
    runs: list[ActivityRun] = []
    for e in events:
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            a = e.activity_task_completed_event_attributes
            runs.append(
                ActivityRun(
                    types.get(a.scheduled_event_id, "?"),
                    type_name(e.event_type),
                    e.event_id,
                    a.identity,
                )
            )
        elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            f = e.activity_task_failed_event_attributes
            runs.append(
                ActivityRun(
                    types.get(f.scheduled_event_id, "?"),
                    type_name(e.event_type),
                    e.event_id,
                    f.identity,
                    f.failure.message,
                )
            )
        elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            t = e.activity_task_timed_out_event_attributes
            runs.append(
                ActivityRun(
                    types.get(t.scheduled_event_id, "?"),
                    type_name(e.event_type),
                    e.event_id,
                    "",
                    t.failure.message,
                )
            )
    return runs


def activity_problems(
    events: Sequence[HistoryEvent], expected: Sequence[str], identity: str
) -> list[str]:
    """Each expected activity completed, and the worker `identity` completed it."""
    outcomes = activity_outcomes(events)
    problems = []
    for name in expected:
        mine = [run for run in outcomes if run.activity_type == name]
        done = [run for run in mine if run.outcome == "ActivityTaskCompleted"]
        if not done:
            seen = "; ".join(f"{r.outcome}: {r.message}" for r in mine) or "it never finished"
            problems.append(f"{name} did not complete ({seen})")
            continue
        strangers = [run.identity for run in done if run.identity != identity]
        if strangers:
            problems.append(f"{name} was completed by {strangers}, not by {identity!r}")
    return problems


# -- stages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    """An event a stage must leave in the history."""

    label: str
    matches: Callable[[HistoryEvent, dict[int, str]], bool]


def _completed_activity(name: str) -> Callable[[HistoryEvent, dict[int, str]], bool]:
    def matches(e: HistoryEvent, types: dict[int, str]) -> bool:
        return (
            e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and types.get(e.activity_task_completed_event_attributes.scheduled_event_id) == name
        )

    return matches


def _of_type(kind: int) -> Callable[[HistoryEvent, dict[int, str]], bool]:
    return lambda e, types: e.event_type == kind


def _child_initiated(e: HistoryEvent, types: dict[int, str]) -> bool:
    return (
        e.event_type == E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        and e.start_child_workflow_execution_initiated_event_attributes.workflow_type.name
        == CHILD_WORKFLOW_NAME
    )


def _signal_received(e: HistoryEvent, types: dict[int, str]) -> bool:
    return (
        e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and e.workflow_execution_signaled_event_attributes.signal_name == SIGNAL_NAME
    )


# The stages of the sprint plan as they show in a history (query handling leaves no event).
STAGE_MILESTONES: dict[str, tuple[Milestone, ...]] = {
    "activity execution": (
        Milestone(f"{ACTIVITY_EXECUTION} completed", _completed_activity(ACTIVITY_EXECUTION)),
        Milestone(f"{DATABASE_OPERATION} completed", _completed_activity(DATABASE_OPERATION)),
    ),
    "state persistence": (
        Milestone("timer started", _of_type(E.EVENT_TYPE_TIMER_STARTED)),
        Milestone("timer fired", _of_type(E.EVENT_TYPE_TIMER_FIRED)),
    ),
    "child workflow": (
        Milestone(f"{CHILD_WORKFLOW_NAME} initiated", _child_initiated),
        Milestone(
            f"{CHILD_WORKFLOW_NAME} completed",
            _of_type(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED),
        ),
    ),
    "signal handling": (Milestone(f"signal {SIGNAL_NAME} received", _signal_received),),
    "completion": (
        Milestone("workflow completed", _of_type(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)),
    ),
}


def stage_order_problems(events: Sequence[HistoryEvent], stages: Sequence[str]) -> list[str]:
    """Every milestone of every stage is present, and each stage's events come after all
    events of the stage before it."""
    unknown = [s for s in stages if s not in STAGE_MILESTONES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; known: {list(STAGE_MILESTONES)}")
    types = scheduled_activity_types(events)
    problems: list[str] = []
    previous: tuple[str, int] | None = None
    for stage in stages:
        ids = []
        for milestone in STAGE_MILESTONES[stage]:
            found = [e.event_id for e in events if milestone.matches(e, types)]
            if not found:
                problems.append(f"{stage}: no event for '{milestone.label}'")
            else:
                ids.append(found[0])
        if len(ids) != len(STAGE_MILESTONES[stage]):
            continue
        if ids != sorted(ids):
            problems.append(f"{stage}: its events are out of order (event ids {ids})")
        if previous is not None and min(ids) <= previous[1]:
            problems.append(
                f"{stage} (from event {min(ids)}) does not follow {previous[0]} "
                f"(until event {previous[1]})"
            )
        previous = (stage, max(ids))
    return problems


@dataclass(frozen=True)
class TimerSpan:
    timeout: timedelta
    started: datetime
    fired: datetime

    @property
    def elapsed(self) -> timedelta:
        return self.fired - self.started


def timer_spans(events: Sequence[HistoryEvent]) -> list[TimerSpan]:
    started = {
        e.timer_started_event_attributes.timer_id: e
        for e in events
        if e.event_type == E.EVENT_TYPE_TIMER_STARTED
    }
    spans = []
    for e in events:
        if e.event_type != E.EVENT_TYPE_TIMER_FIRED:
            continue
        start = started.get(e.timer_fired_event_attributes.timer_id)
        if start is None:
            continue
        timeout = start.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        spans.append(TimerSpan(timeout, event_time(start), event_time(e)))
    return spans


def timer_problems(
    events: Sequence[HistoryEvent], duration: timedelta, late: timedelta | None = None
) -> list[str]:
    """A timer of `duration` started and fired, no sooner than `duration` after its start
    and (with `late`) no more than `late` after that, in the server's own event times."""
    spans = [s for s in timer_spans(events) if s.timeout == duration]
    if not spans:
        seen = [str(s.timeout) for s in timer_spans(events)]
        return [f"no timer of {duration} started and fired (fired timers: {seen or 'none'})"]
    problems = []
    for span in spans:
        when = f"(started {span.started.isoformat()}, fired {span.fired.isoformat()})"
        if span.elapsed < duration:
            problems.append(f"the {duration} timer fired after only {span.elapsed} {when}")
        elif late is not None and span.elapsed - duration > late:
            lateness = (span.elapsed - duration).total_seconds()
            problems.append(
                f"the {duration} timer fired {lateness:.3f} s late, more than the "
                f"{late.total_seconds():g} s allowed {when}"
            )
    return problems
