"""Histories Temporal serves: a run's children's, and a batch's (for the registration and
exactly-once gates)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from temporal_acceptance.workload.events import E


async def history(client: Client, workflow_id: str, run_id: str = "") -> list[HistoryEvent]:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id or None)
    return list((await handle.fetch_history()).events)


async def child_histories(
    client: Client, events: Sequence[HistoryEvent]
) -> list[list[HistoryEvent]]:
    """The history of every child workflow the run's `events` show started."""
    children = [
        e.child_workflow_execution_started_event_attributes.workflow_execution
        for e in events
        if e.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED
    ]
    return list(await asyncio.gather(*(history(client, c.workflow_id, c.run_id) for c in children)))


async def histories(
    client: Client, runs: Sequence[tuple[str, str]]
) -> dict[str, list[HistoryEvent]]:
    """Each (workflow id, run id)'s history, by workflow id."""
    found = await asyncio.gather(*(history(client, wid, rid) for wid, rid in runs))
    return {wid: events for (wid, _), events in zip(runs, found, strict=True)}
