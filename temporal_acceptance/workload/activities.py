"""The test workflow's activities (stage 1). They run on the worker process, never in the
suite: their completion events carry the worker's identity, which is what the gates check.
"""

from __future__ import annotations

import asyncio
import hashlib
import os

import psycopg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from temporal_acceptance.core.secrets import redact
from temporal_acceptance.workload.shared import (
    ACTIVITY_EXECUTION,
    APP_DSN_ENV,
    APP_TABLE,
    DATABASE_OPERATION,
    ActivityInput,
    ActivityResult,
    DatabaseOperationInput,
    DatabaseRow,
)

# The table name is spelled out (it is APP_TABLE): SQL text is never built from variables.
CREATE_TABLE = """
create table if not exists workload_round_trips (
    row_id      bigserial primary key,
    workflow_id text not null,
    run_id      text not null,
    payload     text not null,
    attempt     integer not null,
    written_at  timestamptz not null default now(),
    unique (workflow_id, run_id)
)"""
# A retried attempt overwrites its own row instead of adding a second one.
UPSERT_ROW = """
insert into workload_round_trips (workflow_id, run_id, payload, attempt) values (%s, %s, %s, %s)
on conflict (workflow_id, run_id)
do update set payload = excluded.payload, attempt = excluded.attempt, written_at = now()
returning row_id"""
# Every execution of the activity appends a row here, in the same transaction as its
# write, and nothing is ever merged: an execution Temporal dispatched twice leaves two rows
# (the round-trip table above keeps one row per run, the latest attempt's).
CREATE_EXECUTIONS = """
create table if not exists workload_executions (
    execution_id bigserial primary key,
    workflow_id  text not null,
    run_id       text not null,
    activity     text not null,
    attempt      integer not null,
    executed_at  timestamptz not null default now()
)"""
APPEND_EXECUTION = """
insert into workload_executions (workflow_id, run_id, activity, attempt) values (%s, %s, %s, %s)"""
READ_ROW = """
select row_id, workflow_id, run_id, payload, written_at, current_database(), current_user
from workload_round_trips where row_id = %s"""


def derive(message: str) -> ActivityResult:
    """The value test_activity_execution returns: recomputable by anyone from the input."""
    return ActivityResult(
        processed=f"processed: {message}",
        checksum=hashlib.sha256(message.encode()).hexdigest()[:16],
        length=len(message),
    )


# A held attempt heartbeats this often (the workflow gives it a heartbeat timeout of a few
# seconds, so a worker that dies mid-hold is noticed quickly and the activity retried).
HOLD_HEARTBEAT_INTERVAL = 0.5


async def hold_first_attempt(seconds: float) -> None:
    """Simulate a long first attempt: heartbeat for up to `seconds`; a cancelled attempt
    stops at once and reports the cancellation. Retries (attempt 2 and later) do not hold."""
    info = activity.info()
    if seconds <= 0 or info.attempt > 1:
        return
    activity.logger.info("holding attempt %d for up to %gs", info.attempt, seconds)
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        activity.heartbeat(f"holding, {left:.1f}s left")
        try:
            # The hold is the work being simulated; it ends early if the attempt is cancelled.
            await asyncio.wait_for(
                activity.wait_for_cancelled(), timeout=min(HOLD_HEARTBEAT_INTERVAL, left)
            )
        except TimeoutError:
            continue
        raise asyncio.CancelledError(f"attempt {info.attempt} cancelled while holding")


@activity.defn(name=ACTIVITY_EXECUTION)
async def test_activity_execution(request: ActivityInput) -> ActivityResult:
    await hold_first_attempt(request.hold_seconds)
    result = derive(request.message)
    activity.logger.info("processed a message of %d characters", result.length)
    return result


def app_conninfo() -> str:
    conninfo = os.environ.get(APP_DSN_ENV, "")
    if not conninfo:
        raise ApplicationError(
            f"the worker has no application database: {APP_DSN_ENV} is not set",
            type="WorkerConfiguration",
            non_retryable=True,
        )
    return conninfo


async def round_trip(
    conn: psycopg.AsyncConnection[tuple[object, ...]], request: DatabaseOperationInput, attempt: int
) -> DatabaseRow:
    """Write the row in one committed transaction, then read it back in another."""
    async with conn.transaction():
        # Serialise the first creation: concurrent `create table if not exists` can collide.
        await conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (APP_TABLE,))
        await conn.execute(CREATE_TABLE)
        await conn.execute(CREATE_EXECUTIONS)
    async with conn.transaction():
        cursor = await conn.execute(
            UPSERT_ROW, (request.workflow_id, request.run_id, request.payload, attempt)
        )
        written = await cursor.fetchone()
        await conn.execute(
            APPEND_EXECUTION, (request.workflow_id, request.run_id, DATABASE_OPERATION, attempt)
        )
    if written is None:
        raise ApplicationError("the insert returned no row id", type="DatabaseRoundTrip")
    cursor = await conn.execute(READ_ROW, (written[0],))
    row = await cursor.fetchone()
    if row is None:
        raise ApplicationError(
            f"row {written[0]} was written but cannot be read back", type="DatabaseRoundTrip"
        )
    read = DatabaseRow(
        row_id=int(str(row[0])),
        workflow_id=str(row[1]),
        run_id=str(row[2]),
        payload=str(row[3]),
        written_at=row[4].isoformat() if hasattr(row[4], "isoformat") else str(row[4]),
        database=str(row[5]),
        table=APP_TABLE,
        role=str(row[6]),
    )
    if (read.workflow_id, read.run_id, read.payload) != (
        request.workflow_id,
        request.run_id,
        request.payload,
    ):
        raise ApplicationError(
            f"row {read.row_id} read back differs from what was written: {read}",
            type="DatabaseRoundTrip",
        )
    return read


@activity.defn(name=DATABASE_OPERATION)
async def test_database_operation(request: DatabaseOperationInput) -> DatabaseRow:
    conninfo = app_conninfo()
    try:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            row = await round_trip(conn, request, activity.info().attempt)
    except psycopg.Error as exc:
        # The message goes into the workflow history (and the UI): keep secrets out of it.
        raise ApplicationError(
            f"application database round trip failed: {redact(str(exc).strip())}",
            type=type(exc).__name__,
        ) from None
    activity.logger.info("wrote and read back row %d in %s", row.row_id, row.database)
    return row
