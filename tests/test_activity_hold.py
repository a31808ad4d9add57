"""The workload's optional hold: the first attempt of test_activity_execution heartbeats for
up to `hold_seconds` (so a worker can be killed in its middle); retries and the default
(no hold) answer at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from conftest import LoopRunner
from temporalio.testing import ActivityEnvironment

from temporal_acceptance.workload import activities
from temporal_acceptance.workload.shared import ActivityInput


def environment(attempt: int) -> tuple[ActivityEnvironment, list[object]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


def test_the_first_attempt_holds_and_heartbeats(run: LoopRunner) -> None:
    env, beats = environment(attempt=1)
    started = time.monotonic()
    result = run(env.run(activities.test_activity_execution, ActivityInput("abc", 0.3)))
    assert time.monotonic() - started >= 0.3
    assert result == activities.derive("abc")
    assert len(beats) >= 1
    assert str(beats[0][0]).startswith("holding, ")


def test_a_retry_and_the_default_do_not_hold(run: LoopRunner) -> None:
    for env, request in ((environment(2)[0], ActivityInput("abc", 30.0)),
                         (environment(1)[0], ActivityInput("abc"))):  # fmt: skip
        started = time.monotonic()
        assert run(env.run(activities.test_activity_execution, request)).length == 3
        assert time.monotonic() - started < 1.0


def test_a_cancelled_hold_stops_at_once_and_reports_the_cancellation(run: LoopRunner) -> None:
    env, _ = environment(attempt=1)

    async def cancel_soon() -> object:
        holding = asyncio.Event()
        env.on_heartbeat = lambda *details: holding.set()
        task = asyncio.ensure_future(
            env.run(activities.test_activity_execution, ActivityInput("abc", 30.0))
        )
        await asyncio.wait_for(holding.wait(), timeout=5)
        env.cancel()
        return await task

    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        run(cancel_soon())
    assert time.monotonic() - started < 5.0
