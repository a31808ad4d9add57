"""`temporal-acceptance report`: the sprint-review report from a run's Allure results —
a single-file HTML (Allure 3 from npm, no Java) with trend history, and ISSUES.md beside it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.reporting.issues import write_issues
from temporal_acceptance.reporting.metadata import write_metadata
from temporal_acceptance.reporting.results import ScenarioResult, load_results, read_properties

RESULTS_DIR = Path("reports/allure-results")
REPORT_DIR = Path("reports/allure-report")
HISTORY_FILE = Path("reports/history/history.jsonl")
ALLURE_CONFIG = Path("allurerc.mjs")
ALLURE_BIN = Path("node_modules/.bin/allure")
# A report of a few hundred scenarios takes seconds; a hung node process must not hang CI.
GENERATE_TIMEOUT = 300.0


# Allure 3's Awesome plugin always embeds a Google Analytics tag (no option turns it off in
# 3.18). A report that is mailed around must not call out when opened: the tag is removed.
_ANALYTICS = re.compile(
    r"<script async src=\"https://www\.googletagmanager\.com/[^\"]*\"></script>\s*"
    r"<script>\s*window\.dataLayer[\s\S]*?</script>\s*"
)


def strip_analytics(index: Path) -> int:
    """Remove the analytics tag from a generated report; return how many were removed."""
    html = index.read_text(encoding="utf-8")
    cleaned, count = _ANALYTICS.subn("", html)
    if count:
        index.write_text(cleaned, encoding="utf-8")
    return count


@dataclass(frozen=True)
class ReportPaths:
    results: Path = RESULTS_DIR
    output: Path = REPORT_DIR
    history: Path = HISTORY_FILE
    config: Path = ALLURE_CONFIG
    allure: Path = ALLURE_BIN


@dataclass(frozen=True)
class Report:
    results: list[ScenarioResult]
    issues: Path
    html: Path | None
    seconds: float

    def lines(self) -> list[str]:
        failing = sum(1 for r in self.results if r.failing)
        lines = [f"issues: {self.issues} — {len(self.results)} scenarios, {failing} failed/broken"]
        if self.html is not None:
            size = self.html.stat().st_size / 1_000_000
            lines.insert(0, f"report: {self.html} ({size:.1f} MB, one file)")
        lines.append(f"generated in {self.seconds:.1f} s")
        return lines


def results_fingerprint(results_dir: Path) -> str:
    """Identifies one run's results (Allure names each result file with a fresh uuid)."""
    names = sorted(path.name for path in results_dir.glob("*-result.json"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def run_allure(paths: ReportPaths, single_file: bool = True) -> Path:
    """Generate the HTML with Allure 3; return the index.html."""
    if not paths.allure.exists():
        raise UserError(
            f"the Allure 3 CLI is not installed ({paths.allure} is missing)",
            "run `npm ci` in the repository (make report does it)",
        )
    if not paths.config.is_file():
        raise UserError(f"no Allure configuration at {paths.config}", "run from the repository")
    # Regenerating the report of the same run must not add it to the trend a second time.
    marker = paths.history.with_name(paths.history.name + ".last-run")
    fingerprint = results_fingerprint(paths.results)
    seen = marker.is_file() and marker.read_text().strip() == fingerprint
    env = {
        **os.environ,
        "TACC_ALLURE_APPEND_HISTORY": "false" if seen else "true",
        "TACC_ALLURE_RESULTS": str(paths.results),
        "TACC_ALLURE_REPORT": str(paths.output),
        "TACC_ALLURE_HISTORY": str(paths.history),
        "TACC_ALLURE_SINGLE_FILE": "true" if single_file else "false",
    }
    paths.history.parent.mkdir(parents=True, exist_ok=True)
    command = [str(paths.allure), "generate", str(paths.results)]
    command += ["--config", str(paths.config), "--output", str(paths.output)]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=GENERATE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise UserError(
            f"allure generate did not finish in {GENERATE_TIMEOUT:g}s",
            "check the results folder for unusually large attachments",
        ) from None
    index = paths.output / "index.html"
    if done.returncode != 0 or not index.is_file():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
        raise UserError(
            f"allure generate failed (exit {done.returncode}): {tail}",
            "see the message above; `npm ci` reinstalls the pinned Allure",
        )
    strip_analytics(index)
    marker.write_text(fingerprint + "\n")
    return index


def generate(paths: ReportPaths, html: bool = True, single_file: bool = True) -> Report:
    started = time.monotonic()
    results = load_results(paths.results)
    if not (paths.results / "categories.json").is_file():
        write_metadata(paths.results)  # a run cut short never reached the formatter's close
    index = run_allure(paths, single_file) if html else None
    environment = read_properties(paths.results / "environment.properties")
    issues = write_issues(results, environment, paths.output / "ISSUES.md")
    return Report(results, issues, index, time.monotonic() - started)
