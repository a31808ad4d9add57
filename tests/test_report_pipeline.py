"""The reporting pipeline end to end on a purpose-built behave project: our formatter's
results (labels, rules, redaction, cleaning), ISSUES.md, and the Allure 3 HTML — whose own
category assignment must agree with ISSUES.md's."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from behave.__main__ import main as behave_main

from temporal_acceptance.core.secrets import Secret, generate_password
from temporal_acceptance.reporting import report
from temporal_acceptance.reporting.categories import categories_json
from temporal_acceptance.reporting.leaks import scan
from temporal_acceptance.reporting.results import ScenarioResult, load_results

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/fixtures/report_project"
FORMATTER = "temporal_acceptance.reporting.formatter:SprintFormatter"

# scenario → (epic, story, severity, category or None when it passes)
EXPECTED = {
    "A gate outside any rule passes": (
        "Phase 2 — Deployment validation",
        "Fixture deployment gates",
        "normal",
        None,
    ),
    "PostgreSQL answers on a port where nothing listens": (
        "Phase 2 — Deployment validation",
        "Connection strings are validated",
        "blocker",
        "Connection",
    ),
    "A passing gate with a table": (
        "Phase 2 — Deployment validation",
        "Connection strings are validated",
        "critical",
        None,
    ),
    "The schema is at the version the release expects": (
        "Phase 2 — Deployment validation",
        "The PostgreSQL schema is created",
        "critical",
        "Version compatibility",
    ),
    "A step that mishandles the password": (
        "Phase 2 — Deployment validation",
        "Secrets stay out of the report",
        "normal",
        "Connection",
    ),
    "The history is unchanged": (
        "Phase 4 — Persistence testing",
        "Workflow history is intact after a restart",
        "blocker",
        "Storage",
    ),
    "A condition is met in time": (
        "Phase 4 — Persistence testing",
        "Performance is acceptable",
        "minor",
        "Performance",
    ),
    "Something nobody foresaw": (
        "Phase 4 — Persistence testing",
        "Performance is acceptable",
        "normal",
        "Other",
    ),
}


class Run:
    def __init__(self, root: Path, secret: Secret, results: list[ScenarioResult]) -> None:
        self.root = root
        self.secret = secret
        self.results = results
        self.results_dir = root / "results"
        self.by_name = {r.name: r for r in results}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("report")
    results_dir = root / "results"
    results_dir.mkdir()
    (results_dir / "stale-result.json").write_text("{}")  # left by an earlier run
    (results_dir / "notes.txt").write_text("not ours")
    secret = generate_password()
    # In-process, so coverage sees the formatter and the hooks' reporting code.
    os.environ.update({"FIXTURE_SECRET": secret.reveal(), "FIXTURE_LOGS": str(root / "logs")})
    previous = Path.cwd()
    os.chdir(FIXTURE)
    try:
        status = behave_main(
            [
                *("-f", FORMATTER, "-o", str(results_dir)),
                *("-f", "plain", "-o", str(root / "behave.txt")),
                "features",
            ]
        )
    finally:
        os.chdir(previous)
        for key in ("FIXTURE_SECRET", "FIXTURE_LOGS"):
            os.environ.pop(key, None)
    assert status == 1, f"the fixture must fail (exit 1), got {status}"
    return Run(root, secret, load_results(results_dir))


def test_every_scenario_is_reported_including_those_inside_rules(fixture_run: Run) -> None:
    assert sorted(fixture_run.by_name) == sorted(EXPECTED)


def test_a_run_empties_the_results_folder_of_earlier_results_only(fixture_run: Run) -> None:
    assert not (fixture_run.results_dir / "stale-result.json").exists()
    assert (fixture_run.results_dir / "notes.txt").read_text() == "not ours"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_labels_come_from_phase_rule_and_plevel_tags(fixture_run: Run, name: str) -> None:
    epic, story, severity, _ = EXPECTED[name]
    result = fixture_run.by_name[name]
    assert (result.epic, result.gate, result.label("severity")) == (epic, story, severity)
    assert result.labels["severity"] == [severity], "exactly one severity label"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_failures_fall_into_the_expected_category(fixture_run: Run, name: str) -> None:
    assert fixture_run.by_name[name].category == EXPECTED[name][3], fixture_run.by_name[
        name
    ].message


def test_metadata_files_are_written_at_the_end_of_the_run(fixture_run: Run) -> None:
    folder = fixture_run.results_dir
    assert json.loads((folder / "categories.json").read_text()) == categories_json()
    assert json.loads((folder / "executor.json").read_text())["reportName"]
    properties = (folder / "environment.properties").read_text()
    assert "Target=fixture" in properties
    assert "PostgreSQL\\ live=16.14" in properties


def test_a_failed_scenario_carries_every_log_source_and_the_config(fixture_run: Run) -> None:
    failed = fixture_run.by_name["The history is unchanged"]
    names = set(failed.attachments)
    expected = {"log: postgres", "log: temporal", "log: ui", "log: worker"}
    assert expected | {"effective configuration (redacted)", "timings"} <= names
    passed = fixture_run.by_name["A passing gate with a table"]
    assert set(passed.attachments) == {"timings"}, "logs only for failures"


def test_the_log_excerpt_holds_the_scenario_window_only(fixture_run: Run) -> None:
    texts = [p.read_text() for p in fixture_run.results_dir.glob("*-attachment.txt")]
    worker = [t for t in texts if "[worker]" in t and "The history is unchanged" in t]
    assert worker, "the worker's lines of the failed scenario are attached"
    assert all("'Something nobody foresaw'" not in t for t in worker), "another scenario leaked in"


def test_issues_md_files_the_failures_by_category_and_plevel(fixture_run: Run) -> None:
    paths = report.ReportPaths(results=fixture_run.results_dir, output=fixture_run.root / "out")
    text = report.generate(paths, html=False).issues.read_text()
    storage = text.index("### Storage (1)")
    assert text.index("#### P0 (blocker)", storage) < text.index(
        "The history is unchanged", storage
    )
    connection = text[text.index("### Connection (2)") : text.index("### Performance")]
    assert "PostgreSQL answers on a port where nothing listens" in connection
    assert "Connection refused" in connection
    assert "failing step: `Then the connection succeeds`" in connection
    assert "“log: postgres”" in connection
    assert "### Other (1)" in text
    assert "Something nobody foresaw" in text
    assert "| Phase 2 — Deployment validation | 1/4 | 2/5 | 2 | 1 | 0 |" in text
    assert "| Phase 4 — Persistence testing | 0/2 | 0/3 | 2 | 1 | 0 |" in text


def test_the_password_never_reaches_the_results_or_issues(fixture_run: Run) -> None:
    paths = report.ReportPaths(results=fixture_run.results_dir, output=fixture_run.root / "md")
    report.generate(paths, html=False)
    leaks, files = scan([fixture_run.results_dir, fixture_run.root / "md"], fixture_run.secret)
    assert files > 10, "the results folder holds the run's files"
    assert not leaks, [leak.line() for leak in leaks]
    # Positive control: the fixture really did put it in its own logs and console output.
    found, _ = scan(
        [fixture_run.root / "logs", fixture_run.root / "behave.txt"], fixture_run.secret
    )
    assert found, "the fixture no longer writes the password anywhere: this test proves nothing"


def _allure(fixture_run: Run, name: str, single_file: bool) -> Path:
    paths = report.ReportPaths(
        results=fixture_run.results_dir,
        output=fixture_run.root / name,
        history=fixture_run.root / "history" / "history.jsonl",
        config=REPO / "allurerc.mjs",
        allure=REPO / "node_modules/.bin/allure",
    )
    if not paths.allure.exists():
        pytest.fail("the Allure 3 CLI is missing: run `npm ci` (make setup does)")
    return report.generate(paths, single_file=single_file).html or Path()


def test_allure_files_each_failure_where_issues_md_does(fixture_run: Run) -> None:
    index = _allure(fixture_run, "multi", single_file=False)
    seen = {}
    for path in (index.parent / "data/test-results").glob("*.json"):
        data = json.loads(path.read_text())
        categories = [c["name"] for c in data.get("categories", [])]
        seen[data["name"]] = categories[0] if categories else None
    assert seen == {name: expected[3] for name, expected in EXPECTED.items()}


def test_the_single_file_report_holds_no_password_and_history_grows(fixture_run: Run) -> None:
    index = _allure(fixture_run, "single", single_file=True)
    assert [p.name for p in index.parent.iterdir() if p.suffix in (".js", ".css")] == []
    html = index.read_text()
    assert "googletagmanager" not in html, "the mailed report must not call out when opened"
    assert not re.search(r'<script[^>]+src="(?!data:)', html), "every script is inlined"
    leaks, _ = scan([index.parent], fixture_run.secret)
    assert not leaks, [leak.line() for leak in leaks]
    history = (fixture_run.root / "history" / "history.jsonl").read_text().splitlines()
    assert len(history) == 1, "the same run is added to the trend once, however often rendered"
