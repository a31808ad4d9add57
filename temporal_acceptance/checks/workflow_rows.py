"""Judging one run's state in PostgreSQL: Temporal's execution rows, the stored history
against the API's, the visibility row and the database activity's row."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.probes.workflow_rows import ExecutionRows, StoredNode, VisibilityRow
from temporal_acceptance.workload.events import STATUS_COMPLETED, STATUS_NAMES, brief

# current_executions.state: the server's WorkflowExecutionState (3 = completed).
STATE_COMPLETED = 3


def state_elsewhere(where: str, workflow_id: str, run_id: str, seen: str) -> str:
    """The sentence for a workflow the frontend just ran that this PostgreSQL has no trace
    of: the deployment keeps its state somewhere else (another database, SQLite, ...)."""
    return (
        f"Temporal's state is not in this PostgreSQL ({where}): workflow {workflow_id} "
        f"(run {run_id}) completed through the frontend moments ago, but {seen}"
    )


def execution_rows_problems(
    rows: ExecutionRows,
    namespace: str,
    workflow_id: str,
    run_id: str,
    event_count: int,
    where: str = "the configured database",
) -> list[str]:
    """The run has its executions row (next_event_id one past the last event) and the
    current_executions row points at it, completed. No trace of it at all means the
    deployment's state lives elsewhere, and the sentence says so."""
    if rows.error:
        return [
            state_elsewhere(where, workflow_id, run_id, f"its tables cannot be read: {rows.error}")
        ]
    if not rows.namespace_found:
        seen = f"its namespace {namespace!r} is not in the namespaces table"
        return [state_elsewhere(where, workflow_id, run_id, seen)]
    if run_id not in rows.next_event_ids and rows.current is None:
        seen = "neither executions nor current_executions holds a row for it"
        return [state_elsewhere(where, workflow_id, run_id, seen)]
    problems = []
    if run_id not in rows.next_event_ids:
        problems.append(
            f"no executions row for run {run_id} (rows for runs: {sorted(rows.next_event_ids)})"
        )
    elif rows.next_event_ids[run_id] != event_count + 1:
        problems.append(
            f"executions.next_event_id is {rows.next_event_ids[run_id]}, but the history has "
            f"{event_count} events (expected {event_count + 1})"
        )
    if rows.current is None:
        problems.append(f"no current_executions row for workflow {workflow_id}")
    else:
        current_run, state, status = rows.current
        if current_run != run_id:
            problems.append(f"current_executions points at run {current_run}, not {run_id}")
        if (state, status) != (STATE_COMPLETED, STATUS_COMPLETED):
            problems.append(
                f"current_executions has state {state}, status {status} "
                f"({STATUS_NAMES.get(status, '?')}); expected {STATE_COMPLETED}, "
                f"{STATUS_COMPLETED} (completed)"
            )
    return problems


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
    api = [brief(e) for e in api_events]
    mine = [brief(e) for e in stored]
    if api != mine:
        first = next((i for i, (a, b) in enumerate(zip(api, mine, strict=False)) if a != b), None)
        where = (
            f"first difference at position {first}: API {api[first]}, PostgreSQL {mine[first]}"
            if first is not None
            else f"API has {len(api)} events, PostgreSQL {len(mine)}"
        )
        problems.append(f"the stored history differs from the API's: {where}")
    return problems


def visibility_problems(row: VisibilityRow | str, workflow_id: str, event_count: int) -> list[str]:
    """A closed visibility row, completed, with the full history length."""
    if isinstance(row, str):
        return [f"the visibility database does not list {workflow_id} as closed: {row}"]
    if (row.status, row.history_length) == (STATUS_COMPLETED, event_count):
        return []
    return [
        f"visibility shows {workflow_id} as {row.status_name} with history length "
        f"{row.history_length}; expected Completed with {event_count} events"
    ]


def app_row_problems(found: list[int], reported: int, database: str, run_id: str) -> list[str]:
    """The row the database activity reported is in its table, and it is the only one."""
    if found == [reported]:
        return []
    return [
        f"{database}.workload_round_trips holds rows {found} for run {run_id}; "
        f"the database activity reported writing row {reported}"
    ]
