"""A load of workflows at a bounded concurrency, each timed from its start request to its
result: what the load gate and `temporal-acceptance bench-load` measure.

At most `concurrency` workflows are in flight at a time; a new one starts as soon as one
finishes (a closed loop, like a client pool). Every workflow gets an execution timeout, so a
load against a deployment that stopped answering ends, with every unfinished workflow
counted as failed, instead of hanging.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from temporal_acceptance.workload.execute import ExecutionOptions
from temporal_acceptance.workload.shared import (
    FIVE_STAGE_LOAD,
    LOAD_PROBE_WORKFLOW_NAME,
    SHORT_LOAD,
    new_workflow_id,
)
from temporal_acceptance.workload.watch import start

# A workflow of the load that has not finished in this long counts as failed.
SHORT_TIMEOUT = timedelta(seconds=60)
FIVE_STAGE_MARGIN = 60.0


@dataclass(frozen=True)
class Timed:
    started: float  # seconds after the load began
    latency: float | None  # None: it did not complete
    error: str = ""
    workflow_id: str = ""  # where to read its history (the load gate's breakdown)


@dataclass
class LoadRun:
    samples: list[Timed]
    wall_seconds: float


async def _short(client: Client, task_queue: str, workflow_id: str) -> None:
    await client.execute_workflow(
        LOAD_PROBE_WORKFLOW_NAME,
        workflow_id,
        id=workflow_id,
        task_queue=task_queue,
        execution_timeout=SHORT_TIMEOUT,
        result_type=str,
    )


async def _five_stage(client: Client, task_queue: str, workflow_id: str, timer: float) -> None:
    options = ExecutionOptions(
        workflow_id,
        task_queue,
        timer_seconds=timer,
        execution_timeout=timer + FIVE_STAGE_MARGIN,
    )
    watched = await start(client, options, signal_at_start=True)
    await client.get_workflow_handle(watched.workflow_id, run_id=watched.run_id).result()


def one_workflow(
    kind: str, client: Client, task_queue: str, timer: float
) -> Callable[[str], Awaitable[None]]:
    """Runs one workflow of the load's kind, with the workflow id it is given."""
    if kind == SHORT_LOAD:
        return lambda workflow_id: _short(client, task_queue, workflow_id)
    if kind == FIVE_STAGE_LOAD:
        return lambda workflow_id: _five_stage(client, task_queue, workflow_id, timer)
    raise ValueError(f"unknown load kind {kind!r}")


async def run_load(
    run_one: Callable[[str], Awaitable[None]],
    count: int,
    concurrency: int,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    prefix: str = "load",
) -> LoadRun:
    """Run `count` workflows, at most `concurrency` at a time (ids `<prefix>-…`); time each."""
    began = time.perf_counter()
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def timed() -> Timed:
        nonlocal done
        async with gate:
            workflow_id = new_workflow_id(prefix)
            started = time.perf_counter()
            try:
                await run_one(workflow_id)
            except (WorkflowFailureError, RPCError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                outcome = Timed(started - began, None, error, workflow_id)
            else:
                outcome = Timed(started - began, time.perf_counter() - started, "", workflow_id)
        done += 1
        if on_progress is not None:
            on_progress(done, count)
        return outcome

    samples = await asyncio.gather(*(timed() for _ in range(count)))
    return LoadRun(list(samples), time.perf_counter() - began)
