"""reports/verdict.json and the exit policy: every gate's phase, P-level, status and reason,
the skipped ones listed, and --fail-on P0|P1|any deciding the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.reporting import verdict as v

CHANGES = "it changes the deployment"


def status(name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name)


def scenario(
    name: str,
    tags: list[str],
    outcome: str,
    skip_reason: str = "",
    message: str = "",
    exception: Exception | None = None,
    rule: str | None = "The gate",
) -> SimpleNamespace:
    feature = SimpleNamespace(name="Deployment validation")
    parent: Any = SimpleNamespace(keyword="Rule", name=rule, parent=feature) if rule else feature
    failing = SimpleNamespace(status=status(outcome), error_message=message, exception=exception)
    return SimpleNamespace(
        name=name,
        effective_tags=tags,
        status=status(outcome),
        skip_reason=skip_reason or None,
        feature=feature,
        parent=parent,
        all_steps=[SimpleNamespace(status=status("passed")), failing],
        location=f"features/deployment.feature:{len(name)}",
    )


def sample() -> v.Verdict:
    return v.verdict_from(
        "external",
        [
            (scenario("healthy", ["phase2", "P0"], "passed"), True, "seen from outside"),
            (
                scenario(
                    "rows", ["phase3", "P0"], "failed",
                    message="ASSERT FAILED: Temporal's execution rows: Temporal's state is not "
                    "in this PostgreSQL\nsecond line",
                ),
                True,
                "",
            ),
            (scenario("ui", ["phase3", "P1"], "error", exception=TimeoutError("page")), True, ""),
            (scenario("restart", ["phase4", "P0"], "skipped", CHANGES), True, ""),
            (scenario("kill", ["phase4", "P0"], "skipped", CHANGES), True, ""),
            (scenario("matrix", ["phase6", "P1"], "skipped"), False, ""),
        ],
        12.5,
    )  # fmt: skip


def test_each_gate_has_phase_plevel_status_and_reason() -> None:
    gates = {gate.scenario: gate for gate in sample().gates}
    assert gates["healthy"].status == "passed"
    assert gates["healthy"].reason == "seen from outside"
    assert (gates["rows"].phase, gates["rows"].plevel, gates["rows"].status) == (3, "P0", "failed")
    assert gates["rows"].reason == (
        "Temporal's execution rows: Temporal's state is not in this PostgreSQL / second line"
    )
    assert gates["ui"].reason == "TimeoutError: page"  # the exception, not the traceback
    assert gates["restart"].status == "skipped"
    assert gates["matrix"].status == "not selected"
    assert gates["rows"].title == "Deployment validation › The gate"  # noqa: RUF001


def test_the_policy_decides_the_exit_status() -> None:
    verdict = sample()
    assert v.exit_status(verdict, "any") == 1
    assert v.exit_status(verdict, "P0") == 1
    passing_p0 = v.Verdict("external", [g for g in verdict.gates if g.scenario != "rows"])
    assert v.exit_status(passing_p0, "P0") == 0  # a P1 failure is tolerated by fail-on P0
    assert v.exit_status(passing_p0, "P1") == 1
    assert "tolerated" in passing_p0.headline("P0")
    nothing_ran = v.Verdict("external", [g for g in verdict.gates if g.status != "passed"])
    assert v.exit_status(nothing_ran, "P3") == 1
    assert nothing_ran.headline().startswith("FAILED — no gate ran to completion")
    with pytest.raises(UserError, match="unknown --fail-on policy 'P9'"):
        v.exit_status(verdict, "P9")


def test_the_summary_lists_failures_first_and_every_skipped_gate_with_its_reason() -> None:
    lines = sample().summary_lines()
    assert lines[0].startswith("verdict on the external target: FAILED (fail-on any) — 1 passed")
    assert "2 failed (1 P0, 1 P1)" in lines[0]
    assert "2 skipped on this target, 1 not selected" in lines[0]
    assert lines[1].startswith("  FAILED  P0  ")
    assert "Temporal's state is not in this PostgreSQL" in lines[1]
    assert lines[2].startswith("  FAILED  P1  ")
    skipped = [line for line in lines if line.startswith("  SKIPPED")]
    assert skipped == [
        "  SKIPPED P0  Deployment validation › The gate (2 scenarios): it changes the deployment"  # noqa: RUF001
    ]


def test_the_verdict_file_round_trips(tmp_path: Path) -> None:
    path = v.write_verdict(sample(), tmp_path / "reports" / "verdict.json")
    data = json.loads(path.read_text())
    assert data["counts"] == {"passed": 1, "failed": 2, "skipped": 2, "not selected": 1}
    assert data["gates"][0]["phase_title"] == "Phase 2 — Deployment validation"
    assert data["wall_seconds"] == 12.5
    again = v.read_verdict(path)
    assert again.gates == sample().gates
    with pytest.raises(UserError, match="no verdict at"):
        v.read_verdict(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(UserError, match="is not a verdict file"):
        v.read_verdict(tmp_path / "bad.json")


def test_the_report_environment_carries_the_verdict_and_the_skipped_gates() -> None:
    facts = v.environment_facts(sample())
    assert facts["Verdict"].startswith("FAILED")
    assert "it changes the deployment" in facts["Skipped on this target"]


def test_an_unrun_scenario_and_a_hook_failure_say_so() -> None:
    unrun = scenario("aborted", ["P2"], "skipped")
    assert v.gate_result(unrun, True).reason.startswith("not run")
    hooked = scenario("hook", ["P2"], "hook_error", rule=None)
    hooked.all_steps = []
    hooked.hook_failed = True
    result = v.gate_result(hooked, True)
    assert (result.status, result.reason) == ("failed", "a hook failed (see the console)")
    assert result.gate == result.feature


def test_issues_md_opens_with_the_verdict_and_what_was_not_checked() -> None:
    from temporal_acceptance.reporting.issues import render
    from temporal_acceptance.reporting.results import ScenarioResult

    result = ScenarioResult("healthy", "passed", {"severity": ["blocker"]}, 1000, 2000)
    text = render([result], v.environment_facts(sample()))
    assert "**Verdict: FAILED (fail-on any)" in text
    assert "Not checked by this run (skipped, with the reason):" in text
    assert "- Deployment validation › The gate (it changes the deployment)" in text  # noqa: RUF001
