"""Render the generated report in headless Chromium and save a screenshot for docs/.

Opens the single-file report, expands a phase → feature → gate in the tree, selects a
scenario and opens one of its steps' attachments, so the picture shows both the phases and
what a scenario carries. The browser is the UI gates' own launcher (Debian's chromium, or
TACC_CHROMIUM; never a download); `make report-screenshot` installs it when missing.

    python -m temporal_acceptance.reporting.screenshot [--report reports/allure-report/index.html]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, async_playwright

from temporal_acceptance.clients.browser import (
    LaunchOptions,
    find_chromium,
    first_line,
    launch_chromium,
)
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings

# Bounded waits for the report's client-side rendering (Playwright polls for each locator).
RENDER_TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1600, "height": 1000}


async def open_scenario(
    page: Page, tree_path: Sequence[str], scenario: str, step: str, attachment: str
) -> None:
    for title in tree_path:
        await page.get_by_test_id("tree-section-title").filter(has_text=title).last.click()
    await page.get_by_text(scenario).first.click()
    step_header = page.get_by_test_id("test-result-step-header").filter(has_text=step).first
    await step_header.get_by_test_id("test-result-step-arrow-button").click()
    header = page.get_by_test_id("test-result-attachment-header").filter(has_text=attachment)
    await header.first.click()
    await page.get_by_test_id("test-result-attachment").filter(has_text=attachment).first.wait_for()


async def take(args: argparse.Namespace, chromium_setting: str) -> None:
    options = LaunchOptions(find_chromium(chromium_setting))
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, options)
        try:
            context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            context.set_default_timeout(RENDER_TIMEOUT_MS)
            page = await context.new_page()
            await page.goto(args.report.absolute().as_uri())
            await open_scenario(page, args.tree, args.scenario, args.step, args.attachment)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(args.out))
        except PlaywrightError as exc:
            raise UserError(
                f"the report did not show what the screenshot needs: {first_line(str(exc))}",
                "check --tree/--scenario/--step/--attachment against the report",
            ) from None
        finally:
            await browser.close()


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m temporal_acceptance.reporting.screenshot",
        description=(__doc__ or "").splitlines()[0],
    )
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if not args.report.is_file():
            raise UserError(f"no report at {args.report}", "run `make report` first")
        asyncio.run(take(args, Settings.load().chromium))
    except UserError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return exc.exit_code
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
