"""Many workflows in flight across a restart: every one must complete, and each exactly
once — checked through Temporal's API and, independently, in the visibility table and the
application table.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from temporal_acceptance.workload.watch import Watched, options_for, start

# Long enough that none of them can finish before the restart begins (starting them all
# takes about a second on a 2-core machine).
LOAD_TIMER_SECONDS = 3.0


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


# -- gate entry points ------------------------------------------------------------------------
