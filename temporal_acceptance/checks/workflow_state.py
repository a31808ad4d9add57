"""Where one workflow's state lands in PostgreSQL: Temporal's execution rows, the history
nodes (decoded back into events) and the visibility row. Every query goes into a QueryLog so
the report shows the SQL and what it returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from temporalio.api.history.v1 import History, HistoryEvent

from temporal_acceptance.checks.database import QueryLog, QueryResult, connect, query
from temporal_acceptance.checks.history import type_name
from temporal_acceptance.stack.base import TEMPORAL_DATABASE, VISIBILITY_DATABASE, Endpoints
from temporal_acceptance.waiting import wait_until
from temporal_acceptance.workload.execute import ExecutionRecord

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
        shown.append((node_id, txn_id, branch_id, encoding, ", ".join(_brief(e) for e in events)))
        nodes.setdefault(
            int(node_id), StoredNode(int(node_id), int(txn_id), str(branch_id), events)
        )
    columns = ["node_id", "txn_id", "branch_id", "data_encoding", "data (decoded events)"]
    log.add(QueryResult(HISTORY_NODES_SQL, (run_id,), columns, shown))
    return list(nodes.values())


def _brief(event: HistoryEvent) -> str:
    return f"{event.event_id}:{type_name(event.event_type)}"


def stored_history_problems(
    nodes: Sequence[StoredNode], api_events: Sequence[HistoryEvent]
) -> list[str]:
    """The history in PostgreSQL is the history the API serves: same events, same order,
    no gaps, on one branch."""
    if not nodes:
        return ["no history_node rows for this run"]
    branches = {node.branch_id for node in nodes}
    if len(branches) > 1:
        return [f"the run's history spans {len(branches)} branches {sorted(branches)}"]
    stored = [event for node in sorted(nodes, key=lambda n: n.node_id) for event in node.events]
    problems = [
        f"node {node.node_id} starts with event {node.events[0].event_id if node.events else '-'}"
        for node in nodes
        if not node.events or node.events[0].event_id != node.node_id
    ]
    stored_ids = [e.event_id for e in stored]
    if stored_ids != list(range(1, len(stored) + 1)):
        problems.append(f"stored event ids are not 1..{len(stored)} without gaps: {stored_ids}")
    api = [_brief(e) for e in api_events]
    mine = [_brief(e) for e in stored]
    if api != mine:
        first = next((i for i, (a, b) in enumerate(zip(api, mine, strict=False)) if a != b), None)
        where = (
            f"first difference at position {first}: API {api[first]}, PostgreSQL {mine[first]}"
            if first is not None
            else f"API has {len(api)} events, PostgreSQL {len(mine)}"
        )
        problems.append(f"the stored history differs from the API's: {where}")
    return problems


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


# current_executions.state: the server's WorkflowExecutionState (3 = completed).
STATE_COMPLETED = 3


def execution_problems(
    conn: psycopg.Connection[Any],
    namespace: str,
    workflow_id: str,
    run_id: str,
    event_count: int,
    log: QueryLog,
) -> list[str]:
    """The run has its executions row (next_event_id one past the last event) and the
    current_executions row points at it, completed."""
    ns_id = namespace_id(conn, namespace, log)
    if ns_id is None:
        return [f"namespace {namespace!r} is not in the namespaces table"]
    problems = []
    runs = {str(row[2]): row for row in executions(conn, ns_id, workflow_id, log).rows}
    if run_id not in runs:
        problems.append(f"no executions row for run {run_id} (rows for runs: {sorted(runs)})")
    elif int(runs[run_id][3]) != event_count + 1:
        problems.append(
            f"executions.next_event_id is {runs[run_id][3]}, but the history has "
            f"{event_count} events (expected {event_count + 1})"
        )
    current = current_execution(conn, ns_id, workflow_id, log).rows
    if not current:
        problems.append(f"no current_executions row for workflow {workflow_id}")
    else:
        _, _, current_run, state, status, _ = current[0]
        if str(current_run) != run_id:
            problems.append(f"current_executions points at run {current_run}, not {run_id}")
        if (int(state), int(status)) != (STATE_COMPLETED, STATUS_COMPLETED):
            problems.append(
                f"current_executions has state {state}, status {status} "
                f"({STATUS_NAMES.get(int(status), '?')}); expected {STATE_COMPLETED}, "
                f"{STATUS_COMPLETED} (completed)"
            )
    return problems


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
    assert row is not None
    return row, last


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


# -- gate entry points: connect, query, judge; each returns (problems, the queries made) ------


def app_row_problems(
    endpoints: Endpoints, database: str, record: ExecutionRecord
) -> tuple[list[str], QueryLog]:
    """The row the database activity reported is in its table, and it is the only one."""
    log = QueryLog()
    assert record.result is not None
    reported = record.result.database_row.row_id
    with connect(endpoints, database) as conn:
        found = [row[0] for row in app_row(conn, record.workflow_id, record.run_id, log).rows]
    if found == [reported]:
        return [], log
    return [
        f"{database}.workload_round_trips holds rows {found} for run {record.run_id}; "
        f"the database activity reported writing row {reported}"
    ], log


def execution_rows_problems(
    endpoints: Endpoints, record: ExecutionRecord
) -> tuple[list[str], QueryLog]:
    log = QueryLog()
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        problems = execution_problems(
            conn, endpoints.namespace, record.workflow_id, record.run_id, len(record.events), log
        )
    return problems, log


def stored_history_check(
    endpoints: Endpoints, run_id: str, served: Sequence[HistoryEvent]
) -> tuple[list[str], QueryLog]:
    log = QueryLog()
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        nodes = stored_history(conn, run_id, log)
    return stored_history_problems(nodes, served), log


def visibility_problems(
    endpoints: Endpoints, record: ExecutionRecord, timeout: float
) -> tuple[list[str], QueryLog]:
    """A closed visibility row appears within `timeout`, completed, with the full history."""
    log = QueryLog()
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, log)
    if ns_id is None:
        return [f"namespace {endpoints.namespace!r} is not in the namespaces table"], log
    with connect(endpoints, VISIBILITY_DATABASE) as conn:
        row, last = closed_visibility_row(conn, ns_id, record.workflow_id, record.run_id, timeout)
    log.entries += last.entries
    if (row.status, row.history_length) == (STATUS_COMPLETED, len(record.events)):
        return [], log
    return [
        f"visibility shows {record.workflow_id} as {row.status_name} with history length "
        f"{row.history_length}; expected Completed with {len(record.events)} events"
    ], log
