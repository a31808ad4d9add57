"""Finding and launching Chromium, one browser per run, a fresh context per scenario: the
browser fixture with Playwright faked at its boundary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import LoopRunner, write_script
from playwright.async_api import Error as PlaywrightError

from temporal_acceptance.clients import browser
from temporal_acceptance.clients.browser import (
    BrowserMissing,
    LaunchOptions,
    UiSession,
    find_chromium,
    first_line,
    same_app,
    same_page,
)
from temporal_acceptance.clients.ui_urls import UiUrls
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.fixtures.browser import Chromium

URLS = UiUrls("http://127.0.0.1:8080", "default")


@pytest.fixture
def no_debian_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", tmp_path / "absent" / "chromium")


def test_the_setting_wins_when_it_names_an_executable(tmp_path: Path) -> None:
    binary = write_script(tmp_path / "my-chromium", "exit 0")
    assert find_chromium(str(binary)) == binary


def test_a_setting_that_is_not_an_executable_says_so_in_one_line(tmp_path: Path) -> None:
    not_executable = tmp_path / "chromium.txt"
    not_executable.write_text("")
    for setting in (str(tmp_path / "missing"), str(not_executable)):
        with pytest.raises(BrowserMissing) as caught:
            find_chromium(setting)
        line = caught.value.line()
        assert "\n" not in line
        assert f"TACC_CHROMIUM is {setting!r}, which is not an executable file" in line


def test_debian_chromium_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    debian = write_script(tmp_path / "usr-bin-chromium", "exit 0")
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", debian)
    assert find_chromium("", which=lambda name: "/elsewhere/chromium") == debian


@pytest.mark.usefixtures("no_debian_chromium")
def test_chromium_on_path_is_used_when_debian_has_none() -> None:
    assert find_chromium("", which=lambda name: f"/opt/bin/{name}") == Path("/opt/bin/chromium")


@pytest.mark.usefixtures("no_debian_chromium")
def test_a_missing_browser_is_one_line_saying_how_to_install_it() -> None:
    with pytest.raises(BrowserMissing) as caught:
        find_chromium("", which=lambda name: None)
    assert isinstance(caught.value, UserError)
    line = caught.value.line()
    assert "\n" not in line
    assert line.startswith("Chromium is not installed (no ")
    assert "apt-get install chromium" in line
    assert "TACC_CHROMIUM" in line


def test_launch_options_are_headless_debian_chromium_with_quiet_flags() -> None:
    kwargs = LaunchOptions(Path("/usr/bin/chromium")).as_kwargs()
    assert kwargs["executable_path"] == "/usr/bin/chromium"
    assert kwargs["headless"] is True
    # What this machine needs: no sandbox as root, and no traffic of Chromium's own (the
    # network reaches only package registries; its background requests would be refused).
    for needed in ("--no-sandbox", "--disable-background-networking", "--disable-sync"):
        assert needed in kwargs["args"]
    assert len(set(kwargs["args"])) == len(kwargs["args"])
    # Playwright gives each launch a fresh profile; a user-data-dir argument would share one.
    assert not any(arg.startswith("--user-data-dir") for arg in kwargs["args"])
    assert "channel" not in kwargs  # a channel would make Playwright look for its own build


def test_a_failed_load_reads_in_words_before_chromiums_code() -> None:
    message = "Page.goto: net::ERR_CONNECTION_REFUSED at http://x/\nCall log:"
    assert browser.load_failure(message) == (
        "connection refused (net::ERR_CONNECTION_REFUSED at http://x/)"
    )
    assert browser.load_failure("Page.goto: Timeout 1ms exceeded.") == "Timeout 1ms exceeded."


def test_first_line_drops_the_call_and_the_call_log() -> None:
    message = "Page.goto: net::ERR_CONNECTION_REFUSED at http://x/\nCall log:\n  - navigating"
    assert first_line(message) == "net::ERR_CONNECTION_REFUSED at http://x/"
    assert first_line("  ") == "(no message)"


# -- the fixture, with Playwright faked ----------------------------------------------------


class FakePage:
    def __init__(self) -> None:
        self.url = "about:blank"
        self.gotos: list[str] = []
        self.refuse = False

    async def goto(self, url: str, wait_until: str = "") -> None:
        self.gotos.append(url)
        if self.refuse:
            raise PlaywrightError(f"Page.goto: net::ERR_CONNECTION_REFUSED at {url}\nCall log:")
        self.url = url

    async def screenshot(self, **kwargs: Any) -> bytes:
        return b"\x89PNG fake"


class FakeContext:
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.closed = False
        self.timeout = 0.0

    def set_default_timeout(self, timeout: float) -> None:
        self.timeout = timeout

    async def new_page(self) -> FakePage:
        return FakePage()

    async def close(self) -> None:
        self.closed = True


class FakeBrowser:
    def __init__(self) -> None:
        self.contexts: list[FakeContext] = []
        self.closed = False

    async def new_context(self, **options: Any) -> FakeContext:
        self.contexts.append(FakeContext(options))
        return self.contexts[-1]

    async def close(self) -> None:
        self.closed = True


class FakeChromium:
    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.launches: list[dict[str, Any]] = []
        self.browser = FakeBrowser()

    async def launch(self, **kwargs: Any) -> FakeBrowser:
        self.launches.append(kwargs)
        if self.fail:
            raise PlaywrightError(self.fail)
        return self.browser


class FakePlaywright:
    def __init__(self, chromium: FakeChromium) -> None:
        self.chromium = chromium
        self.stopped = False

    async def stop(self) -> None:
        self.stopped = True


def fixture_with(tmp_path: Path, chromium: FakeChromium) -> tuple[Chromium, FakePlaywright]:
    binary = write_script(tmp_path / "chromium", "exit 0")
    fake = FakePlaywright(chromium)

    async def start() -> Any:
        return fake

    return Chromium(str(binary), start_playwright=start), fake


def test_one_browser_serves_every_scenario_each_in_a_fresh_context(
    tmp_path: Path, run: LoopRunner
) -> None:
    chromium = FakeChromium()
    fixture, playwright = fixture_with(tmp_path, chromium)
    first = run(fixture.open_session(URLS))
    second = run(fixture.open_session(URLS))
    assert len(chromium.launches) == 1
    assert fixture.launches == 1
    assert chromium.launches[0]["executable_path"] == str(tmp_path / "chromium")
    assert first.context is not second.context
    assert "fresh browser context; Chromium launched 1× this run" in second.loads[0]
    assert len(chromium.browser.contexts) == 2
    options = chromium.browser.contexts[0].options
    assert options["timezone_id"] == "UTC"
    assert options["service_workers"] == "block"
    assert chromium.browser.contexts[0].timeout == browser.ACTION_TIMEOUT_MS
    run(first.close())
    assert chromium.browser.contexts[0].closed
    run(fixture.close())
    run(fixture.close())  # a second close is harmless
    assert chromium.browser.closed
    assert playwright.stopped


def test_a_missing_browser_fails_every_scenario_with_the_same_line(
    tmp_path: Path, run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", tmp_path / "absent")
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    started: list[bool] = []

    async def start() -> Any:
        started.append(True)
        return FakePlaywright(FakeChromium())

    fixture = Chromium("", start_playwright=start)
    messages = []
    for _ in range(2):
        with pytest.raises(AssertionError) as caught:
            run(fixture.open_session(URLS))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("the browser: cannot run the UI gates: Chromium is not installed")
    assert "apt-get install chromium" in messages[0]
    assert "\n" not in messages[0]
    assert started == []  # Playwright's driver never started


def test_a_browser_that_will_not_start_fails_with_its_first_line(
    tmp_path: Path, run: LoopRunner
) -> None:
    chromium = FakeChromium(fail="BrowserType.launch: Failed to launch\n<launch log>\nmore")
    fixture, _ = fixture_with(tmp_path, chromium)
    with pytest.raises(AssertionError, match=r"did not start: Failed to launch — install"):
        run(fixture.open_session(URLS))
    with pytest.raises(AssertionError):
        run(fixture.open_session(URLS))
    assert len(chromium.launches) == 1  # the failure is remembered, not retried


def session_with(page: FakePage, shots: list[tuple[str, bytes]]) -> UiSession:
    return UiSession(
        FakeContext({}),  # type: ignore[arg-type]
        page,  # type: ignore[arg-type]
        URLS,
        attach=lambda name, data: shots.append((name, data)),
    )


def test_the_session_logs_each_load_and_counts_repeated_failures(run: LoopRunner) -> None:
    page, shots = FakePage(), []
    session = session_with(page, shots)
    run(session.navigate("http://ui/a"))
    assert session.loaded_url == "http://ui/a"
    assert session.loaded_at is not None
    page.refuse = True
    for _ in range(3):
        with pytest.raises(PlaywrightError):
            run(session.navigate("http://ui/b", "retry"))
    assert session.loaded_at is None
    session.navigated("http://ui/c")
    entries = [line.split(" s  ", 1)[1] for line in session.loads]
    assert entries == [
        "load http://ui/a (open)",
        "load http://ui/b (retry) failed: net::ERR_CONNECTION_REFUSED at http://ui/b (×3, this "
        "the last)",
        "followed a link to http://ui/c",
    ]
    run(session.screenshot("UI: page"))
    assert shots == [("UI: page", b"\x89PNG fake")]
    assert session.screenshots == ["UI: page"]


def test_a_link_is_followed_in_the_app_only_from_a_page_of_that_ui() -> None:
    base = "http://127.0.0.1:8080"
    assert same_app(base + "/namespaces/default/workflows", base)
    assert same_app(base, base)
    assert not same_app("http://127.0.0.1:80800/", base)  # another port, not a sub-path
    assert not same_app("about:blank", base)


def test_an_address_is_the_same_page_however_the_app_encoded_its_query() -> None:
    encoded = "http://ui/namespaces/default/workflows?query=WorkflowId%3D%22wf%22"
    assert same_page(encoded, 'http://ui/namespaces/default/workflows?query=WorkflowId="wf"')
    assert same_page("http://ui/", "http://ui")
    assert not same_page(encoded, encoded.replace("wf", "wf-child"))
