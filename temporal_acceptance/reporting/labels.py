"""Allure labels from the tags feature files already carry.

Feature files keep plain tags (`@phase2`, `@P0`); this module turns them into what the
sprint review reads: epic = sprint phase, feature, story = the gate (the `Rule:` title),
severity = the P-level. Kept free of behave and allure imports so it is plain logic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The sprint plan's phases (shared/SPRINT_GATES.md); the epic a scenario is filed under.
PHASES: dict[int, str] = {
    1: "Test workflow creation",
    2: "Deployment validation",
    3: "Workflow execution testing",
    4: "Persistence testing",
    5: "Issue resolution",
    6: "Compatibility validation",
    7: "Documentation",
}
NO_PHASE = "No phase tag"

# The plan's P-levels onto Allure's severities (P0 blocks all downstream work).
SEVERITY_OF_PLEVEL: dict[str, str] = {
    "P0": "blocker",
    "P1": "critical",
    "P2": "normal",
    "P3": "minor",
}
PLEVEL_OF_SEVERITY = {severity: plevel for plevel, severity in SEVERITY_OF_PLEVEL.items()}
DEFAULT_SEVERITY = "normal"

_PHASE_TAG = re.compile(r"^phase(?P<number>\d+)$", re.IGNORECASE)
_PLEVEL_TAG = re.compile(r"^P(?P<level>[0-3])$", re.IGNORECASE)


def phase_title(number: int) -> str:
    """'Phase 2 — Deployment validation' (an unknown phase number keeps its number)."""
    name = PHASES.get(number)
    return f"Phase {number} — {name}" if name else f"Phase {number}"


def _clean(tags: Iterable[str]) -> list[str]:
    return [str(tag).strip().lstrip("@") for tag in tags]


def phase_of(tags: Iterable[str]) -> int | None:
    """The lowest phase number among the tags (a scenario belongs to its earliest phase)."""
    numbers = [int(m["number"]) for tag in _clean(tags) if (m := _PHASE_TAG.match(tag))]
    return min(numbers) if numbers else None


def plevel_of(tags: Iterable[str]) -> str | None:
    """The most severe P-level among the tags ('P0' beats 'P2'), or None."""
    levels = [int(m["level"]) for tag in _clean(tags) if (m := _PLEVEL_TAG.match(tag))]
    return f"P{min(levels)}" if levels else None


@dataclass(frozen=True)
class ScenarioLabels:
    epic: str
    feature: str
    story: str
    severity: str
    plevel: str | None

    def pairs(self) -> list[tuple[str, str]]:
        """(label name, value) in the order Allure shows them."""
        return [
            ("epic", self.epic),
            ("feature", self.feature),
            ("story", self.story),
            ("severity", self.severity),
        ]


def labels_for(tags: Iterable[str], feature: str, rule: str | None) -> ScenarioLabels:
    """Labels for a scenario from its effective tags (feature + rule + scenario), its
    feature's name and the title of the Rule it sits in (the gate). A scenario outside any
    Rule has the feature itself as its gate."""
    tag_list = list(tags)
    phase = phase_of(tag_list)
    plevel = plevel_of(tag_list)
    return ScenarioLabels(
        epic=phase_title(phase) if phase is not None else NO_PHASE,
        feature=feature,
        story=rule or feature,
        severity=SEVERITY_OF_PLEVEL[plevel] if plevel else DEFAULT_SEVERITY,
        plevel=plevel,
    )
