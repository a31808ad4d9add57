"""Debian's Chromium driven by Playwright for Python: found, launched once per run, one
fresh browser context and page per scenario.

Playwright never downloads a browser here: CI machines reach only package registries, so
the browser is Debian's `chromium` package, launched by its path. `launch()` gives every
browser a fresh temporary profile (user-data dir) and removes it on close.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any
from urllib.parse import unquote

from playwright.async_api import Browser, BrowserContext, Page, Playwright
from playwright.async_api import Error as PlaywrightError

from temporal_acceptance.clients.ui_urls import UiUrls
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.evidence import attach_png

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "install Debian's chromium (apt-get install chromium, or `make setup`) "
    "or set TACC_CHROMIUM to the path of a Chromium binary"
)
# Headless, and quiet: no update checks, sync, first-run UI or other traffic of its own
# (the machines reach only package registries, and stray requests would slow every page).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Chromium starts in about half a second here; a loaded CI machine gets plenty more.
LAUNCH_TIMEOUT_MS = 30_000
# Each Playwright action (a click, a screenshot) may take this long before it fails.
ACTION_TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1440, "height": 900}


class BrowserMissing(UserError):
    """No Chromium to drive: one line naming where we looked and how to install it."""


def find_chromium(setting: str = "", which: Callable[[str], str | None] | None = None) -> Path:
    """The Chromium binary: the TACC_CHROMIUM setting if given, else Debian's."""
    if setting:
        path = Path(setting).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserMissing(
            f"TACC_CHROMIUM is {setting!r}, which is not an executable file",
            "point it at a Chromium binary, or unset it to use Debian's chromium "
            "(apt-get install chromium)",
        )
    if DEBIAN_CHROMIUM.is_file() and os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    on_path = (which or shutil.which)("chromium")
    if on_path:
        return Path(on_path)
    raise BrowserMissing(
        f"Chromium is not installed (no {DEBIAN_CHROMIUM}, no chromium on PATH)", INSTALL_HINT
    )


@dataclass(frozen=True)
class LaunchOptions:
    executable: Path

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Playwright's `chromium.launch`."""
        return {
            "executable_path": str(self.executable),
            "headless": True,
            "args": list(CHROMIUM_ARGS),
            "timeout": LAUNCH_TIMEOUT_MS,
        }


async def launch_chromium(playwright: Playwright, options: LaunchOptions) -> Browser:
    """Launch the browser; a binary that will not start fails with one line."""
    try:
        return await playwright.chromium.launch(**options.as_kwargs())
    except PlaywrightError as exc:
        raise BrowserMissing(
            f"Chromium at {options.executable} did not start: {first_line(str(exc))}",
            INSTALL_HINT,
        ) from None


def first_line(text: str) -> str:
    """Playwright's messages carry a call log after the first line and start with the call
    ('Page.goto: '); people need the rest of the first line."""
    lines = text.strip().splitlines()
    return re.sub(r"^[A-Za-z]+\.[A-Za-z]+: ", "", lines[0]) if lines else "(no message)"


def load_failure(text: str) -> str:
    """A failed page load in words first, Chromium's code after: 'connection refused
    (net::ERR_CONNECTION_REFUSED at http://...)' — what a person (and the report's
    categories) read."""
    line = first_line(text)
    code = re.search(r"net::ERR_([A-Z_]+)", line)
    return f"{code.group(1).replace('_', ' ').lower()} ({line})" if code else line


# A link the UI's router follows: an anchor in its document, clicked (then removed).
FOLLOW_LINK_JS = """(url) => {
  window.__taccFollowed = true;
  const link = document.createElement('a');
  link.href = url;
  document.body.appendChild(link);
  link.click();
  link.remove();
}"""
ROUTED_JS = "() => window.__taccFollowed === true"
# The app routes a followed link at once; one it did not route is loaded in full instead.
IN_APP_TIMEOUT_MS = 5_000


def same_app(url: str, base_url: str) -> bool:
    """Whether `url` is a page of the UI at `base_url`."""
    return url == base_url or url.startswith(base_url.rstrip("/") + "/")


def same_page(a: str, b: str) -> bool:
    """The same address, however the app re-encoded its query ("%22" or '"')."""
    return unquote(a).rstrip("/") == unquote(b).rstrip("/")


@dataclass
class UiSession:
    """One scenario's browser context and page, and what it visited."""

    context: BrowserContext
    page: Page
    urls: UiUrls
    attach: Callable[[str, bytes], None] = attach_png
    screenshots: list[str] = field(default_factory=list)
    # The URL the page was last navigated to and when (monotonic), None before/after a
    # failed navigation: watches reuse a fresh load instead of loading the page again.
    loaded_url: str | None = None
    loaded_at: float | None = None
    # Every page load and followed link, with why: the report shows whether any was wasted.
    loads: list[str] = field(default_factory=list)
    opened_at: float = field(default_factory=monotonic)

    _last_entry: str = ""
    _repeats: int = 0

    def note(self, what: str) -> None:
        """One line per event; a repeat of the line before is counted, not listed again."""
        stamp = f"{monotonic() - self.opened_at:7.3f} s  "
        if what == self._last_entry and self.loads:
            self._repeats += 1
            self.loads[-1] = f"{stamp}{what} (×{self._repeats + 1}, this the last)"
            return
        self._last_entry, self._repeats = what, 0
        self.loads.append(stamp + what)

    async def navigate(self, url: str, why: str = "open", in_app: bool = False) -> None:
        """Show `url` in the page. With `in_app`, when the page already shows the UI, a link
        to it is followed inside the app (the UI routes it: no new document, as when a
        person clicks a link in the UI); otherwise, or when the app does not route it, a
        full load (the UI fetches its ~240 scripts and settings again: 2–3 s here)."""
        if in_app and (routed := await self._follow_in_app(url)) is not None:
            how = "no page load" if routed else "the app did not route it: a full load"
            self.note(f"followed a link to {url} in the app ({why}; {how})")
            self.loaded_url, self.loaded_at = url, monotonic()
            return
        self.loaded_url, self.loaded_at = url, None
        try:
            await self.page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            self.note(f"load {url} ({why}) failed: {first_line(str(exc))}")
            raise
        self.note(f"load {url} ({why})")
        self.loaded_at = monotonic()

    async def _follow_in_app(self, url: str) -> bool | None:
        """Click a link to `url` placed in the UI's page, from a page of the UI that loaded
        (its router listens for clicks on links): True when the app routed it in the page,
        False when the browser loaded it in full instead, None when the browser did not
        get there (then the caller loads it)."""
        here = self.page.url
        if self.loaded_at is None or not same_app(here, self.urls.base_url):
            return None
        if same_page(here, url):
            return None  # already there: a person would reload, so the page is loaded anew
        try:
            await self.page.evaluate(FOLLOW_LINK_JS, url)
            await self.page.wait_for_url(lambda now: same_page(now, url), timeout=IN_APP_TIMEOUT_MS)
            # A full load starts a new document: the marker the click left is gone.
            return bool(await self.page.evaluate(ROUTED_JS))
        except PlaywrightError:
            return None

    def navigated(self, url: str) -> None:
        """Record a navigation the page made itself (a followed link, routed in the page)."""
        self.loaded_url, self.loaded_at = url, monotonic()
        self.note(f"followed a link to {url}")

    def next_scenario(self) -> None:
        """Keep the browser context and page for the next scenario (as a person keeps the UI
        open): its loads are listed afresh, and its first page is opened, not read as
        left (a link followed in the app, or a full load of the same address)."""
        here = self.page.url
        self.loads, self.screenshots = [], []
        self._last_entry, self._repeats = "", 0
        self.loaded_url = None
        self.opened_at = monotonic()
        self.note(f"browser context kept from the previous scenario, which ended on {here}")

    async def screenshot(self, name: str) -> None:
        """Attach a screenshot of the whole page to the report."""
        data = await self.page.screenshot(full_page=True, animations="disabled")
        self.attach(name, data)
        self.screenshots.append(name)

    async def close(self) -> None:
        await self.context.close()
