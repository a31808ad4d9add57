"""Disruptions through the Stack interface, their timings and the feature's thresholds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.checks.recovery import healthy_problems, threshold_problems
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.stack import disruption as d
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.disruption import (
    DISRUPTIONS,
    Action,
    Disruption,
    DisruptionTiming,
    parse_disruption,
    perform,
    unhealthy,
    wait_healthy,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, name: str) -> None:
        self.now += {"down": 1.0, "up": 2.0, "kill postgres": 0.1}.get(name, 0.5)


def test_every_phrase_of_the_feature_is_known_and_names_its_action() -> None:
    assert parse_disruption("  PostgreSQL is restarted ") == Disruption(
        "PostgreSQL is restarted", Action.RESTART, Service.POSTGRES
    )
    assert {d.name for d in DISRUPTIONS.values()} == {
        "restart of temporal", "restart of postgres", "restart of ui", "down + up of the stack",
        "kill -9 + start of temporal", "kill -9 + start of postgres",
        "restart during a PostgreSQL outage of temporal",
        "kill -9 of temporal history #1", "start of temporal history #1",
        "kill -9 + start of temporal history #1", "kill -9 of temporal matching #1",
        "start of temporal matching #1", "kill -9 + start of temporal matching #1",
        "restart of temporal frontend #1", "kill -9 + start of temporal frontend #1",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown disruption 'PostgreSQL melts'"):
        parse_disruption("PostgreSQL melts")


@pytest.mark.parametrize(
    ("phrase", "calls", "stopped", "healthy"),
    [
        ("the Temporal server is restarted", ["stop temporal", "start temporal"], None, 1.0),
        ("PostgreSQL is killed and started again", ["kill postgres", "start postgres"], 0.1, 0.6),
        ("the whole stack is taken down and brought up again", ["down", "up"], 1.0, 3.0),
    ],
)
def test_a_disruption_goes_through_the_stack_and_is_timed(
    phrase: str, calls: list[str], stopped: float | None, healthy: float
) -> None:
    stack, clock = RecordingStack(), Clock()
    stack.on_call = clock.advance
    timing = perform(stack, DISRUPTIONS[phrase], clock=clock)
    assert stack.calls == calls
    assert timing.stopped_seconds == (None if stopped is None else pytest.approx(stopped))
    assert timing.healthy_seconds == pytest.approx(healthy)
    assert timing.started_at <= datetime.now(UTC)
    assert timing.disruption == DISRUPTIONS[phrase].name


def test_a_disruption_without_a_service_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a service"):
        perform(RecordingStack(), Disruption("x", Action.KILL))


def test_an_unhealthy_stack_is_described_and_the_wait_is_bounded() -> None:
    stack = RecordingStack()
    stack.healthy_services = {Service.POSTGRES}
    assert unhealthy(stack) == ["temporal  down", "ui        down"]
    with pytest.raises(WaitTimeout, match="every service of the stack to be healthy; last seen: "
                       "temporal  down; ui        down"):  # fmt: skip
        wait_healthy(stack, timeout=0.05)


def test_thresholds_are_judged_on_the_measured_times() -> None:
    started = datetime(2026, 11, 25, 12, tzinfo=UTC)
    timing = DisruptionTiming("restart of temporal", started, None, 2.5)
    assert threshold_problems(timing, 15) == []
    assert threshold_problems(timing, 2) == [
        "after the restart of temporal, the stack took 2.5 s to be healthy, more than the "
        "threshold of 2 s"
    ]
    assert threshold_problems(timing, 15, 5) == [
        "after the restart of temporal, no in-flight workflow made progress"
    ]
    timing.progress_seconds = 6.25
    assert threshold_problems(timing, 15, 5) == [
        "after the restart of temporal, the first in-flight workflow made progress after 6.2 s, "
        "more than the threshold of 5 s"
    ]
    assert timing.to_json() == {
        "disruption": "restart of temporal",
        "started_at": "2026-11-25T12:00:00+00:00",
        "stopped_seconds": None,
        "healthy_seconds": 2.5,
        "progress_seconds": 6.25,
        "note": "",
    }
    assert timing.render().splitlines() == [
        "restart of temporal, started 2026-11-25T12:00:00+00:00",
        "  stopped (stop/kill/down returned)        not measured",
        "  every service healthy again                2.500 s after the start",
        "  first in-flight workflow made progress     6.250 s after the start",
    ]


def test_the_healthy_timeout_is_far_above_any_threshold() -> None:
    assert d.HEALTHY_TIMEOUT >= 60


def test_a_stack_that_does_not_recover_is_timed_and_judged_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scenario's checks must still run (they say what was lost); its health check says
    the stack never came back."""
    stack = RecordingStack()
    stack.on_call = lambda name: stack.healthy_services.discard(Service.TEMPORAL)
    original = d.wait_healthy
    monkeypatch.setattr(d, "wait_healthy", lambda stack: original(stack, timeout=0.2))
    timing = perform(stack, DISRUPTIONS["PostgreSQL is restarted"])
    assert timing.still_unhealthy.startswith("timed out after 0.2s waiting for every service")
    assert "NOT healthy again: timed out" in timing.render()
    assert timing.to_json()["still_unhealthy"] == timing.still_unhealthy
    assert healthy_problems(timing, 10)[0].startswith(
        "after the restart of postgres, the stack was not healthy again after 0 s (the limit "
        "is 10 s): timed out after 0.2s"
    )
