"""Many workflows in flight across a restart: every one must complete, and each exactly
once — checked through Temporal's API and, independently, in the visibility table and the
application table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from temporal_acceptance.checks.database import QueryLog, connect, query
from temporal_acceptance.checks.workflow_state import STATUS_COMPLETED, STATUS_NAMES, namespace_id
from temporal_acceptance.errors import WaitTimeout
from temporal_acceptance.persistence.workflows import Watched, options_for, start
from temporal_acceptance.stack.base import (
    APP_DATABASE,
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    Endpoints,
)
from temporal_acceptance.waiting import wait_until_async
from temporal_acceptance.workload.shared import CHILD_WORKFLOW_NAME, WORKFLOW_NAME

# Long enough that none of them can finish before the restart begins (starting them all
# takes about a second on a 2-core machine).
LOAD_TIMER_SECONDS = 3.0
# Visibility is written asynchronously; after the last completion it catches up quickly.
VISIBILITY_TIMEOUT = 15.0


@dataclass
class Load:
    prefix: str
    watched: list[Watched]
    outcomes: dict[str, str] = field(default_factory=dict)  # workflow id → outcome

    @property
    def ids(self) -> list[str]:
        return [w.workflow_id for w in self.watched]


async def start_load(client: Client, task_queue: str, prefix: str, count: int) -> Load:
    """Start `count` test workflows at once, each with its signal (they run on their own)."""
    watched = await asyncio.gather(
        *(
            start(client, options_for(f"{prefix}-{i:03d}", task_queue, LOAD_TIMER_SECONDS), True)
            for i in range(count)
        )
    )
    return Load(prefix, list(watched))


async def statuses(client: Client, load: Load) -> dict[str, str]:
    """Each workflow's status as Temporal describes it (from its own record, not visibility)."""

    async def status(w: Watched) -> str:
        try:
            described = await client.get_workflow_handle(w.workflow_id, run_id=w.run_id).describe()
        except RPCError as exc:
            return f"unknown ({exc.status.name if exc.status else exc})"
        return described.status.name if described.status else "unknown"

    found = await asyncio.gather(*(status(w) for w in load.watched))
    return dict(zip(load.ids, found, strict=True))


def not_running(found: dict[str, str]) -> list[str]:
    return [f"{wid}: {status}" for wid, status in found.items() if status != "RUNNING"]


async def wait_completed(client: Client, load: Load, timeout: float) -> dict[str, str]:
    """Wait (together, bounded) for every result; the outcome of each by workflow id."""

    async def outcome(w: Watched) -> str:
        handle = client.get_workflow_handle(w.workflow_id, run_id=w.run_id)
        try:
            await handle.result()
        except WorkflowFailureError as exc:
            return f"failed: {exc.cause or exc}"
        except RPCError as exc:
            return f"lost? {exc.status.name if exc.status else ''} {exc}"
        return "completed"

    tasks = [asyncio.ensure_future(outcome(w)) for w in load.watched]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    load.outcomes = {
        w.workflow_id: (task.result() if task in done else f"still running after {timeout:g} s")
        for w, task in zip(load.watched, tasks, strict=True)
    }
    return load.outcomes


def outcome_problems(outcomes: dict[str, str]) -> list[str]:
    bad = {wid: outcome for wid, outcome in outcomes.items() if outcome != "completed"}
    if not bad:
        return []
    shown = "; ".join(f"{wid}: {outcome}" for wid, outcome in sorted(bad.items())[:10])
    return [f"{len(bad)} of {len(outcomes)} workflows did not complete: {shown}"]


def exactly_once_problems(where: str, expected: Iterable[str], seen: Sequence[str]) -> list[str]:
    """Every expected id is seen exactly once, and nothing else is."""
    wanted = set(expected)
    counts = Counter(seen)
    problems = []
    if lost := sorted(wanted - set(counts)):
        problems.append(f"{where}: {len(lost)} workflows lost: {', '.join(lost[:10])}")
    if twice := sorted(wid for wid, n in counts.items() if n > 1):
        problems.append(
            f"{where}: {len(twice)} workflows duplicated: "
            + ", ".join(f"{wid} ×{counts[wid]}" for wid in twice[:10])
        )
    if strangers := sorted(set(counts) - wanted):
        problems.append(
            f"{where}: {len(strangers)} unexpected workflows: {', '.join(strangers[:10])}"
        )
    return problems


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


def api_problems(
    listed: Sequence[tuple[str, str]], expected: Sequence[str], what: str
) -> list[str]:
    problems = exactly_once_problems(f"Temporal's list of {what}", expected, [i for i, _ in listed])
    unfinished = [f"{wid} {status}" for wid, status in listed if status != "COMPLETED"]
    if unfinished:
        problems.append(
            f"Temporal lists {len(unfinished)} {what} runs not completed: "
            + ", ".join(unfinished[:10])
        )
    return problems


VISIBILITY_SQL = (
    "select workflow_id, status, workflow_type_name from executions_visibility "
    "where namespace_id = %s and workflow_id like %s order by workflow_id"
)
APP_ROWS_SQL = (
    "select workflow_id, count(*) as rows from workload_round_trips "
    "where workflow_id like %s group by workflow_id order by workflow_id"
)


def stored_rows(
    endpoints: Endpoints, prefix: str, log: QueryLog
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The batch's visibility rows (id, status, type) and the application rows' workflow ids
    (one per row), read straight from PostgreSQL."""
    pattern = prefix.replace("_", r"\_") + "%"
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, log)
    with connect(endpoints, VISIBILITY_DATABASE) as conn:
        visibility = query(conn, VISIBILITY_SQL, (ns_id, pattern), log).rows
    try:
        with connect(endpoints, APP_DATABASE) as conn:
            counted = query(conn, APP_ROWS_SQL, (pattern,), log).rows
    except psycopg.errors.UndefinedTable:
        counted = []
    app_ids = [str(wid) for wid, rows in counted for _ in range(int(rows))]
    return visibility, app_ids


def visibility_problems(rows: Sequence[tuple[Any, ...]], expected: Sequence[str]) -> list[str]:
    """Each parent and each child once in the visibility table, every one completed."""
    parents = [str(r[0]) for r in rows if r[2] == WORKFLOW_NAME]
    children = [str(r[0]) for r in rows if r[2] == CHILD_WORKFLOW_NAME]
    problems = exactly_once_problems("visibility table (TestWorkflow)", expected, parents)
    problems += exactly_once_problems(
        "visibility table (ChildTestWorkflow)", [f"{wid}-child" for wid in expected], children
    )
    unfinished = [
        f"{r[0]} {STATUS_NAMES.get(int(r[1]), r[1])}" for r in rows if int(r[1]) != STATUS_COMPLETED
    ]
    if unfinished:
        problems.append(
            f"visibility table: {len(unfinished)} runs not completed: {', '.join(unfinished[:10])}"
        )
    return problems


async def api_problems_for(client: Client, batch: Load) -> list[str]:
    """Through Temporal's list API: each parent and each child exactly once, completed."""
    count = len(batch.ids)
    parents = await listed_through_api(client, batch.prefix, WORKFLOW_NAME, count)
    children = await listed_through_api(client, batch.prefix, CHILD_WORKFLOW_NAME, count)
    return api_problems(parents, batch.ids, WORKFLOW_NAME) + api_problems(
        children, [f"{wid}-child" for wid in batch.ids], CHILD_WORKFLOW_NAME
    )


def app_row_problems(app_ids: Sequence[str], expected: Sequence[str]) -> list[str]:
    """The database activity wrote exactly one row per workflow (a duplicated execution
    would have written a second)."""
    return exactly_once_problems("application table", expected, app_ids)


# -- gate entry points ------------------------------------------------------------------------


async def in_flight(
    client: Client, task_queue: str, prefix: str, count: int
) -> tuple[Load, dict[str, str], list[str]]:
    """Start the batch; each one's status, and those not running (all must be in flight)."""
    batch = await start_load(client, task_queue, prefix, count)
    found = await statuses(client, batch)
    return batch, found, not_running(found)


async def exactly_once(
    client: Client, endpoints: Endpoints, batch: Load
) -> tuple[list[str], QueryLog]:
    """Through the API, in the visibility table and in the application table: each workflow
    (and child) exactly once, completed. Returns the problems and the SQL made."""
    problems = await api_problems_for(client, batch)
    rows, app_ids = stored_rows(endpoints, batch.prefix, log := QueryLog())
    problems += visibility_problems(rows, batch.ids) + app_row_problems(app_ids, batch.ids)
    return problems, log
