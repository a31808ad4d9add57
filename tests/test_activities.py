"""The activities' own logic: derived values, the database round trip (against a fake
connection that behaves like a table), and the errors a worker's operator sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from temporal_acceptance.workload import activities
from temporal_acceptance.workload.shared import (
    APP_DSN_ENV,
    APP_TABLE,
    EXECUTIONS_TABLE,
    ActivityInput,
    DatabaseOperationInput,
)


class FakeCursor:
    def __init__(self, row: tuple[Any, ...] | None) -> None:
        self.row = row

    async def fetchone(self) -> tuple[Any, ...] | None:
        return self.row


class FakeTable:
    """Just enough of PostgreSQL for the round trip: upsert by (workflow, run), read by id."""

    def __init__(self, corrupt: bool = False, lose_rows: bool = False) -> None:
        self.rows: dict[int, list[Any]] = {}
        self.executions: list[tuple[Any, ...]] = []  # append-only, like the real table
        self.statements: list[str] = []
        self.corrupt = corrupt
        self.lose_rows = lose_rows
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self.transactions += 1
        yield

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> FakeCursor:
        self.statements.append(" ".join(sql.split())[:60])
        if sql.lstrip().startswith("insert into workload_executions"):
            self.executions.append(params)
            return FakeCursor(None)
        if sql.lstrip().startswith("insert"):
            for row_id, row in self.rows.items():
                if row[0:2] == list(params[0:2]):
                    row[2:4] = params[2:4]
                    return FakeCursor((row_id,))
            row_id = len(self.rows) + 1
            self.rows[row_id] = list(params)
            return FakeCursor((row_id,))
        if sql.lstrip().startswith("select row_id"):
            row = self.rows.get(params[0])
            if row is None or self.lose_rows:
                return FakeCursor(None)
            payload = "tampered" if self.corrupt else row[2]
            return FakeCursor(
                (params[0], row[0], row[1], payload, datetime.now(UTC), "app_db", "app_role")
            )
        return FakeCursor(None)


REQUEST = DatabaseOperationInput("wf", "run", "hello")


def test_the_activity_result_is_derived_from_its_input(run: Any) -> None:
    env = ActivityEnvironment()
    result = run(env.run(activities.test_activity_execution, ActivityInput("abc")))
    assert result.processed == "processed: abc"
    assert result.length == 3
    assert result.checksum == "ba7816bf8f01cfea"  # sha256("abc"), first 16 hex digits
    assert activities.derive("abd").checksum != result.checksum


def test_the_round_trip_writes_then_reads_the_same_row(run: Any) -> None:
    table = FakeTable()
    row = run(activities.round_trip(table, REQUEST, attempt=1))  # type: ignore[arg-type]
    assert (row.row_id, row.workflow_id, row.run_id, row.payload) == (1, "wf", "run", "hello")
    assert (row.database, row.table, row.role) == ("app_db", APP_TABLE, "app_role")
    assert table.transactions == 2  # the write is committed before the read
    # A retried attempt updates its own row instead of adding a second one.
    again = run(activities.round_trip(table, REQUEST, attempt=2))  # type: ignore[arg-type]
    assert again.row_id == 1
    assert len(table.rows) == 1
    assert all(APP_TABLE in stmt or "advisory" in stmt for stmt in table.statements[:2])
    # ... but every execution appends its own row, so a duplicate would show.
    assert table.executions == [
        ("wf", "run", "test_database_operation", 1),
        ("wf", "run", "test_database_operation", 2),
    ]


def test_a_round_trip_that_reads_something_else_fails(run: Any) -> None:
    with pytest.raises(ApplicationError, match="read back differs"):
        run(activities.round_trip(FakeTable(corrupt=True), REQUEST, 1))  # type: ignore[arg-type]
    with pytest.raises(ApplicationError, match="cannot be read back"):
        run(activities.round_trip(FakeTable(lose_rows=True), REQUEST, 1))  # type: ignore[arg-type]


def test_the_sql_names_the_shared_tables() -> None:
    for sql in (activities.CREATE_TABLE, activities.UPSERT_ROW, activities.READ_ROW):
        assert APP_TABLE in sql
    for sql in (activities.CREATE_EXECUTIONS, activities.APPEND_EXECUTION):
        assert EXECUTIONS_TABLE in sql
    assert "unique" not in activities.CREATE_EXECUTIONS  # never merged: duplicates show


def test_without_a_dsn_the_database_activity_names_the_fix(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(APP_DSN_ENV, raising=False)
    with pytest.raises(ApplicationError, match=f"{APP_DSN_ENV} is not set") as caught:
        run(ActivityEnvironment().run(activities.test_database_operation, REQUEST))
    assert caught.value.non_retryable


def test_an_unreachable_database_fails_without_leaking_the_password(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    monkeypatch.setenv(
        APP_DSN_ENV,
        "host=127.0.0.1 port=1 dbname=nowhere user=u password=hunter2 connect_timeout=2",
    )
    with pytest.raises(ApplicationError, match="application database round trip failed") as caught:
        run(ActivityEnvironment().run(activities.test_database_operation, REQUEST))
    assert "hunter2" not in str(caught.value)
    assert caught.value.type == "OperationalError"
