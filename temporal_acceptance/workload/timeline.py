"""A workflow's history as a timeline of plain steps: what the load gate's "where the time
went" reads (checks/load_breakdown.py adds the gaps up)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType, TaskQueueKind, TimeoutType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.workload.events import event_time

E = EventType


@dataclass(frozen=True)
class Step:
    kind: str  # the event type without its prefix: WORKFLOW_TASK_STARTED
    at: float  # seconds since the epoch
    event_id: int = 0
    detail: str = ""  # a timed-out task's timeout type; "sticky" for a sticky task
    seconds: float = 0.0  # a timer's set duration
    ref: int = 0  # the event this one closes (a fired timer: its TimerStarted)


def _name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; a value this SDK does not know (a newer
    server's) by its number."""
    try:
        return str(enum.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


def step(event: HistoryEvent) -> Step:
    kind = _name(EventType, event.event_type, "EVENT_TYPE_")
    at = event_time(event).timestamp()
    detail, seconds, ref = "", 0.0, 0
    if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        timeout = event.workflow_task_timed_out_event_attributes.timeout_type
        detail = _name(TimeoutType, timeout, "TIMEOUT_TYPE_")
    elif event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        queue_kind = event.workflow_task_scheduled_event_attributes.task_queue.kind
        detail = "sticky" if queue_kind == TaskQueueKind.TASK_QUEUE_KIND_STICKY else ""
    elif event.event_type == E.EVENT_TYPE_TIMER_STARTED:
        fire_after = event.timer_started_event_attributes.start_to_fire_timeout
        seconds = fire_after.ToTimedelta().total_seconds()
    elif event.event_type == E.EVENT_TYPE_TIMER_FIRED:
        ref = event.timer_fired_event_attributes.started_event_id
    return Step(kind, at, event.event_id, detail, seconds, ref)


async def read_timelines(
    client: Client, workflow_ids: Sequence[str], timeout: float = 10.0
) -> tuple[list[list[Step]], list[str]]:
    """The timelines of these workflows (their latest runs), read side by side; a history
    that cannot be read is named with its error instead."""

    async def one(workflow_id: str) -> list[Step] | str:
        handle = client.get_workflow_handle(workflow_id)
        try:
            history = await handle.fetch_history(rpc_timeout=timedelta(seconds=timeout))
        except (TimeoutError, RPCError) as exc:
            return f"{workflow_id}: {type(exc).__name__}: {exc}"
        return [step(event) for event in history.events]

    read = await asyncio.gather(*(one(workflow_id) for workflow_id in workflow_ids))
    timelines = [found for found in read if isinstance(found, list)]
    return timelines, [found for found in read if isinstance(found, str)]
