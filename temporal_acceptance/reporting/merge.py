"""One run's results from several behave processes (`run --stacks N`, core/shares.py): each
wrote its verdict, timings, JUnit files, Allure results and resource samples to a folder of
its own; here they become the run's one set, in the places a single run writes them.

A process is given its share as `file:line` locations, and behave lists a feature's other
scenarios as skipped: those rows are left out here, so each scenario is counted once — by the
process that ran it. A process that ended without a verdict fails every scenario of its
share, saying so.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_acceptance.reporting.metadata import properties_text
from temporal_acceptance.reporting.timings import Timing
from temporal_acceptance.reporting.verdict import FAILED, GateResult, Verdict

PART_RESULTS = "allure-results"
PART_JUNIT = "junit"
METADATA_FILES = ("environment.properties", "executor.json", "categories.json")


@dataclass(frozen=True)
class Part:
    """What one behave process was given and where it wrote."""

    label: str
    folder: Path
    locations: frozenset[str]
    names: frozenset[str]
    exit_status: int | None = None

    @property
    def verdict_file(self) -> Path:
        return self.folder / "verdict.json"

    def verdict(self) -> Verdict | None:
        try:
            return Verdict.from_json(json.loads(self.verdict_file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def merged_verdict(
    target: str, parts: Sequence[Part], unselected: Sequence[GateResult], wall: float
) -> Verdict:
    """Each part's own scenarios as it judged them; a part without a verdict fails its
    share; the scenarios no part was given, as the planner found them (not selected)."""
    gates: list[GateResult] = []
    for part in parts:
        verdict = part.verdict()
        if verdict is None:
            reason = (
                f"the behave run on {part.label} ended without a verdict (exit status "
                f"{part.exit_status}); see {part.folder / 'console.log'}"
            )
            gates += [_lost(location, reason) for location in sorted(part.locations)]
            continue
        own = [g for g in verdict.gates if g.location in part.locations]
        missing = part.locations - {g.location for g in own}
        gates += own + [_lost(loc, f"not reported by {part.label}") for loc in sorted(missing)]
    order = {gate.location: i for i, gate in enumerate(unselected)}
    gates += list(unselected)
    gates.sort(key=lambda g: (_file(g.location), _line(g.location), order.get(g.location, 0)))
    return Verdict(target, gates, wall_seconds=wall)


def _lost(location: str, reason: str) -> GateResult:
    return GateResult("", "", location, None, None, FAILED, reason, location)


def _file(location: str) -> str:
    return location.rpartition(":")[0]


def _line(location: str) -> int:
    tail = location.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def merged_timings(parts: Sequence[Part]) -> list[Timing]:
    rows: list[Timing] = []
    for part in parts:
        try:
            data = json.loads((part.folder / "timings.json").read_text())
        except (OSError, ValueError):
            continue
        rows += [Timing(**row) for row in data if row.get("location") in part.locations]
    return sorted(rows, key=lambda t: (-t.seconds, t.feature, t.scenario))


def merge_junit(parts: Sequence[Part], out: Path) -> list[Path]:
    """Each part's JUnit files into `out`, less the scenarios another part ran; a scenario
    no part ran (left out by the tags) is kept once, as skipped."""
    out.mkdir(parents=True, exist_ok=True)
    ran = frozenset().union(*(part.names for part in parts))
    kept_skipped: set[tuple[str, str]] = set()
    written = []
    for index, part in enumerate(parts):
        for path in sorted((part.folder / PART_JUNIT).glob("*.xml")):
            tree = ET.parse(path)  # noqa: S314 (files this run's behave wrote)
            suite = tree.getroot()
            for case in list(suite.iter("testcase")):
                name, key = case.get("name", ""), (case.get("classname", ""), case.get("name", ""))
                if name in part.names:
                    continue
                if name not in ran and _skipped(case) and key not in kept_skipped:
                    kept_skipped.add(key)
                    continue
                suite.remove(case)
            if not list(suite.iter("testcase")):
                continue
            _recount(suite)
            target = out / (path.name if index == 0 else f"{path.stem}.{_slug(part)}.xml")
            tree.write(target, encoding="utf-8", xml_declaration=True)
            written.append(target)
    return written


def _skipped(case: ET.Element) -> bool:
    return case.find("skipped") is not None or case.get("status") == "skipped"


def _recount(suite: ET.Element) -> None:
    cases = list(suite.iter("testcase"))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("skipped", str(sum(_skipped(c) for c in cases)))


def _slug(part: Part) -> str:
    return part.label.replace(" ", "-")


def merge_allure(parts: Sequence[Part], out: Path, facts: Mapping[str, str]) -> int:
    """Every part's Allure results into `out` (emptied by the caller); the metadata files
    from the first part, its overview facts updated with the run's (`facts`)."""
    out.mkdir(parents=True, exist_ok=True)
    copied = 0
    for index, part in enumerate(parts):
        folder = part.folder / PART_RESULTS
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if not path.is_file() or (index > 0 and path.name in METADATA_FILES):
                continue
            if path.name.endswith("-result.json") and _other_parts(path, part):
                continue
            shutil.copy2(path, out / path.name)
            copied += 1
    properties = out / "environment.properties"
    if properties.is_file() and facts:
        properties.write_text(updated_properties(properties.read_text(), facts))
    return copied


def _other_parts(path: Path, part: Part) -> bool:
    """A result behave wrote as skipped for a scenario of another part's share."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return result.get("status") == "skipped" and result.get("name") not in part.names


def updated_properties(text: str, facts: Mapping[str, str]) -> str:
    """environment.properties with each fact's line replaced (or added)."""
    keys = {properties_text({key: ""}).split("=", 1)[0] for key in facts}
    kept = [line for line in text.splitlines() if line.split("=", 1)[0] not in keys]
    return "\n".join(kept) + "\n" + properties_text(facts)


def merge_resources(parts: Sequence[Part], out: Path) -> dict[str, Any]:
    """CPU and memory per process of every part's stack: the first part's names as they
    are, the others' prefixed with the part's label."""
    merged: dict[str, Any] = {"summary": {}, "series": {}}
    for index, part in enumerate(parts):
        try:
            data = json.loads((part.folder / "resources.json").read_text())
        except (OSError, ValueError):
            continue
        prefix = "" if index == 0 else f"{part.label}: "
        for key in ("summary", "series"):
            merged[key].update({prefix + name: v for name, v in data.get(key, {}).items()})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged) + "\n")
    return merged
