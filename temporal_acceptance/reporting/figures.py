"""The multirole figures of several runs, summed up: min / median / max per figure.

Every run of features/multirole.feature appends what it measured to
reports/multirole-figures.jsonl (fixtures/topology.py). This reads them back:

    python -m temporal_acceptance.reporting.figures [reports/multirole-figures.jsonl]

A figure never reached (a wait that ran out) counts as a miss, shown next to the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path("reports/multirole-figures.jsonl")


@dataclass
class Figure:
    name: str
    seconds: list[float] = field(default_factory=list)
    misses: int = 0
    runs: set[str] = field(default_factory=set)
    loads: list[float] = field(default_factory=list)

    def line(self, width: int) -> str:
        if not self.seconds:
            numbers = "never reached"
        else:
            numbers = (
                f"{min(self.seconds):7.2f} {statistics.median(self.seconds):7.2f} "
                f"{max(self.seconds):7.2f}"
            )
        load = f"{min(self.loads):.1f}–{max(self.loads):.1f}" if self.loads else "?"
        miss = f", {self.misses} never reached" if self.misses else ""
        return f"{self.name:<{width}}  {numbers}  n={len(self.seconds)}{miss}  (load {load})"


def collect(lines: Iterable[str]) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for raw in lines:
        if not raw.strip():
            continue
        entry = json.loads(raw)
        figure = figures.setdefault(entry["figure"], Figure(entry["figure"]))
        figure.runs.add(str(entry.get("run", "")))
        if entry.get("seconds") is None:
            figure.misses += 1
        else:
            figure.seconds.append(float(entry["seconds"]))
        with contextlib.suppress(ValueError):  # "unknown" when the machine did not say
            figure.loads.append(float(entry.get("load", "")))
    return figures


def render(figures: dict[str, Figure]) -> str:
    if not figures:
        return "no multirole figures recorded yet"
    width = max(len(name) for name in figures)
    runs = len(set().union(*(f.runs for f in figures.values())))
    head = f"{'figure (seconds)':<{width}}      min  median     max"
    lines = [f.line(width) for f in figures.values()]
    return "\n".join([f"{runs} run(s)", head, *lines])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("path", type=Path, nargs="?", default=DEFAULT_FILE)
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"no figures at {args.path}: run the multirole gates first", file=sys.stderr)
        return 2
    print(render(collect(args.path.read_text().splitlines())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
