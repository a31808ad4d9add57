"""Which scenarios of a run go to which stack when the run spreads over several (`run
--stacks N`, the native target): pure logic, no behave objects.

A disruptive scenario (`@disruptive`) takes its own stack down and leaves it healthy again,
whatever happens, so it can run on any stack in any order (features/persistence.feature).
Most of the run's time is theirs, spent waiting on the server (a graceful stop's drain,
history's 5 s of stabilization, timers), so several stacks side by side cut the run's wall
time. Every other scenario stays on the run's own stack, in file order: UI pages reuse one
browser, and a feature's scenarios may read what an earlier one left. (Spreading whole
features over the stacks as well was measured and not kept: with the browser's pages, the
workflows and the disruptions all at once, 2 cores were slower — 73.3–80.6 s of gates against
68.1–75.7 s; docs/PERFORMANCE.md.)

Scenarios that measure the deployment (`@load`) run alone, after the others, on the first
stack: a load beside other stacks' work would measure the machine, not the deployment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ANYWHERE_TAG = "disruptive"
ALONE_TAG = "load"
# What a scenario is expected to take when no earlier run timed it (seconds): a fresh clone
# (CI) has no reports/timings.json. @slow marks the ones that take several times the others.
UNTIMED_DISRUPTIVE = 8.0
UNTIMED_OTHER = 1.0
UNTIMED_SLOW = 20.0


@dataclass(frozen=True)
class Planned:
    """One selected scenario: where it is (`file:line`, behave's location) and its cost."""

    location: str
    name: str
    seconds: float
    anywhere: bool = False
    alone: bool = False

    @property
    def path(self) -> str:
        return self.location.rpartition(":")[0]


@dataclass
class Share:
    """The scenarios one behave process runs, on stack `stack` (0 is the run's own)."""

    stack: int
    scenarios: list[Planned] = field(default_factory=list)
    alone: bool = False

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.scenarios)

    @property
    def label(self) -> str:
        return "alone" if self.alone else f"stack {self.stack + 1}"

    def locations(self) -> list[str]:
        return [s.location for s in self.scenarios]

    def names(self) -> set[str]:
        return {s.name for s in self.scenarios}


def planned(location: str, name: str, tags: Iterable[str], history: Mapping[str, float]) -> Planned:
    tags = set(tags)
    anywhere = ANYWHERE_TAG in tags
    default = UNTIMED_DISRUPTIVE if anywhere else UNTIMED_OTHER
    default = UNTIMED_SLOW if "slow" in tags else default
    return Planned(
        location, name, history.get(location, default), anywhere, alone=ALONE_TAG in tags
    )


def share_out(scenarios: Sequence[Planned], stacks: int) -> list[Share]:
    """The parallel shares (one per stack, the empty ones left out) and, last, the share
    that runs alone. Every scenario that is not disruptive stays on the first stack; the
    disruptive ones go, longest first, to the stack with the least work so far, so the
    stacks end at about the same time. Each share keeps the file order."""
    if stacks < 1:
        raise ValueError(f"stacks must be at least 1, not {stacks}")
    order = {s.location: i for i, s in enumerate(scenarios)}
    shares = [Share(stack) for stack in range(stacks)]
    alone = Share(0, [s for s in scenarios if s.alone], alone=True)
    shares[0].scenarios = [s for s in scenarios if not s.alone and not s.anywhere]
    movable = [s for s in scenarios if s.anywhere and not s.alone]
    for scenario in sorted(movable, key=lambda s: (-s.seconds, order[s.location])):
        min(shares, key=lambda share: (share.seconds, share.stack)).scenarios.append(scenario)
    for share in shares:
        share.scenarios.sort(key=lambda s: order[s.location])
    return [share for share in shares if share.scenarios] + ([alone] if alone.scenarios else [])


def timing_history(path: Path) -> dict[str, float]:
    """Each scenario's time in the last run that wrote `path` (reports/timings.json), by
    location; empty when there is none or it cannot be read (estimates are then used)."""
    try:
        rows = json.loads(path.read_text())
        return {str(r["location"]): float(r["seconds"]) for r in rows if r.get("seconds")}
    except (OSError, ValueError, TypeError, KeyError):
        return {}
