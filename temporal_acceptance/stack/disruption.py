"""Disruptions a deployment must survive, performed only through the Stack interface, and
how long the deployment took to be healthy again.

The feature names each disruption in plain words (the phrases below); the same words work
on every target that can be disrupted. A target that cannot perform one raises
NotSupportedOnTarget, which the steps turn into a skip with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.base import START_ORDER, Service, Stack

# A restart that is not healthy in this long has failed; the feature's thresholds are far
# lower, so a slow restart is reported as "took N s", not as a timeout.
HEALTHY_TIMEOUT = 120.0


class Action(StrEnum):
    RESTART = "restart"  # stop gracefully, start again
    KILL = "kill -9 + start"  # SIGKILL, as a crash or an OOM kill, then start again
    DOWN_UP = "down + up"  # the whole deployment down, then up on the same data


@dataclass(frozen=True)
class Disruption:
    phrase: str  # the feature's words
    action: Action
    service: Service | None = None  # None: the whole stack

    @property
    def name(self) -> str:
        return f"{self.action.value} of {self.service.value if self.service else 'the stack'}"


DISRUPTIONS: dict[str, Disruption] = {
    d.phrase: d
    for d in (
        Disruption("the Temporal server is restarted", Action.RESTART, Service.TEMPORAL),
        Disruption("PostgreSQL is restarted", Action.RESTART, Service.POSTGRES),
        Disruption("the Temporal UI is restarted", Action.RESTART, Service.UI),
        Disruption("the whole stack is taken down and brought up again", Action.DOWN_UP),
        Disruption(
            "the Temporal server is killed and started again", Action.KILL, Service.TEMPORAL
        ),
        Disruption("PostgreSQL is killed and started again", Action.KILL, Service.POSTGRES),
    )
}


def parse_disruption(phrase: str) -> Disruption:
    try:
        return DISRUPTIONS[phrase.strip()]
    except KeyError:
        raise ValueError(f"unknown disruption {phrase!r}; known: {list(DISRUPTIONS)}") from None


@dataclass
class DisruptionTiming:
    """When a disruption began and how long the deployment took to recover (seconds from
    the start of the disruption)."""

    disruption: str
    started_at: datetime
    stopped_seconds: float | None  # the stop/kill/down returned (None: one restart call)
    healthy_seconds: float  # every service healthy again
    progress_seconds: float | None = None  # the first in-flight workflow moved on
    # Not healthy again within HEALTHY_TIMEOUT: what the wait last saw ("" when it was).
    # The scenario's checks then judge what the deployment kept (a timeout says less).
    still_unhealthy: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "disruption": self.disruption,
            "started_at": self.started_at.isoformat(),
            "stopped_seconds": _round(self.stopped_seconds),
            "healthy_seconds": _round(self.healthy_seconds),
            "progress_seconds": _round(self.progress_seconds),
            **({"still_unhealthy": self.still_unhealthy} if self.still_unhealthy else {}),
        }

    def render(self) -> str:
        rows = [
            ("stopped (stop/kill/down returned)", self.stopped_seconds),
            ("every service healthy again", self.healthy_seconds),
            ("first in-flight workflow made progress", self.progress_seconds),
        ]
        lines = [f"{self.disruption}, started {self.started_at.isoformat()}"]
        lines += [f"  {label:<40} {_seconds(value)}" for label, value in rows]
        if self.still_unhealthy:
            lines.append(f"  NOT healthy again: {self.still_unhealthy}")
        return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _seconds(value: float | None) -> str:
    return "not measured" if value is None else f"{value:7.3f} s after the start"


def unhealthy(stack: Stack) -> list[str]:
    """One line per service that is not running and healthy."""
    return [status.line() for status in map(stack.status, START_ORDER) if not status.healthy]


def wait_healthy(stack: Stack, timeout: float = HEALTHY_TIMEOUT) -> None:
    wait_until(
        lambda: unhealthy(stack),
        what="every service of the stack to be healthy",
        timeout=timeout,
        accept=lambda lines: not lines,
        describe="; ".join,
        max_delay=0.1,
    )


def perform(
    stack: Stack, disruption: Disruption, clock: Callable[[], float] = time.monotonic
) -> DisruptionTiming:
    """Disrupt the stack, bring it back, wait until every service is healthy, and time it.
    A stack that is not healthy again in HEALTHY_TIMEOUT is timed too, with what the wait
    last saw: the scenario's checks then say what was lost, its health check that it never
    recovered."""
    started_at = datetime.now(UTC)
    begin = clock()
    stopped: float | None = None
    service = disruption.service
    if disruption.action is Action.DOWN_UP:
        stack.down()
        stopped = clock() - begin
        stack.up()
    elif service is None:
        raise ValueError(f"{disruption.name} needs a service")
    elif disruption.action is Action.KILL:
        stack.kill(service)
        stopped = clock() - begin
        stack.start(service)
    else:
        stack.restart(service)
    try:
        wait_healthy(stack)
    except WaitTimeout as exc:
        timing = DisruptionTiming(disruption.name, started_at, stopped, clock() - begin)
        timing.still_unhealthy = (str(exc).splitlines() or ["no answer"])[0]
        return timing
    return DisruptionTiming(disruption.name, started_at, stopped, clock() - begin)
