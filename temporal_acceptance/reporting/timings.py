"""How long each scenario of a run took, slowest first: printed at the end of every run,
written to reports/timings.txt and reports/timings.json, and the slowest named on the
report's overview. behave's objects are read through getattr only (plain logic)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TIMINGS_FILE = Path("reports/timings.json")
CONSOLE_ROWS = 15  # the console shows the slowest ones; the files hold every scenario
OVERVIEW_ROWS = 5
# A line a behave process of a run over several stacks prints when a scenario ends
# (`-D progress_label=`, environment.py); the run shows it on its console (cli/stacks.py).
PROGRESS_MARK = "»tacc» "


@dataclass(frozen=True)
class Timing:
    seconds: float
    status: str
    feature: str
    scenario: str
    location: str

    def row(self, width: int) -> str:
        name = f"{self.feature}: {self.scenario}"
        name = name if len(name) <= width else name[: width - 1] + "…"
        return f"{self.seconds:8.1f}  {self.status:<8}  {name}"


def timings(scenarios: Iterable[Any]) -> list[Timing]:
    """Every scenario that ran (not the ones the tags left out), slowest first."""
    found = []
    for scenario in scenarios:
        status = getattr(getattr(scenario, "status", None), "name", "untested")
        if status in ("untested", "skipped") and not getattr(scenario, "duration", 0):
            continue
        feature = getattr(getattr(scenario, "feature", None), "name", "")
        found.append(
            Timing(
                round(float(getattr(scenario, "duration", 0.0) or 0.0), 2),
                status,
                feature,
                str(getattr(scenario, "name", "")),
                str(getattr(scenario, "location", "")),
            )
        )
    return sorted(found, key=lambda t: (-t.seconds, t.feature, t.scenario))


def table(rows: list[Timing], limit: int | None = None, width: int = 100) -> str:
    total = sum(t.seconds for t in rows)
    shown = rows if limit is None else rows[:limit]
    lines = [f"{'seconds':>8}  {'status':<8}  scenario (slowest first)"]
    lines += [t.row(width) for t in shown]
    rest = len(rows) - len(shown)
    more = f"; {rest} more in the files" if rest > 0 else ""
    lines.append(f"{total:8.1f}  in all, {len(rows)} scenarios{more}")
    return "\n".join(lines)


def save(rows: list[Timing], path: Path = TIMINGS_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(t) for t in rows], indent=2) + "\n")
    path.with_suffix(".txt").write_text(table(rows) + "\n")
    return path


def overview_fact(rows: list[Timing]) -> dict[str, str]:
    if not rows:
        return {}
    slowest = "; ".join(f"{t.scenario} {t.seconds:.1f} s" for t in rows[:OVERVIEW_ROWS])
    return {"Slowest scenarios": slowest}


def progress_line(label: str, scenario: Any) -> str:
    """What a share's behave prints when a scenario ends (`-D progress_label=`)."""
    status = getattr(getattr(scenario, "status", None), "name", "?")
    seconds = float(getattr(scenario, "duration", 0.0) or 0.0)
    feature = getattr(getattr(scenario, "feature", None), "name", "")
    return f"{PROGRESS_MARK}{label}\t{status}\t{seconds:.1f}\t{feature}: {scenario.name}"


def shown(line: str) -> str | None:
    """A share's progress line as the run's console shows it; None for any other line."""
    if not line.startswith(PROGRESS_MARK):
        return None
    fields = [*line.removeprefix(PROGRESS_MARK).split("\t", 3), "", "", ""]
    label, status, seconds, name = fields[:4]
    return f"  {label:<8} {status:<8} {seconds:>6} s  {name}"
