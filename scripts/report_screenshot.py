"""Render the generated report in headless Chromium and save a screenshot for docs/.

Opens the single-file report, expands a phase → feature → gate in the tree, selects a
scenario and opens one of its steps' attachments, so the picture shows both the phases and
what a scenario carries. Needs Debian's chromium and Playwright for Python (no browser
download); `make report-screenshot` installs both.

    .venv/bin/python scripts/report_screenshot.py [--report reports/allure-report/index.html]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Bounded waits for the report's client-side rendering (Playwright polls for each locator).
RENDER_TIMEOUT_MS = 15_000


def open_scenario(
    page: Page, tree_path: list[str], scenario: str, step: str, attachment: str
) -> None:
    for title in tree_path:
        page.get_by_test_id("tree-section-title").filter(has_text=title).last.click()
    page.get_by_text(scenario).first.click()
    step_header = page.get_by_test_id("test-result-step-header").filter(has_text=step).first
    step_header.get_by_test_id("test-result-step-arrow-button").click()
    page.get_by_test_id("test-result-attachment-header").filter(has_text=attachment).first.click()
    page.get_by_test_id("test-result-attachment").filter(has_text=attachment).first.wait_for()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=Path("reports/allure-report/index.html"))
    parser.add_argument("--out", type=Path, default=Path("docs/report-screenshot.png"))
    parser.add_argument(
        "--tree",
        nargs="+",
        default=["Phase 2", "Deployment validation", "The PostgreSQL schema is created"],
        help="tree sections to open, outermost first (phase, feature, gate)",
    )
    parser.add_argument("--scenario", default="Both Temporal databases exist")
    parser.add_argument("--step", default="each Temporal database is at the schema version")
    parser.add_argument("--attachment", default="schema versions")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"error: no report at {args.report} — run `make report` first", file=sys.stderr)
        return 2
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(RENDER_TIMEOUT_MS)
            page.goto(args.report.absolute().as_uri())
            open_scenario(page, args.tree, args.scenario, args.step, args.attachment)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
