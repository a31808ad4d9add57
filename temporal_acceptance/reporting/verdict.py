"""The run's verdict for a pipeline: every gate (scenario) with its phase, P-level, status and
reason, written to reports/verdict.json at the end of a behave run, and the exit policy
(`--fail-on P0|P1|P2|P3|any`) a deploy pipeline applies to it.

A gate's status is passed, failed, skipped (it cannot run on this target: the reason says
why) or not selected (excluded by the run's tags). The summary lists what was skipped, so
"all passed" never hides what was not checked. Built from behave's model after the run; the
behave objects are read through getattr only, so this module stays plain logic.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.reporting.labels import phase_of, phase_title, plevel_of

VERDICT_FILE = Path("reports/verdict.json")
POLICIES = ("P0", "P1", "P2", "P3", "any")
PASSED, FAILED, SKIPPED, NOT_SELECTED = "passed", "failed", "skipped", "not selected"
FAILING = ("failed", "error", "hook_error", "cleanup_error", "undefined", "pending")
REASON_LINES = 3
REASON_WIDTH = 400


@dataclass(frozen=True)
class GateResult:
    feature: str
    gate: str  # the Rule's title (the sprint plan's checklist line), or the feature
    scenario: str
    phase: int | None
    plevel: str | None
    status: str
    reason: str = ""  # why it failed or was skipped; what it did on this target otherwise
    location: str = ""

    @property
    def title(self) -> str:
        gate = f"{self.feature} › {self.gate}"  # noqa: RUF001 (as the docs name gates)
        return gate if self.gate != self.feature else self.feature

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["phase_title"] = phase_title(self.phase) if self.phase is not None else ""
        return data


def _first_lines(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    shown = " / ".join(lines[:REASON_LINES])
    return shown if len(shown) <= REASON_WIDTH else shown[: REASON_WIDTH - 3] + "..."


def _failure(scenario: Any) -> str:
    for step in getattr(scenario, "all_steps", []):
        status = getattr(getattr(step, "status", None), "name", "")
        if status in FAILING:
            exception = getattr(step, "exception", None)
            if status == "failed" or exception is None:
                # a failed expectation: behave's message is "ASSERT FAILED: <about>: <problem>"
                message = str(getattr(step, "error_message", "") or exception or status)
                return _first_lines(message.removeprefix("ASSERT FAILED: "))
            # an error: the exception, not the traceback's first frames
            return _first_lines(f"{type(exception).__name__}: {exception}")
    return "a hook failed (see the console)" if getattr(scenario, "hook_failed", False) else ""


def _rule_of(scenario: Any) -> str | None:
    node = getattr(scenario, "parent", None)
    while node is not None:
        if getattr(node, "keyword", "") == "Rule" or getattr(node, "type", "") == "rule":
            return str(node.name)
        node = getattr(node, "parent", None)
    return None


def gate_result(scenario: Any, selected: bool, note: str = "") -> GateResult:
    """One behave scenario after the run (`selected`: the run's tags included it)."""
    tags = [str(tag) for tag in getattr(scenario, "effective_tags", ())]
    status = getattr(getattr(scenario, "status", None), "name", "untested")
    skip_reason = str(getattr(scenario, "skip_reason", "") or "")
    if status == "passed":
        outcome, reason = PASSED, note
    elif status in FAILING:
        outcome, reason = FAILED, _failure(scenario) or status
    elif not selected:
        outcome, reason = NOT_SELECTED, "excluded by the run's tags"
    elif skip_reason:
        outcome, reason = SKIPPED, skip_reason
    else:
        outcome, reason = SKIPPED, "not run (the run stopped or a step skipped it)"
    feature = str(getattr(getattr(scenario, "feature", None), "name", "") or "")
    return GateResult(
        feature=feature,
        gate=_rule_of(scenario) or feature,
        scenario=str(getattr(scenario, "name", "")),
        phase=phase_of(tags),
        plevel=plevel_of(tags),
        status=outcome,
        reason=reason,
        location=str(getattr(scenario, "location", "")),
    )


def _level(plevel: str | None) -> int:
    return int(plevel[1]) if plevel else 9


@dataclass
class Verdict:
    target: str
    gates: list[GateResult]
    written_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    wall_seconds: float = 0.0

    def having(self, status: str) -> list[GateResult]:
        return [gate for gate in self.gates if gate.status == status]

    def failing(self, policy: str) -> list[GateResult]:
        """The failed gates the policy stops on ('P1': P0 and P1; 'any': all)."""
        parse_policy(policy)
        limit = 9 if policy == "any" else int(policy[1])
        return [gate for gate in self.having(FAILED) if _level(gate.plevel) <= limit]

    def passes(self, policy: str = "any") -> bool:
        """No failed gate the policy stops on, and at least one gate passed (a run that
        checked nothing is not a pass)."""
        return not self.failing(policy) and bool(self.having(PASSED))

    def headline(self, policy: str = "any") -> str:
        failed, passed = self.having(FAILED), self.having(PASSED)
        levels: dict[str, int] = defaultdict(int)
        for gate in failed:
            levels[gate.plevel or "no P-level"] += 1
        by_level = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
        counts = (
            f"{len(passed)} passed, {len(failed)} failed"
            + (f" ({by_level})" if failed else "")
            + f", {len(self.having(SKIPPED))} skipped on this target, "
            f"{len(self.having(NOT_SELECTED))} not selected"
        )
        if not passed:
            return f"FAILED — no gate ran to completion ({counts})"
        if self.failing(policy):
            return f"FAILED (fail-on {policy}) — {counts}"
        tolerated = " (failures below the policy's P-level tolerated)" if failed else ""
        return f"PASSED (fail-on {policy}){tolerated} — {counts}"

    def summary_lines(self, policy: str = "any") -> list[str]:
        lines = [f"verdict on the {self.target} target: {self.headline(policy)}"]
        for gate in sorted(self.having(FAILED), key=lambda g: (_level(g.plevel), g.location)):
            lines.append(
                f"  FAILED  {gate.plevel or '--'}  {gate.title} — {gate.scenario}: {gate.reason}"
            )
        skipped = self.having(SKIPPED)
        if skipped:
            lines.append(f"  skipped, with the reason (not checked by this run: {len(skipped)}):")
            grouped: dict[tuple[str, str], list[GateResult]] = defaultdict(list)
            for gate in skipped:
                grouped[(gate.title, gate.reason)].append(gate)
            for (title, reason), gates in grouped.items():
                level = min((g.plevel for g in gates if g.plevel), default="--")
                count = f" ({len(gates)} scenarios)" if len(gates) > 1 else ""
                lines.append(f"  SKIPPED {level}  {title}{count}: {reason}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "written_at": self.written_at,
            "wall_seconds": round(self.wall_seconds, 1),
            "headline": self.headline(),
            "counts": {
                status: len(self.having(status))
                for status in (PASSED, FAILED, SKIPPED, NOT_SELECTED)
            },
            "gates": [gate.to_json() for gate in self.gates],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        fields = set(GateResult.__dataclass_fields__)
        gates = [GateResult(**{k: v for k, v in g.items() if k in fields}) for g in data["gates"]]
        return cls(
            str(data.get("target", "?")),
            gates,
            str(data.get("written_at", "")),
            float(data.get("wall_seconds", 0.0)),
        )


def parse_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise UserError(
            f"unknown --fail-on policy {policy!r}",
            f"use one of: {', '.join(POLICIES)} (P1 fails on P0 and P1 gates)",
        )
    return policy


def verdict_from(
    target: str, scenarios: Iterable[tuple[Any, bool, str]], wall_seconds: float = 0.0
) -> Verdict:
    """(scenario, selected by the tags, note on this target) for each scenario of the run."""
    return Verdict(target, [gate_result(*item) for item in scenarios], wall_seconds=wall_seconds)


def write_verdict(verdict: Verdict, path: Path = VERDICT_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(verdict.to_json(), indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def read_verdict(path: Path = VERDICT_FILE) -> Verdict:
    try:
        return Verdict.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise UserError(
            f"no verdict at {path}",
            "run the gates first (behave, or temporal-acceptance run); each run writes it",
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not a verdict file: {exc}", "run the gates again") from None


def environment_facts(verdict: Verdict) -> dict[str, str]:
    """For the report's environment (its overview page shows them first)."""
    skipped = verdict.having(SKIPPED)
    facts = {"Verdict": verdict.headline()}
    if skipped:
        titles = sorted({f"{gate.title} ({gate.reason})" for gate in skipped})
        facts["Skipped on this target"] = "; ".join(titles)
    return facts


def exit_status(verdict: Verdict, policy: str) -> int:
    return 0 if verdict.passes(parse_policy(policy)) else 1
