"""A scenario skipped while the run runs is reported with its reason (Allure status details,
and the console line environment.py prints); one the run's selection leaves out is not
reported at all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from behave.__main__ import main as behave_main

from temporal_acceptance.reporting.formatter import skip_message

FORMATTER = "temporal_acceptance.reporting.formatter:SprintFormatter"
FEATURE = """\
@phase4
Feature: Skips
  Rule: A gate
    @P1 @disruptive
    Scenario: A disruption the target cannot perform
      Then nothing happens

    @P1
    Scenario: A gate that runs
      Then nothing happens

    @P2
    Scenario: A gate left out by the name filter
      Then nothing happens
"""
ENVIRONMENT = """\
def before_scenario(context, scenario):
    if "disruptive" in scenario.effective_tags:
        scenario.skip("disrupting the deployment is not supported on the fixture target")
"""
STEPS = """\
from behave import then

@then("nothing happens")
def step_nothing(context):
    pass
"""


def test_a_skip_carries_its_reason_and_an_excluded_scenario_is_left_out(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "features" / "steps").mkdir(parents=True)
    (project / "features" / "skips.feature").write_text(FEATURE)
    (project / "features" / "environment.py").write_text(ENVIRONMENT)
    (project / "features" / "steps" / "steps.py").write_text(STEPS)
    results = tmp_path / "results"
    previous = Path.cwd()
    os.chdir(project)
    try:
        status = behave_main(
            [
                *("-f", FORMATTER, "-o", str(results)),
                *("-f", "plain", "-o", str(tmp_path / "behave.txt")),
                "--show-skipped",
                "-n",
                "A disruption|A gate that runs",
                "features",
            ]
        )
    finally:
        os.chdir(previous)
    assert status == 0
    reported = {}
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text())
        reported[data["name"]] = (data["status"], (data.get("statusDetails") or {}).get("message"))
    assert reported == {
        "A disruption the target cannot perform": (
            "skipped",
            "skipped: disrupting the deployment is not supported on the fixture target",
        ),
        "A gate that runs": ("passed", None),
    }


def test_the_skip_message_says_why_or_that_nobody_said() -> None:
    assert skip_message(SimpleNamespace(skip_reason=" no target ")) == "skipped: no target"
    assert skip_message(SimpleNamespace(skip_reason=None)) == "skipped (no reason given)"
