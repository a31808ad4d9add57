"""frontend_ready: a visibility probe refused by the namespace's rate limiter is asked
again within the probe's bound; any other refusal is not ready at once."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import LoopRunner
from temporalio.service import RPCError, RPCStatusCode

from temporal_acceptance.clients import temporal


def fake_probe(monkeypatch: pytest.MonkeyPatch, answers: list[RPCError | None]) -> list[int]:
    calls: list[int] = []

    async def serving(*args: Any) -> bool:
        return True

    async def connect(*args: Any, **kwargs: Any) -> object:
        return object()

    async def usable(client: object, namespace: str) -> bool:
        calls.append(1)
        answer = answers.pop(0) if answers else None
        if answer is not None:
            raise answer
        return True

    monkeypatch.setattr(temporal, "frontend_serving", serving)
    monkeypatch.setattr(temporal, "connect", connect)
    monkeypatch.setattr(temporal, "namespace_usable", usable)
    monkeypatch.setattr(temporal, "RATE_LIMITED_RETRY", 0.01)
    return calls


def limited() -> RPCError:
    return RPCError("namespace rate limit exceeded", RPCStatusCode.RESOURCE_EXHAUSTED, b"")


def test_a_rate_limited_probe_is_asked_again(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_probe(monkeypatch, [limited(), limited(), None])
    assert run(temporal.frontend_ready("f:1", "default")) == (
        True,
        "frontend f:1 SERVING, namespace 'default' served",
    )
    assert len(calls) == 3


def test_a_limiter_that_never_lets_it_through_is_not_ready_within_the_bound(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_probe(monkeypatch, [limited()] * 1000)
    ready, seen = run(temporal.frontend_ready("f:1", "default", timeout=0.1))
    assert not ready
    assert "past its visibility rate limit; last seen: namespace rate limit exceeded" in seen


def test_a_namespace_not_found_is_not_ready_at_once(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_probe(
        monkeypatch, [RPCError("Namespace default is not found.", RPCStatusCode.NOT_FOUND, b"")]
    )
    ready, seen = run(temporal.frontend_ready("f:1", "default"))
    assert not ready
    assert "Namespace default is not found." in seen
    assert len(calls) == 1
