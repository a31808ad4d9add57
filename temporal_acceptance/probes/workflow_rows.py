"""Where one workflow's state lands in PostgreSQL: Temporal's execution rows, the history
nodes (decoded back into events) and the visibility row. Every query goes into a QueryLog so
the report shows the SQL and what it returned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from temporalio.api.history.v1 import History, HistoryEvent

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import QueryLog, QueryResult, connect, query
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.workload.events import (
    STATUS_NAMES,
    STATUS_RUNNING,
    brief,
)


def _uuid_bytes(value: str) -> bytes:
    return uuid.UUID(value).bytes


def namespace_id(conn: psycopg.Connection[Any], namespace: str, log: QueryLog) -> str | None:
    result = query(
        conn,
        "select cast(encode(id, 'hex') as uuid) as id, name from namespaces where name = %s",
        (namespace,),
        log,
    )
    return str(result.rows[0][0]) if result.rows else None


def executions(
    conn: psycopg.Connection[Any], ns_id: str, workflow_id: str, log: QueryLog
) -> QueryResult:
    """The mutable-state rows of every run of `workflow_id` (one per run)."""
    return query(
        conn,
        "select shard_id, workflow_id, cast(encode(run_id, 'hex') as uuid) as run_id, "
        "next_event_id, length(data) as state_bytes "
        "from executions where namespace_id = %s and workflow_id = %s",
        (_uuid_bytes(ns_id), workflow_id),
        log,
    )


def current_execution(
    conn: psycopg.Connection[Any], ns_id: str, workflow_id: str, log: QueryLog
) -> QueryResult:
    """The pointer to the workflow's current run, with its state and status."""
    return query(
        conn,
        "select shard_id, workflow_id, cast(encode(run_id, 'hex') as uuid) as run_id, "
        "state, status, start_time "
        "from current_executions where namespace_id = %s and workflow_id = %s",
        (_uuid_bytes(ns_id), workflow_id),
        log,
    )


@dataclass(frozen=True)
class StoredNode:
    node_id: int
    txn_id: int
    branch_id: str
    events: tuple[HistoryEvent, ...]


HISTORY_NODES_SQL = (
    "select node_id, txn_id, cast(encode(branch_id, 'hex') as uuid) as branch_id, "
    "data_encoding, data from history_node where tree_id = %s order by node_id, txn_id"
)


def stored_history(conn: psycopg.Connection[Any], run_id: str, log: QueryLog) -> list[StoredNode]:
    """The history nodes of a run (tree_id is the run id), each decoded into its events.

    Temporal stores txn_id negated, so within one node_id the first row in txn_id order is
    the latest write: the one the server itself reads.
    """
    with conn.cursor() as cur:
        cur.execute(HISTORY_NODES_SQL, (_uuid_bytes(run_id),))
        raw = cur.fetchall()
    nodes: dict[int, StoredNode] = {}
    shown: list[tuple[Any, ...]] = []
    for node_id, txn_id, branch_id, encoding, data in raw:
        if str(encoding).lower() != "proto3":
            raise ValueError(f"history node {node_id} is encoded as {encoding!r}, not Proto3")
        events = tuple(History.FromString(bytes(data)).events)
        shown.append((node_id, txn_id, branch_id, encoding, ", ".join(brief(e) for e in events)))
        nodes.setdefault(
            int(node_id), StoredNode(int(node_id), int(txn_id), str(branch_id), events)
        )
    columns = ["node_id", "txn_id", "branch_id", "data_encoding", "data (decoded events)"]
    log.add(QueryResult(HISTORY_NODES_SQL, (run_id,), columns, shown))
    return list(nodes.values())


@dataclass(frozen=True)
class VisibilityRow:
    run_id: str
    workflow_type: str
    status: int
    history_length: int
    close_time: Any

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, f"status {self.status}")


def visibility_row(
    conn: psycopg.Connection[Any], ns_id: str, workflow_id: str, run_id: str, log: QueryLog
) -> VisibilityRow | None:
    result = query(
        conn,
        "select workflow_id, trim(run_id) as run_id, workflow_type_name, status, "
        "history_length, start_time, close_time, task_queue "
        "from executions_visibility "
        "where namespace_id = %s and workflow_id = %s and run_id = %s",
        (ns_id, workflow_id, run_id),
        log,
    )
    if not result.rows:
        return None
    row = result.rows[0]
    return VisibilityRow(str(row[1]), str(row[2]), int(row[3]), int(row[4] or 0), row[6])


def closed_visibility_row(
    conn: psycopg.Connection[Any], ns_id: str, workflow_id: str, run_id: str, timeout: float
) -> tuple[VisibilityRow, QueryLog]:
    """Wait until the visibility row of the run (namespace id from the temporal database)
    shows it closed (visibility is written
    asynchronously, after the workflow closes); returns it and the last query made."""
    last = QueryLog()

    def attempt() -> VisibilityRow | None:
        log = QueryLog()
        row = visibility_row(conn, ns_id, workflow_id, run_id, log)
        last.entries[:] = log.entries
        return row

    row = wait_until(
        attempt,
        what=f"a closed visibility row for workflow {workflow_id} run {run_id}",
        timeout=timeout,
        accept=lambda row: row is not None and row.status != STATUS_RUNNING,
        describe=lambda row: f"status {row.status_name}" if row else "no row",
        errors=(psycopg.OperationalError,),
        max_delay=0.2,
    )
    if row is None:  # accept() ruled it out; the type checker cannot know
        raise WaitTimeout(f"no visibility row for workflow {workflow_id} run {run_id}")
    return row, last


def wait_visibility_closed(
    endpoints: Endpoints, workflow_id: str, run_id: str, timeout: float = 10.0
) -> VisibilityRow:
    """Wait until the visibility database lists the run as closed (WaitTimeout if not)."""
    with connect(endpoints, endpoints.temporal_database) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, QueryLog())
    if ns_id is None:
        raise WaitTimeout(f"namespace {endpoints.namespace!r} is not in the namespaces table")
    with connect(endpoints, endpoints.visibility_database) as conn:
        return closed_visibility_row(conn, ns_id, workflow_id, run_id, timeout)[0]


def app_row(
    conn: psycopg.Connection[Any], workflow_id: str, run_id: str, log: QueryLog
) -> QueryResult:
    """The database activity's row for one run, read independently of the activity."""
    return query(
        conn,
        "select row_id, workflow_id, run_id, payload, attempt, written_at "
        "from workload_round_trips where workflow_id = %s and run_id = %s",
        (workflow_id, run_id),
        log,
    )


# -- what a gate reads about one run (each query kept in `log`) ------------------------------


@dataclass(frozen=True)
class ExecutionRows:
    """Temporal's rows for one workflow: whether its namespace is known, next_event_id of
    each run's executions row, and its current_executions row (run, state, status)."""

    namespace_found: bool
    next_event_ids: dict[str, int]
    current: tuple[str, int, int] | None
    error: str = ""  # why Temporal's database could not be read ("" when it was)


def read_execution_rows(endpoints: Endpoints, workflow_id: str, log: QueryLog) -> ExecutionRows:
    try:
        with connect(endpoints, endpoints.temporal_database) as conn:
            ns_id = namespace_id(conn, endpoints.namespace, log)
            if ns_id is None:
                return ExecutionRows(False, {}, None)
            runs = {str(r[2]): int(r[3]) for r in executions(conn, ns_id, workflow_id, log).rows}
            rows = current_execution(conn, ns_id, workflow_id, log).rows
    except psycopg.Error as exc:  # no such database, no such table: not Temporal's
        message = str(exc).strip().splitlines()
        return ExecutionRows(False, {}, None, message[-1] if message else type(exc).__name__)
    current = (str(rows[0][2]), int(rows[0][3]), int(rows[0][4])) if rows else None
    return ExecutionRows(True, runs, current)


def read_stored_history(endpoints: Endpoints, run_id: str, log: QueryLog) -> list[StoredNode]:
    with connect(endpoints, endpoints.temporal_database) as conn:
        return stored_history(conn, run_id, log)


def read_closed_visibility(
    endpoints: Endpoints, workflow_id: str, run_id: str, timeout: float, log: QueryLog
) -> VisibilityRow | str:
    """The run's visibility row once it shows the run closed, or why there is none."""
    with connect(endpoints, endpoints.temporal_database) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, log)
    if ns_id is None:
        return f"namespace {endpoints.namespace!r} is not in the namespaces table"
    try:
        with connect(endpoints, endpoints.visibility_database) as conn:
            row, last = closed_visibility_row(conn, ns_id, workflow_id, run_id, timeout)
    except WaitTimeout as exc:
        return str(exc)
    log.entries += last.entries
    return row


def read_app_rows(
    endpoints: Endpoints, database: str, workflow_id: str, run_id: str, log: QueryLog
) -> list[int]:
    """The row ids the database activity's table holds for one run."""
    with connect(endpoints, database) as conn:
        return [int(row[0]) for row in app_row(conn, workflow_id, run_id, log).rows]
