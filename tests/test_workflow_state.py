"""SQL helpers for a workflow's state in PostgreSQL, against a fake connection that
answers like PostgreSQL would (the real thing is exercised by the behave gates)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from history_builder import full_history
from temporalio.api.history.v1 import History, HistoryEvent

from temporal_acceptance.checks import workflow_rows as checks
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.probes import workflow_rows as state

NS = "a90d1e67-c3e1-4c6b-a109-f6b23e576b96"
RUN = "01a2132e-7e20-71fa-a1fe-fce8ec0bd287"
BRANCH = "cadabc45-6d9d-4aee-a5e0-4668fc42c84a"


@dataclass
class Column:
    name: str


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.description: list[Column] | None = None
        self.rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.seen.append((sql, tuple(params)))
        for table, (columns, rows) in self.conn.tables.items():
            if f"from {table} " in sql + " ":
                self.description = [Column(c) for c in columns]
                answer = rows() if callable(rows) else rows
                self.rows = list(answer)
                return
        raise AssertionError(f"unexpected SQL {sql}")

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class FakeConnection:
    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = tables
        self.seen: list[tuple[str, tuple[Any, ...]]] = []

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)


def nodes_of(events: list[HistoryEvent], batches: list[int]) -> list[tuple[Any, ...]]:
    """history_node rows: events cut into batches starting at the given event ids."""
    rows = []
    starts = [*batches, len(events) + 1]
    for index, first in enumerate(starts[:-1]):
        batch = events[first - 1 : starts[index + 1] - 1]
        data = History(events=batch).SerializeToString()
        rows.append((first, -1000 - first, BRANCH, "Proto3", data))
    return rows


def temporal_db(next_event_id: int, state_status: tuple[int, int] = (3, 2)) -> FakeConnection:
    return FakeConnection(
        {
            "namespaces": (["id", "name"], [(uuid.UUID(NS), "default")]),
            "executions": (
                ["shard_id", "workflow_id", "run_id", "next_event_id", "state_bytes"],
                [(3, "wf", uuid.UUID(RUN), next_event_id, 120)],
            ),
            "current_executions": (
                ["shard_id", "workflow_id", "run_id", "state", "status", "start_time"],
                [(3, "wf", uuid.UUID(RUN), *state_status, None)],
            ),
        }
    )


def execution_problems(conn: FakeConnection, run_id: str, count: int, log: QueryLog) -> list[str]:
    """read_execution_rows on one fake connection, judged by the check."""
    connections = Connections(temporal=conn)
    original = state.connect
    state.connect = connections  # type: ignore[assignment]
    try:
        rows = state.read_execution_rows(FakeEndpoints(), "wf", log)  # type: ignore[arg-type]
    finally:
        state.connect = original
    return checks.execution_rows_problems(rows, "default", "wf", run_id, count)


def test_execution_rows_that_match_the_history_pass() -> None:
    log = QueryLog()
    conn = temporal_db(next_event_id=36)
    assert execution_problems(conn, RUN, 35, log) == []
    assert [entry.columns[0] for entry in log.entries] == ["id", "shard_id", "shard_id"]
    # uuids travel as bytes, the way Temporal stores them
    assert conn.seen[1][1] == (uuid.UUID(NS).bytes, "wf")
    assert "next_event_id" in log.entries[1].render()
    assert RUN in log.entries[1].render()


def test_execution_rows_that_disagree_are_reported() -> None:
    conn = temporal_db(next_event_id=30, state_status=(2, 1))
    problems = execution_problems(conn, RUN, 35, QueryLog())
    assert problems == [
        "executions.next_event_id is 30, but the history has 35 events (expected 36)",
        "current_executions has state 2, status 1 (Running); expected 3, 2 (completed)",
    ]
    other_run = str(uuid.uuid4())
    problems = execution_problems(conn, other_run, 35, QueryLog())
    assert problems[0].startswith(f"no executions row for run {other_run}")
    assert f"current_executions points at run {RUN}, not {other_run}" in problems


def test_no_trace_of_a_workflow_that_just_ran_means_the_state_is_elsewhere() -> None:
    conn = FakeConnection(
        {
            "namespaces": (["id", "name"], []),
            "executions": (["a"], []),
            "current_executions": (["a"], []),
        }
    )
    elsewhere = (
        "Temporal's state is not in this PostgreSQL (the configured database): workflow wf "
        f"(run {RUN}) completed through the frontend moments ago, but "
    )
    problems = execution_problems(conn, RUN, 1, QueryLog())
    assert problems == [elsewhere + "its namespace 'default' is not in the namespaces table"]
    conn.tables["namespaces"] = (["id", "name"], [(NS, "default")])
    problems = execution_problems(conn, RUN, 1, QueryLog())
    assert problems == [elsewhere + "neither executions nor current_executions holds a row for it"]
    unreadable = state.ExecutionRows(False, {}, None, 'database "temporal" does not exist')
    assert checks.execution_rows_problems(unreadable, "default", "wf", RUN, 1, "pg:5432") == [
        f"Temporal's state is not in this PostgreSQL (pg:5432): workflow wf (run {RUN}) "
        "completed through the frontend moments ago, but its tables cannot be read: database "
        '"temporal" does not exist'
    ]


def test_a_run_with_only_some_rows_names_what_is_missing() -> None:
    conn = FakeConnection(
        {
            "namespaces": (["id", "name"], [(NS, "default")]),
            "executions": (["a"], []),
            "current_executions": (["a"], []),
        }
    )
    rows = state.ExecutionRows(True, {}, ("other-run", 3, 2))
    assert checks.execution_rows_problems(rows, "default", "wf", RUN, 1)[0] == (
        f"no executions row for run {RUN} (rows for runs: [])"
    )
    del conn


def history_db(rows: list[tuple[Any, ...]]) -> FakeConnection:
    return FakeConnection(
        {"history_node": (["node_id", "txn_id", "branch_id", "data_encoding", "data"], rows)}
    )


def test_the_stored_history_decodes_to_the_served_history() -> None:
    events = full_history()
    rows = nodes_of(events, [1, 4, 10, 20])
    log = QueryLog()
    nodes = state.stored_history(history_db(rows), RUN, log)  # type: ignore[arg-type]
    assert [node.node_id for node in nodes] == [1, 4, 10, 20]
    assert checks.stored_history_problems(nodes, events) == []
    shown = log.entries[0].render()
    assert "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled" in shown
    assert "data (decoded events)" in shown


def test_the_latest_write_of_a_node_wins() -> None:
    events = full_history()
    rows = nodes_of(events, [1, 4])
    stale = (4, -5, BRANCH, "Proto3", History(events=events[3:5]).SerializeToString())
    rows.insert(1, (4, -9000, BRANCH, "Proto3", rows[1][4]))  # newest: lowest (negated) txn
    rows.append(stale)
    nodes = state.stored_history(history_db(rows), RUN, QueryLog())  # type: ignore[arg-type]
    assert [node.txn_id for node in nodes] == [-1001, -9000]
    assert checks.stored_history_problems(nodes, events) == []


def test_stored_history_problems() -> None:
    events = full_history()
    assert checks.stored_history_problems([], events) == ["no history_node rows for this run"]

    gap = nodes_of(events, [1, 4])
    del gap[1]
    nodes = state.stored_history(history_db(gap), RUN, QueryLog())  # type: ignore[arg-type]
    problems = checks.stored_history_problems(nodes, events)
    assert problems == [
        "the stored history differs from the API's: API has 31 events, PostgreSQL 3"
    ]

    shifted = nodes_of(events, [1, 4])
    shifted[1] = (5, *shifted[1][1:])
    nodes = state.stored_history(history_db(shifted), RUN, QueryLog())  # type: ignore[arg-type]
    assert checks.stored_history_problems(nodes, events)[0] == "node 5 starts with event 4"

    two_branches = nodes_of(events, [1, 4])
    two_branches[1] = (4, -1, str(uuid.uuid4()), "Proto3", two_branches[1][4])
    nodes = state.stored_history(history_db(two_branches), RUN, QueryLog())  # type: ignore[arg-type]
    assert "spans 2 branches" in checks.stored_history_problems(nodes, events)[0]

    different = list(events)
    different[6] = events[7]
    nodes = state.stored_history(history_db(nodes_of(events, [1])), RUN, QueryLog())  # type: ignore[arg-type]
    assert "first difference at position 6" in checks.stored_history_problems(nodes, different)[0]

    with pytest.raises(ValueError, match="not Proto3"):
        state.stored_history(history_db([(1, -1, BRANCH, "json", b"{}")]), RUN, QueryLog())  # type: ignore[arg-type]


def visibility_db(answers: list[list[tuple[Any, ...]]]) -> FakeConnection:
    columns = ["workflow_id", "run_id", "workflow_type_name", "status", "history_length",
               "start_time", "close_time", "task_queue"]  # fmt: skip
    return FakeConnection({"executions_visibility": (columns, lambda: answers.pop(0))})


def test_visibility_is_polled_until_the_row_is_closed() -> None:
    running = ("wf", RUN, "TestWorkflow", 1, 0, None, None, "q")
    done = ("wf", RUN, "TestWorkflow", 2, 35, None, "2026-11-25", "q")
    row, log = state.closed_visibility_row(visibility_db([[], [running], [done]]), NS, "wf", RUN, 5)  # type: ignore[arg-type]
    assert (row.status_name, row.history_length, row.workflow_type) == (
        "Completed",
        35,
        "TestWorkflow",
    )
    assert len(log.entries) == 1  # only the last attempt is kept for the report
    assert "executions_visibility" in log.entries[0].render()


def test_visibility_that_never_closes_times_out_saying_what_it_saw() -> None:
    running = ("wf", RUN, "TestWorkflow", 1, 0, None, None, "q")
    conn = visibility_db([[running]] * 1000)
    with pytest.raises(WaitTimeout, match="last seen: status Running"):
        state.closed_visibility_row(conn, NS, "wf", RUN, 0.3)  # type: ignore[arg-type]
    assert state.VisibilityRow(RUN, "T", 9, 0, None).status_name == "status 9"


def test_app_row_query() -> None:
    conn = FakeConnection({"workload_round_trips": (["row_id"], [(7,)])})
    log = QueryLog()
    assert state.app_row(conn, "wf", RUN, log).rows == [(7,)]  # type: ignore[arg-type]
    assert conn.seen[0][1] == ("wf", RUN)


# -- gate entry points: connection per database, judged results ----------------------------


class Connections:
    """Stands in for checks.database.connect: one fake connection per database name."""

    def __init__(self, **by_database: FakeConnection) -> None:
        self.by_database = by_database
        self.opened: list[str] = []

    def __call__(self, endpoints: object, database: str) -> Any:
        self.opened.append(database)
        conn = self.by_database[database]

        class Context:
            def __enter__(self) -> FakeConnection:
                return conn

            def __exit__(self, *exc: object) -> None:
                return None

        return Context()


class FakeEndpoints:
    namespace = "default"
    temporal_database = "temporal"
    visibility_database = "temporal_visibility"


def completed_record(row_id: int = 7) -> Any:
    from test_execution_checks import good_result, record

    result = good_result()
    result.database_row.row_id = row_id
    rec = record(result)
    rec.run_id = RUN
    return rec


def test_the_gate_readings_pass_on_consistent_state(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = completed_record()
    events = rec.events
    done = ("wf-1", RUN, "TestWorkflow", 2, len(events), None, "2026-11-25", "q")
    visibility = visibility_db([[done]])
    temporal = temporal_db(next_event_id=len(events) + 1)
    temporal.tables["history_node"] = history_db(nodes_of(events, [1, 4])).tables["history_node"]
    connections = Connections(
        temporal=temporal,
        temporal_visibility=visibility,
        acceptance_app=FakeConnection({"workload_round_trips": (["row_id"], [(7,)])}),
    )
    monkeypatch.setattr(state, "connect", connections)
    endpoints: Any = FakeEndpoints()
    found = state.read_app_rows(endpoints, "acceptance_app", "wf-1", RUN, QueryLog())
    assert checks.app_row_problems(found, 7, "acceptance_app", RUN) == []
    nodes = state.read_stored_history(endpoints, RUN, QueryLog())
    assert checks.stored_history_problems(nodes, events) == []
    log = QueryLog()
    row = state.read_closed_visibility(endpoints, "wf-1", RUN, 2, log)
    assert checks.visibility_problems(row, "wf-1", len(events)) == []
    assert len(log.entries) == 2  # the namespace lookup and the last visibility query
    assert connections.opened == ["acceptance_app", "temporal", "temporal", "temporal_visibility"]


def test_the_gate_checks_report_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = completed_record(row_id=8)
    failed = ("wf-1", RUN, "TestWorkflow", 3, 12, None, "2026-11-25", "q")
    connections = Connections(
        temporal=temporal_db(next_event_id=len(rec.events) + 1),
        temporal_visibility=visibility_db([[failed]]),
        acceptance_app=FakeConnection({"workload_round_trips": (["row_id"], [(7,), (9,)])}),
    )
    monkeypatch.setattr(state, "connect", connections)
    endpoints: Any = FakeEndpoints()
    found = state.read_app_rows(endpoints, "acceptance_app", "wf-1", RUN, QueryLog())
    assert checks.app_row_problems(found, 8, "acceptance_app", RUN) == [
        f"acceptance_app.workload_round_trips holds rows [7, 9] for run {RUN}; "
        "the database activity reported writing row 8"
    ]
    row = state.read_closed_visibility(endpoints, "wf-1", RUN, 2, QueryLog())
    assert checks.visibility_problems(row, "wf-1", len(rec.events)) == [
        f"visibility shows wf-1 as Failed with history length 12; "
        f"expected Completed with {len(rec.events)} events"
    ]
    connections.by_database["temporal"] = FakeConnection({"namespaces": (["id", "name"], [])})
    row = state.read_closed_visibility(endpoints, "wf-1", RUN, 2, QueryLog())
    assert checks.visibility_problems(row, "wf-1", 1) == [
        "the visibility database does not list wf-1 as closed: namespace 'default' is not in "
        "the namespaces table"
    ]
