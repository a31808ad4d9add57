"""Plain facts about Temporal's history events and workflow statuses, as the suite spells
them (shared by the workload, the probes and the checks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

E = EventType


def type_name(event_type: int) -> str:
    """EVENT_TYPE_TIMER_FIRED → TimerFired (the UI's spelling)."""
    words = (
        EventType.Name(cast("EventType.ValueType", event_type))
        .removeprefix("EVENT_TYPE_")
        .split("_")
    )
    return "".join(word.capitalize() for word in words)


def event_time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


# executions_visibility.status and current_executions.status: WorkflowExecutionStatus.
STATUS_NAMES = {
    1: "Running",
    2: "Completed",
    3: "Failed",
    4: "Canceled",
    5: "Terminated",
    6: "ContinuedAsNew",
    7: "TimedOut",
}
STATUS_RUNNING = 1
STATUS_COMPLETED = 2


def brief(event: HistoryEvent) -> str:
    return f"{event.event_id} {type_name(event.event_type)}"


def history_json(events: Sequence[HistoryEvent]) -> list[dict[str, Any]]:
    """Every event with every field, as the API's JSON shows it (for the report)."""
    return [MessageToDict(event) for event in events]
