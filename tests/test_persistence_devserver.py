"""The persistence gates' workflow driving against a real Temporal dev server: parking two
workflows (in their timer, waiting for their signal), resuming them, an activity retried
on another worker, a batch completed exactly once, and the witness read again. PostgreSQL
is replaced at its boundary (the dev server has none)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import LoopRunner
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_snapshot import connector, healthy_databases
from test_workload_devserver import FAKE_DATABASE, fake_database_operation

from temporal_acceptance.checks import inflight as inflight_checks
from temporal_acceptance.checks import stored as stored_checks
from temporal_acceptance.checks.load import not_running, outcome_problems
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.verdict import GateFailed
from temporal_acceptance.gates import load as load_gate
from temporal_acceptance.gates import persistence as gates
from temporal_acceptance.probes import stored
from temporal_acceptance.probes.snapshot import take_snapshot
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload import activities, inflight, load
from temporal_acceptance.workload.watch import (
    options_for,
    read_history,
    sleeping_in_timer,
    start,
    wait_for_position,
    waiting_for_signal,
)
from temporal_acceptance.workload.workflows import ChildTestWorkflow, TestWorkflow

pytestmark = pytest.mark.devserver


@asynccontextmanager
async def worker(client: Client, queue: str, identity: str) -> AsyncIterator[Worker]:
    async with Worker(
        client,
        task_queue=queue,
        workflows=[TestWorkflow, ChildTestWorkflow],
        activities=[activities.test_activity_execution, fake_database_operation],
        identity=identity,
    ) as running:
        yield running


def queue() -> str:
    return f"persist-{uuid.uuid4().hex[:8]}"


def test_a_parked_pair_resumes_moves_on_and_completes_whole(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client, q = dev_env.client, queue()

    async def scenario() -> tuple[inflight.InFlightPair, DisruptionTiming, list[str], list[str]]:
        async with worker(client, q, "w1"):
            pair = await inflight.park_pair(client, q, "unit-inflight", 2.0)
            timing = DisruptionTiming("restart of nothing", datetime.now(UTC), None, 0.1)
            assert await gates.signal_waiting(client, None, pair, 10) == []  # type: ignore[arg-type]
            late = await gates.moved_on_within(client, None, pair, timing, 0.0001)  # type: ignore[arg-type]
            whole = await gates.finished_whole(client, None, pair.both, FAKE_DATABASE, 30)  # type: ignore[arg-type]
            return pair, timing, late, whole

    pair, timing, late, whole = run(scenario())
    assert timing.progress_seconds is not None
    assert 0 <= timing.progress_seconds < 10
    assert late[0].startswith("after the restart of nothing, the first in-flight workflow made ")
    assert whole == []
    assert sleeping_in_timer(pair.sleeping.before)
    assert waiting_for_signal(pair.waiting.before)
    for watched in pair.both:
        assert inflight_checks.completed_whole(watched, FAKE_DATABASE) == []
    assert [w["history_after"] is not None for w in inflight.attachment(pair.both)] == [True, True]


def test_a_workflow_that_does_not_move_on_is_reported_lost_or_stuck(
    run: LoopRunner, dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gates, "lost_or_kept", lambda e, run_id, n: "LOST: nothing stored")
    monkeypatch.setattr(gates, "PROGRESS_WAIT_AT_LEAST", 0.3)
    client, q = dev_env.client, queue()  # no worker polls this queue: nothing moves

    async def scenario() -> None:
        watched = await start(
            client, options_for(f"unit-stuck-{uuid.uuid4().hex[:6]}", q, 1), False
        )
        watched.before = await read_history(client, watched.workflow_id, watched.run_id)
        pair = inflight.InFlightPair(watched, watched)
        timing = DisruptionTiming("restart of nothing", datetime.now(UTC), None, 0.1)
        moved = await gates.moved_on_within(client, None, pair, timing, 0.15)  # type: ignore[arg-type]
        assert "no in-flight workflow moved on" in moved[0]
        assert "LOST: nothing stored" in moved[0]
        finished = await gates.finished_whole(client, None, [watched], FAKE_DATABASE, 0.3)  # type: ignore[arg-type]
        assert "did not complete — LOST: nothing stored; timed" in finished[0]
        with pytest.raises(WaitTimeout, match="to be sleeping in its timer"):
            await wait_for_position(client, watched, "sleeping in its timer", 0.3)
        await client.get_workflow_handle(watched.workflow_id).terminate("unit test done")
        refused = await gates.signal_waiting(client, None, pair, 0.3)  # type: ignore[arg-type]
        assert "did not accept its signal — LOST" in refused[0]

    run(scenario())


def test_a_workflow_already_past_its_position_fails_at_once_not_after_the_timeout(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client, q = dev_env.client, queue()

    async def scenario() -> float:
        async with worker(client, q, "w1"):
            watched = await start(
                client, options_for(f"unit-past-{uuid.uuid4().hex[:6]}", q, 1), True
            )
            await wait_for_position(client, watched, "closed", 30)
        started = time.monotonic()
        for position in ("sleeping in its timer", "waiting for its signal"):
            with pytest.raises(GateFailed, match=f"went past '{position}' before it was seen"):
                await wait_for_position(client, watched, position, 30)
        return time.monotonic() - started

    assert run(scenario()) < 5


def test_a_held_activity_is_retried_on_the_second_worker(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client, q = dev_env.client, queue()

    async def scenario() -> Any:
        async with worker(client, q, "first"):
            held = await inflight.start_held_activity(client, q, "unit-crash", "first")
        # "first" is gone (shut down in the middle of the activity); "second" takes over.
        async with worker(client, q, "second"):
            problems = await gates.retried_on(client, None, held, "first", "second", 60)  # type: ignore[arg-type]
        assert problems == []
        return held

    held = run(scenario())
    assert inflight_checks.completed_whole(held, FAKE_DATABASE) == []


def test_a_batch_completes_and_is_listed_exactly_once(
    run: LoopRunner, dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "LOAD_TIMER_SECONDS", 1.0)
    client, q = dev_env.client, queue()
    prefix = f"unit-load-{uuid.uuid4().hex[:6]}"

    async def scenario() -> tuple[list[str], dict[str, str], list[str]]:
        async with worker(client, q, "w1"):
            batch = await load.start_load(client, q, prefix, 3)
            not_in_flight = not_running(await load.statuses(client, batch))
            outcomes = await load.wait_completed(client, batch, 30)
            problems = await load_gate.listed_exactly_once(client, batch)
            return not_in_flight, outcomes, problems

    not_in_flight, outcomes, problems = run(scenario())
    assert not_in_flight == []
    assert outcome_problems(outcomes) == []
    assert problems == []


def test_a_batch_that_does_not_finish_in_time_is_reported(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client, q = dev_env.client, queue()  # no worker: nothing completes

    async def scenario() -> dict[str, str]:
        batch = await load.start_load(client, q, f"unit-stall-{uuid.uuid4().hex[:6]}", 2)
        outcomes = await load.wait_completed(client, batch, 0.2)
        for watched in batch.watched:
            await client.get_workflow_handle(watched.workflow_id).terminate("unit test done")
        return outcomes

    outcomes = run(scenario())
    assert set(outcomes.values()) == {"still running after 0.2 s"}
    assert outcome_problems(outcomes)[0].startswith("2 of 2 workflows did not complete: ")


def test_the_witness_is_reused_while_intact_and_read_again(
    run: LoopRunner, dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = take_snapshot(connector(healthy_databases()), "default")
    monkeypatch.setattr(gates, "wait_visibility_closed", lambda endpoints, wid, run_id: None)
    monkeypatch.setattr(stored, "snapshot_of", lambda endpoints, scope=None: snapshot)
    client, q = dev_env.client, queue()

    async def scenario() -> tuple[Any, Any, Any, Any]:
        async with worker(client, q, "w1"):
            witness, problems = await gates.witness(client, None, q, None)  # type: ignore[arg-type]
            assert problems == []
            again, problems = await gates.witness(client, None, q, witness)  # type: ignore[arg-type]
            assert problems == []
            events = await read_history(client, witness.workflow_id, witness.run_id)
            monkeypatch.setattr(stored, "stored_events", lambda endpoints, run_id: (events, ""))
            before = await gates.reading(client, None, witness)  # type: ignore[arg-type]
            after = await gates.reading(client, None, witness, before)  # type: ignore[arg-type]
            return witness, again, before, after

    witness, again, before, after = run(scenario())
    assert again == witness
    assert stored_checks.reading_problems(before) == []
    assert stored_checks.stored_differences(before, after) == []
