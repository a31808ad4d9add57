"""Cluster gates that wait before they judge: after a disruption the membership rings and
the shards take a few seconds to settle (a restarted host rejoins, the predecessor's
heartbeat ages out, history re-acquires its shards). Each waits, bounded, until the check
has nothing to say, and returns what it last saw with its problems."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from temporal_acceptance.checks.cluster import (
    health_problems,
    ring_problems,
    shard_problems,
    shard_progress_problems,
)
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.probes.cluster import (
    HealthReading,
    MembershipReading,
    ShardReading,
    read_health,
    read_membership,
    read_shards,
)
from temporal_acceptance.stack.base import Stack
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.stack.facts import TemporalFacts

T = TypeVar("T")
POLL_SECONDS = 0.2


@dataclass
class Settled(Generic[T]):
    reading: T
    problems: list[str]
    seconds: float  # how long until it settled (or the bound, when it did not)
    log: QueryLog

    def waited(self) -> str:
        state = "settled" if not self.problems else "had not settled"
        return f"{state} after {self.seconds:.1f}s"


def settle(
    read: Callable[[QueryLog], T],
    judge: Callable[[T], list[str]],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> Settled[T]:
    """Read and judge until there is no problem or `timeout` has passed (bounded polling on
    the condition itself; a probe that fails counts as a problem, not a crash)."""
    began = clock()
    while True:
        log = QueryLog()
        try:
            reading = read(log)
        except Exception:  # seen while recovering: PostgreSQL or Temporal still away
            if clock() - began >= timeout:
                raise
            pause(POLL_SECONDS)
            continue
        problems = judge(reading)
        if not problems or clock() - began >= timeout:
            return Settled(reading, problems, clock() - began, log)
        pause(POLL_SECONDS)


def healthy(
    endpoints: Endpoints,
    dial_roles: bool,
    timeout: float,
    pause: Callable[[float], None] = time.sleep,
) -> Settled[HealthReading]:
    return settle(
        lambda log: read_health(endpoints, dial_roles), health_problems, timeout, pause=pause
    )


def ring(
    endpoints: Endpoints,
    topology: Mapping[str, int],
    timeout: float,
    pause: Callable[[float], None] = time.sleep,
) -> Settled[MembershipReading]:
    return settle(
        lambda log: read_membership(endpoints, log),
        lambda reading: ring_problems(reading, topology),
        timeout,
        pause=pause,
    )


def shards(
    endpoints: Endpoints,
    configured: int | None,
    timeout: float,
    before: Mapping[int, int] | None = None,
    reacquired: bool = False,
    pause: Callable[[float], None] = time.sleep,
) -> Settled[ShardReading]:
    def judge(reading: ShardReading) -> list[str]:
        problems = shard_problems(reading)
        if before is not None:
            problems += shard_progress_problems(before, reading.range_ids(), reacquired)
        return problems

    return settle(lambda log: read_shards(endpoints, configured, log), judge, timeout, pause=pause)


def range_ids(endpoints: Endpoints) -> dict[int, int] | None:
    """Each shard's range id now (None when PostgreSQL cannot be read)."""
    try:
        return read_shards(endpoints, None, QueryLog()).range_ids()
    except Exception:  # the gate after the disruption says what it could not compare
        return None


@dataclass
class Recovery:
    """The cluster after a disruption: each part settled (or not), and when — in seconds
    from the start of the disruption — it was seen whole."""

    health: Settled[HealthReading]
    ring: Settled[MembershipReading]
    shards: Settled[ShardReading]
    seen_after: dict[str, float]

    @property
    def problems(self) -> list[str]:
        return self.health.problems + self.ring.problems + self.shards.problems

    def evidence(self) -> dict[str, object]:
        return {
            "the cluster after the disruption": self.render(),
            "health after the disruption": self.health.reading,
            "membership after the disruption": self.ring.reading,
            "history shards after the disruption": self.shards.reading,
        }

    def render(self) -> str:
        lines = [
            f"{part:<46} {'whole' if not settled.problems else 'NOT whole'} "
            f"{self.seen_after[part]:6.1f} s after the disruption began"
            for part, settled in (
                ("every role healthy (deep health, gRPC health)", self.health),
                ("membership rings as the topology expects", self.ring),
                ("history shards consistent, owned, re-acquired", self.shards),
            )
        ]
        return "\n".join(lines)


def whole_again(
    stack: Stack,
    endpoints: Endpoints,
    before: Mapping[int, int] | None,
    timing: DisruptionTiming,
    timeout: float,
) -> Recovery:
    """After a disruption, waiting until `timeout` seconds after it began: every role
    healthy as the server reports it (deep health answers NOT_SERVING for seconds after a
    restart, while the frontend already serves), every ring as the topology expects with no
    stale member, and the shards consistent, owned and — when the history host restarted —
    acquired again."""
    return _recovery(
        stack.temporal_facts(), stack.role_health_dialable, endpoints, before, timing, timeout
    )


def _recovery(
    facts: TemporalFacts,
    dial_roles: bool,
    endpoints: Endpoints,
    before: Mapping[int, int] | None,
    timing: DisruptionTiming,
    timeout: float,
    pause: Callable[[float], None] = time.sleep,
) -> Recovery:
    elapsed = (datetime.now(UTC) - timing.started_at).total_seconds()
    deadline = time.monotonic() + timeout - elapsed

    def left() -> float:
        return max(deadline - time.monotonic(), 1.0)

    def since() -> float:
        return (datetime.now(UTC) - timing.started_at).total_seconds()

    seen: dict[str, float] = {}
    health = healthy(endpoints, dial_roles, left(), pause=pause)
    seen["every role healthy (deep health, gRPC health)"] = since()
    membership = ring(endpoints, facts.topology, left(), pause=pause)
    seen["membership rings as the topology expects"] = since()
    sharded = shards(
        endpoints, facts.history_shards, left(), before, timing.restarted_temporal, pause=pause
    )
    seen["history shards consistent, owned, re-acquired"] = since()
    if before is None:
        sharded.problems.append("the shards could not be read before the disruption")
    return Recovery(health, membership, sharded, seen)


class Cancelled(Exception):
    """The scenario ended before it read the watch: the watch stops polling."""


# How long past its own bound a watch may take to hand over its result (a last reading that
# was under way at the bound: each probe has its own short timeouts).
WATCH_GRACE_SECONDS = 15.0


class Watch:
    """`whole_again`, begun in a thread of its own as soon as the disruption has ended, so
    that its waits — history reports SERVING only 5 s after it holds its shards (1.32) —
    pass while the scenario's other checks run; the scenario reads it where it judges it.
    The same readings, the same bound from the start of the disruption, the same verdict."""

    def __init__(
        self,
        stack: Stack,
        endpoints: Endpoints,
        before: Mapping[int, int] | None,
        timing: DisruptionTiming,
        timeout: float,
    ) -> None:
        self.timeout = timeout
        self._cancelled = threading.Event()
        self._outcome: list[Recovery | BaseException] = []
        facts, dial = stack.temporal_facts(), stack.role_health_dialable
        self._thread = threading.Thread(
            target=self._run,
            args=(facts, dial, endpoints, before, timing),
            name="cluster-whole-again",
            daemon=True,
        )
        self._thread.start()

    def _pause(self, seconds: float) -> None:
        if self._cancelled.wait(seconds):
            raise Cancelled

    def _run(
        self,
        facts: TemporalFacts,
        dial: bool,
        endpoints: Endpoints,
        before: Mapping[int, int] | None,
        timing: DisruptionTiming,
    ) -> None:
        try:
            outcome: Recovery | BaseException = _recovery(
                facts, dial, endpoints, before, timing, self.timeout, self._pause
            )
        except BaseException as exc:  # handed to the reader, who raises it in the step
            outcome = exc
        self._outcome.append(outcome)

    def result(self) -> Recovery:
        self._thread.join(self.timeout + WATCH_GRACE_SECONDS)
        if not self._outcome:
            raise TimeoutError(
                "the cluster check begun when the disruption ended gave no result within "
                f"{self.timeout + WATCH_GRACE_SECONDS:g} s (its bound {self.timeout:g} s "
                f"and {WATCH_GRACE_SECONDS:g} s for a reading under way)"
            )
        outcome = self._outcome[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def cancel(self) -> None:
        self._cancelled.set()
