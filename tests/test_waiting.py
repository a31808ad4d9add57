from __future__ import annotations

import asyncio
import itertools

import pytest

from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until, wait_until_async


def test_returns_first_accepted_value() -> None:
    counter = itertools.count()
    assert (
        wait_until(
            lambda: next(counter), what="the counter to reach 3", timeout=5, accept=lambda n: n >= 3
        )
        == 3
    )


def test_timeout_names_what_and_last_seen() -> None:
    with pytest.raises(WaitTimeout) as info:
        wait_until(
            lambda: "still-starting",
            what="the service to be ready",
            timeout=0.2,
            accept=lambda v: v == "ready",
            hint=lambda: "log tail here",
        )
    message = str(info.value)
    assert "waiting for the service to be ready" in message
    assert "'still-starting'" in message
    assert "log tail here" in message


def test_expected_errors_are_retried_and_reported() -> None:
    def refuse() -> bool:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(WaitTimeout, match="ConnectionRefusedError: connection refused"):
        wait_until(refuse, what="a connection", timeout=0.2, errors=(OSError,))


def test_unexpected_errors_propagate_at_once() -> None:
    def broken() -> bool:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        wait_until(broken, what="anything", timeout=5, errors=(OSError,))


def test_async_variant() -> None:
    counter = itertools.count()

    async def check() -> int:
        return next(counter)

    assert (
        asyncio.run(wait_until_async(check, what="n>=2", timeout=5, accept=lambda n: n >= 2)) == 2
    )

    async def never() -> bool:
        return False

    with pytest.raises(WaitTimeout, match="waiting for never"):
        asyncio.run(wait_until_async(never, what="never", timeout=0.1))
