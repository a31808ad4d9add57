"""One closing line for CI: `N passed, N failed, N skipped` over every gate of a check run.

Counts test cases from the JUnit XML files pytest and behave write, plus named gates
(ruff, mypy) passed as `--gate name=exit_status`. Exits 1 if anything failed. With
`--save` the tally is kept as JSON; `--combine` adds saved tallies into the final CI line.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


# A CI log shows only the end of a run: each failure carries the start of its message.
REASON_LINES = 6
REASON_WIDTH = 300


def reason(problem: ET.Element) -> str:
    """The first lines of a JUnit failure's message (or its text), indented under it."""
    text = (problem.get("message") or problem.text or "").strip()
    lines = [line[:REASON_WIDTH] for line in text.splitlines() if line.strip()]
    if len(lines) > REASON_LINES:
        lines = [*lines[:REASON_LINES], f"... ({len(lines) - REASON_LINES} more lines)"]
    return "".join(f"\n    {line}" for line in lines)


def count_junit(path: Path, tally: Tally) -> None:
    root = ET.parse(path).getroot()  # noqa: S314 (files this run wrote)
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            tally.failed += 1
            tally.failures.append(name + reason(problem))
        elif case.find("skipped") is not None:
            tally.skipped += 1
        else:
            tally.passed += 1


def summarise(junit_dir: Path, gates: Sequence[str]) -> Tally:
    tally = Tally()
    for gate in gates:
        name, _, status = gate.partition("=")
        if status.strip() == "0":
            tally.passed += 1
        else:
            tally.failed += 1
            tally.failures.append(f"gate {name} (exit {status})")
    for path in sorted(junit_dir.glob("*.xml")):
        count_junit(path, tally)
    return tally


def save(tally: Tally, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(tally), indent=2) + "\n")


def combine(paths: Sequence[Path]) -> Tally:
    """Add up tallies saved by earlier invocations (e.g. the native and compose stages)."""
    total = Tally()
    for path in paths:
        part = Tally(**json.loads(path.read_text()))
        total.passed += part.passed
        total.failed += part.failed
        total.skipped += part.skipped
        total.failures += part.failures
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("junit_dir", type=Path, nargs="?", help="folder of JUnit XML files")
    parser.add_argument("--gate", action="append", default=[], help="name=exit_status")
    parser.add_argument("--save", type=Path, help="also write the tally as JSON here")
    parser.add_argument(
        "--combine", type=Path, nargs="+", help="add up tallies saved with --save instead"
    )
    args = parser.parse_args(argv)
    if args.combine:
        tally = combine(args.combine)
    elif args.junit_dir is not None:
        tally = summarise(args.junit_dir, args.gate)
    else:
        parser.error("give a JUnit folder or --combine")
    if args.save:
        save(tally, args.save)
    for failure in tally.failures:
        print(f"FAILED {failure}")
    if tally.passed + tally.failed == 0:
        print("0 passed, 1 failed, 0 skipped (no results were found)")
        return 1
    print(tally.line())
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
