"""Bounded waits on a condition (tenacity, exponential backoff) that explain themselves.

Every wait in the suite goes through here: it polls fast at first, backs off up to a cap,
and on timeout raises WaitTimeout naming what was awaited and what was last seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from temporal_acceptance.core.errors import WaitTimeout

T = TypeVar("T")

# First poll after 20 ms, doubling up to half a second: fast feedback without busy-looping.
FIRST_DELAY = 0.02
MAX_DELAY = 0.5


class _NotYet(Exception):
    pass


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


class _Observer(Generic[T]):
    def __init__(self, accept: Callable[[T], bool], describe: Callable[[T], str]) -> None:
        self.accept = accept
        self.describe = describe
        self.last = "no attempt finished"

    def judge(self, value: T) -> T:
        if not self.accept(value):
            self.last = self.describe(value)
            raise _NotYet
        return value

    def failed(self, exc: Exception) -> _NotYet:
        self.last = f"{type(exc).__name__}: {exc}".strip()
        return _NotYet()

    def timeout(self, what: str, timeout: float, hint: str) -> WaitTimeout:
        extra = f"\n{hint}" if hint else ""
        return WaitTimeout(
            f"timed out after {timeout:g}s waiting for {what}; last seen: {self.last}{extra}"
        )


def _policy(timeout: float, max_delay: float) -> dict[str, object]:
    return {
        "stop": stop_after_delay(timeout),
        "wait": wait_exponential(multiplier=FIRST_DELAY, max=max_delay),
        "retry": retry_if_exception_type(_NotYet),
    }


def wait_until(
    check: Callable[[], T],
    *,
    what: str,
    timeout: float,
    accept: Callable[[T], bool] = bool,
    describe: Callable[[T], str] = _describe,
    errors: tuple[type[Exception], ...] = (Exception,),
    fatal: tuple[type[Exception], ...] = (),
    hint: Callable[[], str] = str,
    max_delay: float = MAX_DELAY,
) -> T:
    """Call `check` until `accept(result)`; exceptions in `errors` count as 'not yet',
    those in `fatal` end the wait at once (waiting longer cannot help)."""
    observer = _Observer(accept, describe)

    def attempt() -> T:
        try:
            value = check()
        except fatal:
            raise
        except errors as exc:
            raise observer.failed(exc) from exc
        return observer.judge(value)

    try:
        return Retrying(**_policy(timeout, max_delay))(attempt)  # type: ignore[arg-type]
    except RetryError:
        raise observer.timeout(what, timeout, hint()) from None


async def wait_until_async(
    check: Callable[[], Awaitable[T]],
    *,
    what: str,
    timeout: float,
    accept: Callable[[T], bool] = bool,
    describe: Callable[[T], str] = _describe,
    errors: tuple[type[Exception], ...] = (Exception,),
    fatal: tuple[type[Exception], ...] = (),
    hint: Callable[[], str] = str,
    max_delay: float = MAX_DELAY,
) -> T:
    """The async twin of wait_until, for checks made through the Temporal client."""
    observer = _Observer(accept, describe)

    async def attempt() -> T:
        try:
            value = await check()
        except fatal:
            raise
        except errors as exc:
            raise observer.failed(exc) from exc
        return observer.judge(value)

    try:
        return await AsyncRetrying(**_policy(timeout, max_delay))(attempt)  # type: ignore[arg-type]
    except RetryError:
        raise observer.timeout(what, timeout, hint()) from None
