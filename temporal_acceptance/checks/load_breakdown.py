"""Where a load's time went: the slowest workflows' histories, every gap between two events
put down to what the workflow was waiting for.

A workflow's time from its first event to its last is the sum of the gaps between
consecutive events, and each gap ends with the event it was waiting for: a worker taking a
workflow task (WorkflowTaskStarted), the worker finishing it, an activity taken and run, a
timer firing, a child workflow, a signal. Adding the gaps up by that event says which wait a
slow load is made of. A workflow task that timed out is counted apart: after a worker took it
(START_TO_CLOSE: the worker never answered, or never got it) or before any did
(SCHEDULE_TO_START: a worker's sticky queue nobody polled) — each costs a whole task timeout.

Evidence for the report, not a threshold: the gate's figures are in checks/performance.py.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from temporal_acceptance.workload.throughput import Timed
from temporal_acceptance.workload.timeline import Step

WAIT_WORKFLOW_TASK = "waiting for a worker to take a workflow task"
WAIT_STICKY = "waiting for the worker to take a workflow task from its sticky queue"
IN_WORKER = "workflow tasks in the worker"
TAKEN_NEVER_DONE = "workflow tasks a worker took and never completed (timed out)"
NEVER_TAKEN = "workflow tasks nobody took from a sticky queue (timed out)"
WAIT_ACTIVITY = "waiting for a worker to take an activity"
ACTIVITIES = "activities running"
TIMERS = "timers"
CHILD = "child workflows"
SIGNAL = "waiting for a signal"
SERVER = "the server between events"

TIMED_OUT = {"START_TO_CLOSE": TAKEN_NEVER_DONE, "SCHEDULE_TO_START": NEVER_TAKEN}
# How the summary line counts them.
COUNTED = {TAKEN_NEVER_DONE: "taken by a worker, never completed", NEVER_TAKEN: "never taken"}


def category(previous: Step, event: Step) -> str:
    """What the gap from `previous` to `event` was spent waiting for."""
    kind = event.kind
    if kind == "WORKFLOW_TASK_STARTED":
        return WAIT_STICKY if previous.detail == "sticky" else WAIT_WORKFLOW_TASK
    if kind in ("WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_FAILED"):
        return IN_WORKER
    if kind == "WORKFLOW_TASK_TIMED_OUT":
        return TIMED_OUT.get(event.detail, TAKEN_NEVER_DONE)
    if kind == "ACTIVITY_TASK_STARTED":
        return WAIT_ACTIVITY
    if kind.startswith("ACTIVITY_TASK_"):
        return ACTIVITIES
    if kind == "TIMER_FIRED":
        return TIMERS
    if "CHILD_WORKFLOW" in kind:
        return CHILD
    if kind == "WORKFLOW_EXECUTION_SIGNALED":
        return SIGNAL
    return SERVER


@dataclass
class Breakdown:
    workflows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    timed_out: dict[str, int] = field(default_factory=dict)  # by category
    timers_late_max: float = 0.0  # the longest a timer fired after its set duration
    unread: list[str] = field(default_factory=list)  # histories that could not be read

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def line(self) -> str:
        if not self.workflows:
            return "no history read" + (f" ({self.unread[0]})" if self.unread else "")
        total = self.total or 1.0
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])
        parts = [f"{name} {seconds / total:.0%}" for name, seconds in ranked if seconds > 0]
        text = f"{self.workflows} slowest, {self.total:.1f} s in all: " + ", ".join(parts[:4])
        for name, count in sorted(self.timed_out.items()):
            text += f"; workflow tasks timed out: {count} {COUNTED.get(name, name)}"
        if self.timers_late_max >= 1.0:
            text += f"; a timer fired up to {self.timers_late_max:.1f} s late"
        if self.unread:
            text += f"; {len(self.unread)} histories not read"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "workflows": self.workflows,
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
            "timed_out": self.timed_out,
            "timers_late_max": round(self.timers_late_max, 3),
            "unread": self.unread,
            "summary": self.line(),
        }


def breakdown(timelines: Sequence[Sequence[Step]], unread: Sequence[str] = ()) -> Breakdown:
    seconds: defaultdict[str, float] = defaultdict(float)
    timed_out: Counter[str] = Counter()
    late = 0.0
    for timeline in timelines:
        timers = {step.event_id: step for step in timeline if step.kind == "TIMER_STARTED"}
        for previous, event in itertools.pairwise(timeline):
            name = category(previous, event)
            seconds[name] += max(0.0, event.at - previous.at)
            if event.kind == "WORKFLOW_TASK_TIMED_OUT":
                timed_out[name] += 1
            started = timers.get(event.ref) if event.kind == "TIMER_FIRED" else None
            if started is not None:
                late = max(late, event.at - started.at - started.seconds)
    return Breakdown(len(timelines), dict(seconds), dict(timed_out), late, list(unread))


def slowest(samples: Sequence[Timed], count: int) -> list[str]:
    """The ids of the `count` slowest workflows of a load; those that did not complete first."""
    ranked = sorted(
        (s for s in samples if s.workflow_id),
        key=lambda s: float("inf") if s.latency is None else s.latency,
        reverse=True,
    )
    return [s.workflow_id for s in ranked[:count]]
