"""Registration, as Temporal reports it: the worker's identity polls each task type, and
each workflow and activity type it registers was actually run by it — its identity on the
workflow tasks of a history of that type, and on the completion of that activity.

The worker's own "worker started" line is what it meant to register; only the server's
side shows what it really serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks.history import scheduled_activity_types
from temporal_acceptance.workload.events import E

# A registered type is run on the task type of the same kind.
TASK_TYPE_OF_KIND = {"workflow": "workflow", "activity": "activity"}


def workflow_type(events: Sequence[HistoryEvent]) -> str:
    for event in events:
        if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            return str(event.workflow_execution_started_event_attributes.workflow_type.name)
    return ""


def ran_by(histories: Iterable[Sequence[HistoryEvent]], identity: str) -> dict[str, set[str]]:
    """Per kind, the types `identity` ran in these histories: a workflow type whose workflow
    task it completed, an activity type whose completion it reported."""
    ran: dict[str, set[str]] = {"workflow": set(), "activity": set()}
    for events in histories:
        kind_of = scheduled_activity_types(events)
        for event in events:
            if (
                event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                and event.workflow_task_completed_event_attributes.identity == identity
            ):
                ran["workflow"].add(workflow_type(events))
            elif (
                event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                and event.activity_task_completed_event_attributes.identity == identity
            ):
                scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
                ran["activity"].add(kind_of.get(scheduled, "?"))
    return ran


def registration_problems(
    wanted: Sequence[tuple[str, str]],
    identity: str,
    polling: Sequence[str],
    histories: Sequence[Sequence[HistoryEvent]],
) -> list[str]:
    """Each (kind, name) in `wanted`: Temporal lists `identity` polling for that kind's tasks
    (since the worker started), and a history shows `identity` running that type."""
    ran = ran_by(histories, identity)
    problems = []
    for kind, name in wanted:
        if kind not in TASK_TYPE_OF_KIND:
            problems.append(f"unknown kind {kind!r} for {name} (use workflow or activity)")
            continue
        task_type = TASK_TYPE_OF_KIND[kind]
        if task_type not in polling:
            problems.append(
                f"{kind} {name}: Temporal does not list {identity!r} polling for {task_type} "
                f"tasks (it polls for: {', '.join(polling) or 'nothing'})"
            )
        if name not in ran[kind]:
            seen = ", ".join(sorted(t for t in ran[kind] if t)) or "none"
            problems.append(
                f"{kind} {name}: no history shows {identity!r} running it "
                f"({kind} types it ran: {seen}; histories read: {len(histories)})"
            )
    return problems
