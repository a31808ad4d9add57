"""The browser fixture: a session kept while scenarios pass and closed after a failure,
what a scenario's end attaches; the worker fixture's completed run, made once per run for
the UI gates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import LoopRunner

from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures import browser as ui_fixture
from temporal_acceptance.fixtures import worker as worker_fixture
from temporal_acceptance.fixtures.browser import BrowserFixture
from temporal_acceptance.fixtures.worker import TestWorker
from temporal_acceptance.workload.execute import ExecutionOptions, ExecutionRecord


@dataclass
class FakeEndpoints:
    ui_url: str = "http://127.0.0.1:8080"
    namespace: str = "default"


@dataclass
class FakeRun:
    loop: asyncio.AbstractEventLoop
    endpoints: FakeEndpoints = field(default_factory=FakeEndpoints)
    the_client: object = field(default_factory=object)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    async def client(self) -> object:
        return self.the_client


class FakeSession:
    def __init__(self, urls: Any, fail_screenshot: bool = False) -> None:
        self.urls = urls
        self.closed = False
        self.loads = ["  0.000 s  load http://127.0.0.1:8080/ (open)"]
        self.shots: list[str] = []
        self.fail_screenshot = fail_screenshot
        self.page = type("Page", (), {"url": "http://127.0.0.1:8080/x"})()

    def next_scenario(self) -> None:
        self.kept = getattr(self, "kept", 0) + 1

    async def screenshot(self, name: str) -> None:
        if self.fail_screenshot:
            raise RuntimeError("Target page, context or browser has been closed\nmore")
        self.shots.append(name)

    async def close(self) -> None:
        self.closed = True


class FakeChromium:
    def __init__(self, fail_screenshot: bool = False) -> None:
        self.opened: list[FakeSession] = []
        self.closed = False
        self.fail_screenshot = fail_screenshot

    async def open_session(self, urls: Any) -> FakeSession:
        self.opened.append(FakeSession(urls, self.fail_screenshot))
        return self.opened[-1]

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def attached(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    monkeypatch.setattr(ui_fixture, "attach_text", lambda name, body: texts.append((name, body)))
    return texts


def gates(browser: FakeChromium) -> BrowserFixture:
    return BrowserFixture(browser)  # type: ignore[arg-type]


def test_the_chromium_setting_reaches_the_browser(run: LoopRunner) -> None:
    settings = Settings.load({"chromium": "/opt/chromium"}, env={})
    context: Any = type("Context", (), {"run": FakeRun(run.loop)})()
    context.run.settings = settings
    fixture = ui_fixture.browser_fixture(context)
    assert next(fixture).chromium.chromium_setting == "/opt/chromium"
    with pytest.raises(StopIteration):
        next(fixture)  # the cleanup closes the browser (never launched: nothing to close)


def test_a_session_is_kept_while_scenarios_pass_and_closed_after_a_failure(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    browser = FakeChromium()
    ui, fake_run = gates(browser), FakeRun(run.loop)
    cleanups: list[Callable[[], Any]] = []
    first = run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    again = run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    assert first is again
    assert len(cleanups) == 1  # one per scenario
    assert first.urls.home() == "http://127.0.0.1:8080/"
    run(ui.scenario_end(False))  # passed: kept for the next scenario
    cleanups[0]()  # behave runs it after the hook: nothing left to do
    assert not first.closed  # type: ignore[attr-defined]
    assert first.kept == 1  # type: ignore[attr-defined]
    assert run(ui.open_session(fake_run, cleanups.append)) is first  # type: ignore[arg-type]
    assert len(cleanups) == 2
    run(ui.scenario_end(True))  # failed: closed, so nothing it left carries over
    assert first.closed  # type: ignore[attr-defined]
    assert ui.session is None
    run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    assert len(browser.opened) == 2  # the next scenario gets a fresh one
    run(ui.close())
    assert browser.closed
    assert browser.opened[1].closed


def test_a_scenario_that_never_reached_its_end_hook_closes_its_session(run: LoopRunner) -> None:
    ui, fake_run = gates(FakeChromium()), FakeRun(run.loop)
    cleanups: list[Callable[[], Any]] = []
    session = run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    cleanups[0]()
    assert session.closed  # type: ignore[attr-defined]
    assert ui.session is None


def test_another_ui_address_gets_a_new_session(run: LoopRunner) -> None:
    browser = FakeChromium()
    ui, fake_run = gates(browser), FakeRun(run.loop)
    first = run(ui.open_session(fake_run, lambda cleanup: None))  # type: ignore[arg-type]
    fake_run.endpoints = FakeEndpoints(ui_url="http://127.0.0.1:9090")
    second = run(ui.open_session(fake_run, lambda cleanup: None))  # type: ignore[arg-type]
    assert first.closed  # type: ignore[attr-defined]
    assert second is not first
    assert second.urls.home() == "http://127.0.0.1:9090/"


def test_a_passed_scenario_gets_its_page_loads(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    ui = gates(FakeChromium())
    assert run(ui.scenario_end(False)) == []  # no browser used
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    assert run(ui.scenario_end(False)) == ["UI page loads"]
    assert attached == [("UI page loads", "  0.000 s  load http://127.0.0.1:8080/ (open)")]


def test_a_failed_scenario_gets_a_screenshot_of_its_page(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    browser = FakeChromium()
    ui = gates(browser)
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    names = run(ui.scenario_end(True))
    assert names == ["UI page loads", "UI at failure: http://127.0.0.1:8080/x"]
    assert browser.opened[0].shots == ["UI at failure: http://127.0.0.1:8080/x"]


def test_a_screenshot_that_cannot_be_taken_is_reported_not_raised(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    ui = gates(FakeChromium(fail_screenshot=True))
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    names = run(ui.scenario_end(True))
    assert names == ["UI page loads", "UI at failure: no screenshot"]
    assert attached[-1] == (
        "UI at failure: no screenshot",
        "could not take it: RuntimeError: Target page, context or browser has been closed",
    )


def record(options: ExecutionOptions, outcome: str = "WorkflowExecutionCompleted") -> Any:
    made = ExecutionRecord(options.workflow_id, f"run-{options.workflow_id}", options, outcome)
    made.result = object()  # type: ignore[assignment]
    return made


class FakeDriver:
    def __init__(self, queue: str) -> None:
        self.spec = type("Spec", (), {"task_queue": queue})()


def test_the_completed_run_is_made_once_per_worker_queue(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[ExecutionOptions] = []

    async def fake_run_test_workflow(client: object, options: ExecutionOptions) -> Any:
        made.append(options)
        return record(options)

    monkeypatch.setattr(worker_fixture, "run_test_workflow", fake_run_test_workflow)
    worker = TestWorker({})
    queues = ["queue-a", "queue-a", "queue-b"]

    async def ensure(_run: object) -> FakeDriver:
        return FakeDriver(queues[0])

    worker.ensure = ensure  # type: ignore[method-assign]
    fake_run = FakeRun(run.loop)
    first = run(worker.completed_run(fake_run))  # type: ignore[arg-type]
    queues.pop(0)
    again = run(worker.completed_run(fake_run))  # type: ignore[arg-type]
    queues.pop(0)
    other = run(worker.completed_run(fake_run))  # type: ignore[arg-type]
    assert first is again
    assert first.workflow_id.startswith("temporal-ui-")
    assert other.workflow_id != first.workflow_id
    assert [o.task_queue for o in made] == ["queue-a", "queue-b"]
    assert made[0].timer_seconds == 1.0
