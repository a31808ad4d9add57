"""The UI gates' fixture: a session per scenario closed by its cleanup, what a scenario's
end attaches, the completed workflow made once per run, cleanups for running workflows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import LoopRunner

from temporal_acceptance.settings import Settings
from temporal_acceptance.ui import fixture as ui_fixture
from temporal_acceptance.ui.fixture import UiGates
from temporal_acceptance.ui.states import WorkflowInState
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

    async def screenshot(self, name: str) -> None:
        if self.fail_screenshot:
            raise RuntimeError("Target page, context or browser has been closed\nmore")
        self.shots.append(name)

    async def close(self) -> None:
        self.closed = True


class FakeBrowserFixture:
    def __init__(self, fail_screenshot: bool = False) -> None:
        self.opened: list[FakeSession] = []
        self.closed = False
        self.fail_screenshot = fail_screenshot

    async def open_session(self, urls: Any) -> FakeSession:
        self.opened.append(FakeSession(urls, self.fail_screenshot))
        return self.opened[-1]

    async def close(self) -> None:
        self.closed = True


class Scenario:
    def __init__(self, failed: bool) -> None:
        self.status = type("Status", (), {"has_failed": lambda _self: failed})()


@pytest.fixture
def attached(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    monkeypatch.setattr(ui_fixture, "attach_text", lambda name, body: texts.append((name, body)))
    return texts


def gates(browser: FakeBrowserFixture) -> UiGates:
    return UiGates(browser)  # type: ignore[arg-type]


def test_the_chromium_setting_reaches_the_browser() -> None:
    settings = Settings.load({"chromium": "/opt/chromium"}, env={})
    assert UiGates.from_settings(settings).browser.chromium_setting == "/opt/chromium"


def test_one_session_per_scenario_closed_by_its_cleanup(run: LoopRunner) -> None:
    browser = FakeBrowserFixture()
    ui, fake_run = gates(browser), FakeRun(run.loop)
    cleanups: list[Callable[[], Any]] = []
    first = run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    again = run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    assert first is again
    assert len(cleanups) == 1
    assert first.urls.home() == "http://127.0.0.1:8080/"
    cleanups[0]()  # behave runs it when the scenario ends (the loop is idle then)
    assert first.closed  # type: ignore[attr-defined]
    assert ui.session is None
    run(ui.open_session(fake_run, cleanups.append))  # type: ignore[arg-type]
    assert len(browser.opened) == 2  # the next scenario gets a fresh one
    run(ui.close())
    assert browser.closed
    assert browser.opened[1].closed


def test_a_passed_scenario_gets_its_page_loads(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    ui = gates(FakeBrowserFixture())
    assert run(ui.scenario_end(Scenario(failed=False))) == []  # no browser used
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    assert run(ui.scenario_end(Scenario(failed=False))) == ["UI page loads"]
    assert attached == [("UI page loads", "  0.000 s  load http://127.0.0.1:8080/ (open)")]


def test_a_failed_scenario_gets_a_screenshot_of_its_page(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    browser = FakeBrowserFixture()
    ui = gates(browser)
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    names = run(ui.scenario_end(Scenario(failed=True)))
    assert names == ["UI page loads", "UI at failure: http://127.0.0.1:8080/x"]
    assert browser.opened[0].shots == ["UI at failure: http://127.0.0.1:8080/x"]


def test_a_screenshot_that_cannot_be_taken_is_reported_not_raised(
    run: LoopRunner, attached: list[tuple[str, str]]
) -> None:
    ui = gates(FakeBrowserFixture(fail_screenshot=True))
    run(ui.open_session(FakeRun(run.loop), lambda cleanup: None))  # type: ignore[arg-type]
    names = run(ui.scenario_end(Scenario(failed=True)))
    assert names == ["UI page loads", "UI at failure: no screenshot"]
    assert attached[-1] == (
        "UI at failure: no screenshot",
        "could not take it: RuntimeError: Target page, context or browser has been closed",
    )


def record(options: ExecutionOptions, outcome: str = "WorkflowExecutionCompleted") -> Any:
    made = ExecutionRecord(options.workflow_id, f"run-{options.workflow_id}", options, outcome)
    made.result = object()  # type: ignore[assignment]
    return made


def test_the_completed_workflow_is_made_once_per_worker_queue(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[ExecutionOptions] = []

    async def fake_run_test_workflow(client: object, options: ExecutionOptions) -> Any:
        made.append(options)
        return record(options)

    monkeypatch.setattr(ui_fixture, "run_test_workflow", fake_run_test_workflow)
    ui = gates(FakeBrowserFixture())
    first = run(ui.completed_workflow(object(), "queue-a"))  # type: ignore[arg-type]
    again = run(ui.completed_workflow(object(), "queue-a"))  # type: ignore[arg-type]
    other = run(ui.completed_workflow(object(), "queue-b"))  # type: ignore[arg-type]
    assert first == again
    assert first.status == "Completed"
    assert first.workflow_id.startswith("temporal-ui-")
    assert other.workflow_id != first.workflow_id
    assert [o.task_queue for o in made] == ["queue-a", "queue-b"]
    assert made[0].timer_seconds == ui_fixture.TIMER_SECONDS


def test_a_reference_workflow_that_did_not_complete_fails_the_step(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(client: object, options: ExecutionOptions) -> Any:
        failed = record(options, "WorkflowExecutionFailed")
        failed.result = None
        failed.failure = "boom"
        return failed

    monkeypatch.setattr(ui_fixture, "run_test_workflow", failing)
    ui = gates(FakeBrowserFixture())
    with pytest.raises(AssertionError, match="did not complete: WorkflowExecutionFailed — boom"):
        run(ui.completed_workflow(object(), "queue-a"))  # type: ignore[arg-type]
    assert ui.completed is None


def test_a_workflow_in_a_state_is_terminated_by_the_scenarios_cleanup(
    run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminated: list[tuple[object, str, str]] = []
    made = WorkflowInState("wf", "run-1", "Running", "")

    async def make(client: object, queue: str, state: str) -> WorkflowInState:
        assert (queue, state) == ("queue-a", "running")
        return made

    async def terminate(client: object, workflow_id: str, run_id: str) -> None:
        terminated.append((client, workflow_id, run_id))

    monkeypatch.setattr(ui_fixture, "make_workflow_in_state", make)
    monkeypatch.setattr(ui_fixture, "terminate_if_running", terminate)
    fake_run = FakeRun(run.loop)
    cleanups: list[Callable[[], Any]] = []
    ui = gates(FakeBrowserFixture())
    got = run(ui.workflow_in_state(fake_run, "queue-a", "running", cleanups.append))  # type: ignore[arg-type]
    assert got == made
    assert terminated == []
    cleanups[0]()
    assert terminated == [(fake_run.the_client, "wf", "run-1")]
