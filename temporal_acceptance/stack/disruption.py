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
from temporal_acceptance.stack.base import NOT_RUNNING, START_ORDER, Process, Service, Stack

# How long PostgreSQL stays away once the service has been restarted without it: until the
# service has given up (exited) or this long has passed.
OUTAGE_SECONDS = 5.0
# A restart that is not healthy in this long has failed; the feature's thresholds are far
# lower, so a slow restart is reported as "took N s", not as a timeout.
HEALTHY_TIMEOUT = 120.0


class Action(StrEnum):
    RESTART = "restart"  # stop gracefully, start again
    KILL = "kill -9 + start"  # SIGKILL, as a crash or an OOM kill, then start again
    DOWN_UP = "down + up"  # the whole deployment down, then up on the same data
    # PostgreSQL stopped; the service restarted while it is away (it may exit, as a process
    # started without its database does); PostgreSQL back; the service started again if it
    # had exited (what a supervisor — systemd, Kubernetes, a restart policy — does)
    RESTART_IN_OUTAGE = "restart during a PostgreSQL outage"
    # -- one process of a service (topology=multirole: one Temporal role, one history host)
    CRASH = "kill -9"  # SIGKILL, left down: a crashed host nobody has restarted yet
    START = "start"  # a process that was down started again


@dataclass(frozen=True)
class Disruption:
    phrase: str  # the feature's words
    action: Action
    service: Service | None = None  # None: the whole stack
    # One process of the service: the `index`-th serving this Temporal role ("" = all).
    role: str = ""
    index: int = 1

    @property
    def name(self) -> str:
        if self.role:
            return f"{self.action.value} of temporal {self.role} #{self.index}"
        return f"{self.action.value} of {self.service.value if self.service else 'the stack'}"


def _role_disruptions() -> tuple[Disruption, ...]:
    temporal = Service.TEMPORAL
    return (
        Disruption("one history host is killed", Action.CRASH, temporal, "history"),
        Disruption("the killed history host is started again", Action.START, temporal, "history"),
        Disruption(
            "one history host is killed and started again", Action.KILL, temporal, "history"
        ),
        Disruption("the matching service is killed", Action.CRASH, temporal, "matching"),
        Disruption("the matching service is started again", Action.START, temporal, "matching"),
        Disruption(
            "the matching service is killed and started again", Action.KILL, temporal, "matching"
        ),
        Disruption("the frontend is restarted", Action.RESTART, temporal, "frontend"),
        Disruption("the frontend is killed and started again", Action.KILL, temporal, "frontend"),
    )


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
        Disruption(
            "the Temporal server is restarted while PostgreSQL is down",
            Action.RESTART_IN_OUTAGE,
            Service.TEMPORAL,
        ),
        # -- topology=multirole: one role process at a time (the first of its role)
        *_role_disruptions(),
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
    note: str = ""  # what happened on the way (e.g. the service exited during the outage)
    # The one process disrupted ("" = the whole service or stack), e.g. history-1.
    process: str = ""
    # Not healthy again within HEALTHY_TIMEOUT: what the wait last saw ("" when it was).
    # The scenario's checks then judge what the deployment kept (a timeout says less).
    still_unhealthy: str = ""

    @property
    def restarted_temporal(self) -> bool:
        """Whether a Temporal server process was restarted (its history re-acquires every
        shard then); a PostgreSQL or UI restart leaves it running."""
        return "temporal" in self.disruption or "the stack" in self.disruption

    def to_json(self) -> dict[str, Any]:
        return {
            "disruption": self.disruption,
            "started_at": self.started_at.isoformat(),
            "stopped_seconds": _round(self.stopped_seconds),
            "healthy_seconds": _round(self.healthy_seconds),
            "progress_seconds": _round(self.progress_seconds),
            "note": self.note,
            **({"process": self.process} if self.process else {}),
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
        if self.note:
            lines.append(f"  {self.note}")
        if self.still_unhealthy:
            lines.append(f"  NOT healthy again: {self.still_unhealthy}")
        return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _seconds(value: float | None) -> str:
    return "not measured" if value is None else f"{value:7.3f} s after the start"


def unhealthy(stack: Stack, left_down: Process | None = None) -> list[str]:
    """One line per service that is not running and healthy; with `left_down`, per process
    of its service, leaving that one out (a crashed process left down on purpose)."""
    lines = []
    for service in START_ORDER:
        if left_down is None or left_down.service is not service:
            status = stack.status(service)
            lines += [] if status.healthy else [status.line()]
            continue
        others = [p for p in stack.processes(service) if p != left_down]
        lines += [s.line() for s in map(stack.process_status, others) if not s.healthy]
    return lines


def wait_healthy(
    stack: Stack, timeout: float = HEALTHY_TIMEOUT, left_down: Process | None = None
) -> None:
    but = f" but {left_down.label}" if left_down else ""
    wait_until(
        lambda: unhealthy(stack, left_down),
        what=f"every service of the stack{but} to be healthy",
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
    if disruption.role:
        return _perform_on_process(stack, disruption, clock)
    started_at = datetime.now(UTC)
    begin = clock()
    stopped: float | None = None
    note = ""
    service = disruption.service
    if disruption.action is Action.RESTART_IN_OUTAGE and service is not None:
        note = restart_in_outage(stack, service)
        stopped = clock() - begin
    elif disruption.action is Action.DOWN_UP:
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
        timing = DisruptionTiming(disruption.name, started_at, stopped, clock() - begin, note=note)
        timing.still_unhealthy = (str(exc).splitlines() or ["no answer"])[0]
        return timing
    return DisruptionTiming(disruption.name, started_at, stopped, clock() - begin, note=note)


def restart_in_outage(
    stack: Stack,
    service: Service,
    outage: float = OUTAGE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """PostgreSQL down; `service` stopped and launched again without it; PostgreSQL back
    once the service gave up or `outage` passed; the service started again if it exited.
    Returns what the service did while PostgreSQL was away, and how long each step took."""
    steps: list[str] = []
    began = clock()

    def step(what: str, action: Callable[[], object]) -> None:
        start = clock()
        action()
        steps.append(f"{what} {clock() - start:.1f} s")

    step("PostgreSQL stopped in", lambda: stack.stop(Service.POSTGRES))
    step(f"{service.value} stopped in", lambda: stack.stop(service))
    # How it ended, where the target says more than NOT_RUNNING (compose: the exit code),
    # tells a graceful stop from one cut short at its grace period.
    if (how := stack.exited(service)) not in (None, NOT_RUNNING):
        steps[-1] += f" ({how})"
    stack.launch(service)
    try:
        ended = wait_until(
            lambda: stack.exited(service),
            what=f"{service.value}, started without PostgreSQL, to give up",
            timeout=outage,
            accept=lambda how: how is not None,
        )
    except WaitTimeout:
        ended = None
    step("PostgreSQL healthy again in", lambda: stack.start(Service.POSTGRES))
    if ended is not None:
        step(f"{service.value} healthy again in", lambda: stack.start(service))
        what = f"{service.value} exited while PostgreSQL was down ({ended}); started again"
    else:
        what = f"{service.value} kept running through the PostgreSQL outage"
    return f"{what} — {', '.join(steps)} (all {clock() - began:.1f} s)"


def _perform_on_process(
    stack: Stack, disruption: Disruption, clock: Callable[[], float]
) -> DisruptionTiming:
    """One process of a service: crash it (left down), start it, restart it or kill and
    start it; then wait until everything that should run is healthy."""
    if disruption.service is None:
        raise ValueError(f"{disruption.name} needs a service")
    process = stack.process_for(disruption.service, disruption.role, disruption.index)
    started_at, begin = datetime.now(UTC), clock()
    stopped: float | None = None
    action = disruption.action
    if action in (Action.CRASH, Action.KILL):
        stack.kill_process(process)
        stopped = clock() - begin
    if action in (Action.KILL, Action.START):
        stack.start_process(process)
    elif action is Action.RESTART:
        stack.stop_process(process)
        stopped = clock() - begin  # from here on, only the new process can be answering
        stack.start_process(process)
    elif action is not Action.CRASH:
        raise ValueError(f"{action.value} of one process is not a disruption the suite performs")
    wait_healthy(stack, left_down=process if action is Action.CRASH else None)
    name = f"{action.value} of {process.label}"
    return DisruptionTiming(name, started_at, stopped, clock() - begin, process=process.name)
