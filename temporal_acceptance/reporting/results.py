"""Reading an Allure results folder back: one ScenarioResult per behave scenario, with the
labels, failure, failing step and attachment names ISSUES.md needs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.reporting.categories import FAILING_STATUSES, categorize
from temporal_acceptance.reporting.labels import NO_PHASE, PLEVEL_OF_SEVERITY


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    status: str  # passed, failed, broken, skipped, unknown
    labels: Mapping[str, Sequence[str]]
    start_ms: int
    stop_ms: int
    message: str = ""
    trace: str = ""
    failing_step: str | None = None
    step_attachments: Sequence[str] = field(default_factory=list)  # of the failing step
    attachments: Sequence[str] = field(default_factory=list)  # of the scenario itself

    def label(self, name: str, default: str = "") -> str:
        values = self.labels.get(name) or [default]
        return values[0]

    @property
    def epic(self) -> str:
        return self.label("epic", NO_PHASE)

    @property
    def gate(self) -> str:
        return self.label("story", self.label("feature"))

    @property
    def plevel(self) -> str:
        return PLEVEL_OF_SEVERITY.get(self.label("severity"), "no P-level")

    @property
    def seconds(self) -> float:
        return max(self.stop_ms - self.start_ms, 0) / 1000

    @property
    def failing(self) -> bool:
        return self.status in FAILING_STATUSES

    @property
    def category(self) -> str | None:
        return categorize(self.status, self.message, self.trace)


def _attachment_names(item: Mapping[str, Any]) -> list[str]:
    return [str(a.get("name", a.get("source", "?"))) for a in item.get("attachments", [])]


def _failing_step(steps: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for step in steps:
        if step.get("status") in FAILING_STATUSES:
            return step
    return None


def parse_result(data: Mapping[str, Any]) -> ScenarioResult:
    labels: dict[str, list[str]] = {}
    for label in data.get("labels", []):
        labels.setdefault(str(label.get("name")), []).append(str(label.get("value", "")))
    details = data.get("statusDetails") or {}
    step = _failing_step(data.get("steps", []))
    return ScenarioResult(
        name=str(data.get("name", "?")),
        status=str(data.get("status", "unknown")),
        labels=labels,
        start_ms=int(data.get("start", 0)),
        stop_ms=int(data.get("stop", data.get("start", 0))),
        message=str(details.get("message", "")).strip(),
        trace=str(details.get("trace", "")),
        failing_step=str(step["name"]) if step else None,
        step_attachments=_attachment_names(step) if step else [],
        attachments=_attachment_names(data),
    )


def load_results(results_dir: Path) -> list[ScenarioResult]:
    """Every scenario result in the folder, in the order they started."""
    if not results_dir.is_dir():
        raise UserError(
            f"no Allure results folder at {results_dir}",
            "run the suite first (make acceptance), or pass --results",
        )
    results = [
        parse_result(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(results_dir.glob("*-result.json"))
    ]
    if not results:
        raise UserError(
            f"{results_dir} holds no scenario results",
            "run the suite first (make acceptance); behave writes them there",
        )
    return sorted(results, key=lambda r: r.start_ms)


def read_properties(path: Path) -> dict[str, str]:
    """environment.properties as written by reporting.metadata (backslash escapes)."""
    if not path.is_file():
        return {}
    facts: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, value, escaped, in_key = "", "", False, True
        for raw in line:
            char = raw
            if escaped:
                char = {"n": "\n", "r": "\r", "t": "\t"}.get(raw, raw)
                escaped = False
            elif raw == "\\":
                escaped = True
                continue
            elif raw == "=" and in_key:
                in_key = False
                continue
            if in_key:
                key += char
            else:
                value += char
        if key and not in_key:
            facts[key] = value
    return facts
