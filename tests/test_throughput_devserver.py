"""The load runner against a real Temporal dev server: LoadProbeWorkflow runs its one
activity, every workflow of a small burst is timed, and the figures add up."""

from __future__ import annotations

import uuid

import pytest
from conftest import LoopRunner
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from temporal_acceptance.checks.load_breakdown import (
    ACTIVITIES,
    IN_WORKER,
    SERVER,
    WAIT_ACTIVITY,
    WAIT_STICKY,
    WAIT_WORKFLOW_TASK,
    breakdown,
    slowest,
)
from temporal_acceptance.checks.performance import LoadSpec, Thresholds, problems, summarise
from temporal_acceptance.workload import activities
from temporal_acceptance.workload.shared import SHORT_LOAD
from temporal_acceptance.workload.throughput import one_workflow, run_load
from temporal_acceptance.workload.timeline import Step, read_timelines
from temporal_acceptance.workload.workflows import LoadProbeWorkflow

pytestmark = pytest.mark.devserver


def test_a_burst_of_short_workflows_is_timed(run: LoopRunner, dev_env: WorkflowEnvironment) -> None:
    client = dev_env.client
    queue = f"unit-load-{uuid.uuid4().hex[:8]}"

    async def burst() -> tuple[object, float]:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[LoadProbeWorkflow],
            activities=[activities.test_activity_execution],
        ):
            run_one = one_workflow(SHORT_LOAD, client, queue, 0.0)
            done = await run_load(run_one, 12, 4, prefix="unit")
        return done, done.wall_seconds

    done, wall = run(burst())
    spec = LoadSpec(SHORT_LOAD, 12, 4)
    figures = summarise(spec, done.samples, wall)  # type: ignore[attr-defined]
    assert figures.completed == 12, figures.errors
    assert 0 < figures.p50 <= figures.p95 <= figures.p99 <= figures.max
    assert problems(figures, Thresholds(min_throughput=0.5, max_p99=30)) == []
    # A threshold no real deployment meets fails, naming the figure.
    assert problems(figures, Thresholds(max_p50=0.000001))[0].startswith(
        "12 short workflows at a concurrency of 4: latency p50"
    )


def test_where_the_time_went_is_read_from_real_histories(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client = dev_env.client
    queue = f"unit-load-{uuid.uuid4().hex[:8]}"

    async def burst_then_read() -> tuple[list[list[Step]], list[str]]:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[LoadProbeWorkflow],
            activities=[activities.test_activity_execution],
        ):
            done = await run_load(one_workflow(SHORT_LOAD, client, queue, 0.0), 4, 2)
        ids = slowest(done.samples, 3)
        return await read_timelines(client, [*ids, "no-such-workflow"])

    timelines, unread = run(burst_then_read())
    spent = breakdown(timelines, unread)
    assert spent.workflows == 3
    assert unread[0].startswith("no-such-workflow: RPCError")
    # One activity between two workflow tasks: each wait is there, and nothing else.
    assert {WAIT_WORKFLOW_TASK, IN_WORKER, ACTIVITIES} <= set(spent.seconds)
    assert set(spent.seconds) <= {
        WAIT_WORKFLOW_TASK,
        WAIT_STICKY,
        IN_WORKER,
        ACTIVITIES,
        WAIT_ACTIVITY,
        SERVER,
    }
    assert spent.timed_out == {}
    assert spent.total > 0
    assert "1 histories not read" in spent.line()
