"""A completed workflow and everything PostgreSQL stores, read before a disruption and
again after it: the workflow's history as Temporal serves it and as PostgreSQL holds it,
the row counts, the application's rows and both schemas.

The witness workflow is reused across scenarios while it stays intact, so a scenario does
not pay for running a fresh one (a scenario that finds it changed or gone runs a new one;
the scenario that changed it has already failed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from temporal_acceptance.checks import execution
from temporal_acceptance.checks.database import QueryLog, connect
from temporal_acceptance.checks.history_diff import history_differences, history_json
from temporal_acceptance.checks.snapshot import Snapshot, snapshot_differences, snapshot_of
from temporal_acceptance.checks.workflow_state import (
    closed_visibility_row,
    namespace_id,
    stored_history,
)
from temporal_acceptance.errors import WaitTimeout
from temporal_acceptance.secrets import redact
from temporal_acceptance.stack.base import TEMPORAL_DATABASE, VISIBILITY_DATABASE, Endpoints
from temporal_acceptance.waiting import wait_until_async
from temporal_acceptance.workload.execute import (
    ExecutionOptions,
    ExecutionRecord,
    run_test_workflow,
)

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


async def ensure_witness(
    client: Client, endpoints: Endpoints, task_queue: str, workflow_id: str, cached: Witness | None
) -> Witness:
    """The completed workflow whose history the scenario compares: the cached one while it
    is still readable and completed, else a new run (which must complete)."""
    if cached is not None:
        try:
            handle = client.get_workflow_handle(cached.workflow_id, run_id=cached.run_id)
            if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
                return cached
        except RPCError:
            pass
    options = ExecutionOptions(workflow_id, task_queue, timer_seconds=WITNESS_TIMER_SECONDS)
    record = await run_test_workflow(client, options)
    problems = execution.not_completed(record)
    assert not problems, f"the witness workflow did not complete: {problems[0]}"
    _wait_visibility(endpoints, record)
    return Witness(record.workflow_id, record.run_id)


def _wait_visibility(endpoints: Endpoints, record: ExecutionRecord) -> None:
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, QueryLog())
    assert ns_id is not None, f"namespace {endpoints.namespace!r} is not in the namespaces table"
    with connect(endpoints, VISIBILITY_DATABASE) as conn:
        closed_visibility_row(conn, ns_id, record.workflow_id, record.run_id, VISIBILITY_TIMEOUT)


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
        with connect(endpoints, TEMPORAL_DATABASE) as conn:
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


def attachment(reading: StoredReading) -> dict[str, Any]:
    """The reading for the report: both histories in full, the counts and fingerprints."""
    return {**reading.to_json(), "postgresql": reading.snapshot.to_json()}


def reading_problems(reading: StoredReading) -> list[str]:
    """The first reading must be complete, or the comparison would prove nothing."""
    problems = []
    if reading.api_error or not reading.api_events:
        problems.append(
            f"Temporal did not serve the witness's history: {reading.api_error or 'empty'}"
        )
    if reading.stored_error or not reading.stored_events:
        problems.append(
            f"PostgreSQL holds no history for the witness: {reading.stored_error or 'no rows'}"
        )
    problems += [f"{what}: {error}" for what, error in reading.snapshot.rows.errors.items()]
    return problems


def stored_differences(before: StoredReading, after: StoredReading) -> list[str]:
    """Everything that changed between the readings, each naming what was lost or altered."""
    wid = before.witness.workflow_id
    problems = []
    if after.api_error:
        problems.append(
            f"history lost through Temporal: workflow {wid} had {len(before.api_events)} events "
            f"before; after the disruption Temporal answers {after.api_error}"
        )
    else:
        problems += [f"workflow {wid} through Temporal: {p}"
                     for p in history_differences(before.api_events, after.api_events)]  # fmt: skip
    if after.stored_error:
        problems.append(
            f"history lost in PostgreSQL: workflow {wid} had {len(before.stored_events)} stored "
            f"events before; after the disruption they cannot be read: {after.stored_error}"
        )
    else:
        changes = history_differences(before.stored_events, after.stored_events)
        problems += [f"workflow {wid} in PostgreSQL: {p}" for p in changes]
    return problems + snapshot_differences(before.snapshot, after.snapshot)


# -- gate entry points: read, judge; each returns what the step attaches and asserts --------


async def first_reading(
    client: Client, endpoints: Endpoints, task_queue: str, cached: Witness | None
) -> tuple[StoredReading, list[str]]:
    """The witness (cached or new) and the first reading, with why it is incomplete."""
    workflow_id = f"persistence-witness-{uuid.uuid4().hex[:12]}"
    witness = await ensure_witness(client, endpoints, task_queue, workflow_id, cached)
    reading = await read_stored(client, endpoints, witness)
    return reading, reading_problems(reading)


async def second_reading(
    client: Client, endpoints: Endpoints, before: StoredReading
) -> tuple[StoredReading, list[str]]:
    """Everything read again (the same runs counted) and what changed since `before`."""
    after = await read_stored(client, endpoints, before.witness, before)
    return after, stored_differences(before, after)
