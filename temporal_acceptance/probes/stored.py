"""A completed workflow and everything PostgreSQL stores, read before a disruption and
again after it: the workflow's history as Temporal serves it and as PostgreSQL holds it,
the row counts, the application's rows and both schemas.

The witness workflow is reused across scenarios while it stays intact, so a scenario does
not pay for running a fresh one (a scenario that finds it changed or gone runs a new one;
the scenario that changed it has already failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.probes.snapshot import Snapshot, snapshot_of
from temporal_acceptance.probes.workflow_rows import (
    stored_history,
)
from temporal_acceptance.workload.events import history_json

WITNESS_TIMER_SECONDS = 1.0
# Visibility is written asynchronously after a workflow closes; the snapshot counts its rows.
VISIBILITY_TIMEOUT = 10.0
# Reading a history through Temporal right after a restart may fail until its shard is
# loaded again; a history that cannot be read for this long counts as lost.
API_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class Witness:
    workflow_id: str
    run_id: str


@dataclass
class StoredReading:
    """One reading of the witness's history (through Temporal and from PostgreSQL) and of
    everything else PostgreSQL stores. A part that could not be read says why."""

    witness: Witness
    snapshot: Snapshot
    api_events: list[HistoryEvent] = field(default_factory=list)
    api_error: str = ""
    stored_events: list[HistoryEvent] = field(default_factory=list)
    stored_error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow_id": self.witness.workflow_id,
            "run_id": self.witness.run_id,
            "history_through_temporal": self.api_error or history_json(self.api_events),
            "history_in_postgresql": self.stored_error or history_json(self.stored_events),
        }


async def read_stored(
    client: Client, endpoints: Endpoints, witness: Witness, before: StoredReading | None = None
) -> StoredReading:
    """Read everything; with `before`, the row counts cover exactly the runs it covered."""
    snapshot = snapshot_of(endpoints, before.snapshot.scope if before else None)
    reading = StoredReading(witness, snapshot)
    handle = client.get_workflow_handle(witness.workflow_id, run_id=witness.run_id)

    async def fetch() -> list[HistoryEvent]:
        return list((await handle.fetch_history()).events)

    try:  # a server that has just come back may need a moment to load its shards
        reading.api_events = await wait_until_async(
            fetch, what=f"the history of {witness.workflow_id}", timeout=API_READ_TIMEOUT,
            accept=lambda events: True, errors=(RPCError,), max_delay=0.2,
        )  # fmt: skip
    except WaitTimeout as exc:
        reading.api_error = redact(str(exc))
    reading.stored_events, reading.stored_error = stored_events(endpoints, witness.run_id)
    return reading


def stored_events(endpoints: Endpoints, run_id: str) -> tuple[list[HistoryEvent], str]:
    """A run's history as PostgreSQL holds it (decoded history nodes), or why it cannot be
    read."""
    try:
        with connect(endpoints, endpoints.temporal_database) as conn:
            nodes = stored_history(conn, run_id, QueryLog())
    except psycopg.Error as exc:
        return [], redact(" ".join(str(exc).split()))
    return [e for node in sorted(nodes, key=lambda n: n.node_id) for e in node.events], ""


def lost_or_kept(endpoints: Endpoints, run_id: str, before: int) -> str:
    """What PostgreSQL still holds of a run that had `before` events: the answer to
    "lost or stuck?" when a workflow does not move on."""
    events, error = stored_events(endpoints, run_id)
    if error:
        return f"LOST: its {before} stored events cannot be read from PostgreSQL any more ({error})"
    if len(events) < before:
        return f"LOST: PostgreSQL holds {len(events)} of the {before} events it had stored"
    return f"stuck: PostgreSQL still holds its history ({len(events)} events)"


# -- gate entry points: read, judge; each returns what the step attaches and asserts --------


def attachment(reading: StoredReading) -> dict[str, Any]:
    """The reading for the report: both histories in full, the counts and fingerprints."""
    return {**reading.to_json(), "postgresql": reading.snapshot.to_json()}
