"""Fail fast: one verdict when the frontend stops answering between scenarios, said once,
then every remaining scenario fails at once with it; off for a seeded defect's run."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

import pytest

from temporal_acceptance.fixtures import watchdog as wd


def _dog(answers: list[object], limit: float = 0.3) -> tuple[wd.Watchdog, io.StringIO, list[int]]:
    calls: list[int] = []

    async def probe() -> bool:
        calls.append(1)
        answer = answers[min(len(calls) - 1, len(answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    console = io.StringIO()
    dog = wd.Watchdog("127.0.0.1:7233", probe, limit=limit, console=console, clock=lambda: 0.0)
    return dog, console, calls


def test_an_answering_frontend_passes() -> None:
    dog, console, _calls = _dog([True])
    asyncio.run(dog.before_scenario())
    assert dog.verdict == ""
    assert console.getvalue() == ""


def test_a_frontend_coming_back_within_the_limit_is_waited_for() -> None:
    dog, _, calls = _dog([OSError("refused"), False, True], limit=5)
    asyncio.run(dog.before_scenario())
    assert dog.verdict == ""
    assert len(calls) == 3


def test_a_silent_frontend_gives_one_verdict_then_fails_the_rest_at_once() -> None:
    dog, console, calls = _dog([OSError("connection refused")])
    with pytest.raises(wd.DeploymentDown, match="stopped answering at 00:00:00 UTC") as first:
        asyncio.run(dog.before_scenario())
    assert "127.0.0.1:7233" in str(first.value)
    assert "the remaining scenarios fail with this" in str(first.value)
    probes = len(calls)
    with pytest.raises(wd.DeploymentDown) as second:
        asyncio.run(dog.before_scenario())
    assert str(second.value) == str(first.value)
    assert len(calls) == probes  # no second wait
    assert console.getvalue().count("DEPLOYMENT DOWN") == 1


def test_off_for_a_seeded_defect_and_without_a_stack() -> None:
    endpoints = SimpleNamespace(temporal_address="127.0.0.1:1", frontend_tls=None)
    run = SimpleNamespace(deployed=True, endpoints=endpoints)
    assert wd.watchdog_for(run, {}).enabled  # type: ignore[arg-type]
    assert not wd.watchdog_for(run, {"mutant": "trust-auth"}).enabled  # type: ignore[arg-type]
    off = wd.watchdog_for(SimpleNamespace(deployed=False), {})  # type: ignore[arg-type]
    assert not off.enabled
    asyncio.run(off.before_scenario())  # never probes


def test_the_real_probe_says_no_for_a_closed_port() -> None:
    endpoints = SimpleNamespace(temporal_address="127.0.0.1:9", frontend_tls=None)
    dog = wd.watchdog_for(SimpleNamespace(deployed=True, endpoints=endpoints), {})  # type: ignore[arg-type]
    dog.limit = 0.5
    dog.console = io.StringIO()
    with pytest.raises(wd.DeploymentDown, match="127.0.0.1:9 stopped answering"):
        asyncio.run(dog.before_scenario())
