"""How quickly the deployment recovered from a disruption, against the feature's limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload.events import event_time


def healthy_problems(timing: DisruptionTiming, within: float) -> list[str]:
    """Every service was healthy again no later than the feature's limit."""
    if timing.still_unhealthy:
        return [
            f"after the {timing.disruption}, the stack was not healthy again after "
            f"{timing.healthy_seconds:.0f} s (the limit is {within:g} s): {timing.still_unhealthy}"
        ]
    if timing.healthy_seconds <= within:
        return []
    return [
        f"after the {timing.disruption}, the stack took {timing.healthy_seconds:.1f} s to be "
        f"healthy, more than the threshold of {within:g} s"
    ]


def progress_problems(timing: DisruptionTiming, within: float) -> list[str]:
    """An in-flight workflow moved on no later than the feature's limit."""
    if timing.progress_seconds is None:
        return [f"after the {timing.disruption}, no in-flight workflow made progress"]
    if timing.progress_seconds <= within:
        return []
    return [
        f"after the {timing.disruption}, the first in-flight workflow made progress after "
        f"{timing.progress_seconds:.1f} s, more than the threshold of {within:g} s"
    ]


def threshold_problems(
    timing: DisruptionTiming, healthy_within: float, progress_within: float | None = None
) -> list[str]:
    """The recovery took no longer than the feature's thresholds."""
    problems = healthy_problems(timing, healthy_within)
    if progress_within is not None:
        problems += progress_problems(timing, progress_within)
    return problems


def progress_seconds(events: Sequence[HistoryEvent], disruption_started: datetime) -> float:
    """Seconds from the start of a disruption to the earliest of `events` (the server's own
    event times: the client's clock plays no part)."""
    earliest = min(event_time(event) for event in events)
    return (earliest - disruption_started).total_seconds()
