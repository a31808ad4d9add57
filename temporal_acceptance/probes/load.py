"""Where a batch of workflows shows up: Temporal's list API (once visibility caught up), the
visibility table and the application's executions table, read straight from PostgreSQL."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.clients.endpoints import (
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    Endpoints,
)
from temporal_acceptance.clients.postgres import QueryLog, connect, query
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.probes.workflow_rows import namespace_id
from temporal_acceptance.workload.shared import DATABASE_OPERATION

# Visibility is written asynchronously; after the last completion it catches up quickly.
VISIBILITY_TIMEOUT = 15.0


async def listed_through_api(
    client: Client, prefix: str, workflow_type: str, count: int
) -> list[tuple[str, str]]:
    """(id, status) of each run Temporal's list API returns for the batch, once it lists
    `count` completed ones or VISIBILITY_TIMEOUT has passed (visibility is eventually
    consistent; what it then lists is judged, including what is missing)."""
    query = f'WorkflowType = "{workflow_type}" AND WorkflowId STARTS_WITH "{prefix}"'

    async def completed_count() -> int:
        return (await client.count_workflows(f'{query} AND ExecutionStatus = "Completed"')).count

    with contextlib.suppress(WaitTimeout):
        await wait_until_async(
            completed_count,
            what=f"Temporal to list {count} completed {workflow_type} runs of {prefix}",
            timeout=VISIBILITY_TIMEOUT,
            accept=lambda n: n >= count,
            errors=(RPCError,),
            max_delay=0.2,
        )
    return [
        (wf.id, wf.status.name if wf.status else "UNKNOWN")
        async for wf in client.list_workflows(query)
    ]


VISIBILITY_SQL = (
    "select workflow_id, status, workflow_type_name from executions_visibility "
    "where namespace_id = %s and workflow_id like %s order by workflow_id"
)


EXECUTIONS_SQL = (
    "select workflow_id, attempt from workload_executions "
    "where workflow_id like %s and activity = %s order by workflow_id, attempt"
)


def _pattern(prefix: str) -> str:
    return prefix.replace("_", r"\_") + "%"


def read_visibility_rows(endpoints: Endpoints, prefix: str, log: QueryLog) -> list[tuple[Any, ...]]:
    """The batch's visibility rows (id, status, type), read straight from PostgreSQL."""
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, log)
    with connect(endpoints, VISIBILITY_DATABASE) as conn:
        return query(conn, VISIBILITY_SQL, (ns_id, _pattern(prefix)), log).rows


def read_executions(
    endpoints: Endpoints, database: str, prefix: str, log: QueryLog
) -> list[tuple[str, int]]:
    """(workflow id, attempt) of every execution of the database activity the batch ran,
    one entry per row: the table is append-only, so a duplicate execution shows twice."""
    try:
        with connect(endpoints, database) as conn:
            rows = query(conn, EXECUTIONS_SQL, (_pattern(prefix), DATABASE_OPERATION), log).rows
    except psycopg.errors.UndefinedTable:
        return []
    return [(str(wid), int(attempt)) for wid, attempt in rows]
