"""The UI gates' fixture: the run's browser, each scenario's browser session (closed when
the scenario ends, with a screenshot when it failed) and the completed test workflow the
gates look at — run once per behave run on the test worker, like the worker itself.

environment.py creates it in before_all (nothing starts until a scenario needs it) and
closes it in after_all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client

from temporal_acceptance.checks.execution import not_completed
from temporal_acceptance.harness import Run
from temporal_acceptance.reporting.attach import attach_text
from temporal_acceptance.settings import Settings
from temporal_acceptance.ui.browser import BrowserFixture, UiSession, first_line
from temporal_acceptance.ui.states import (
    WorkflowInState,
    make_workflow_in_state,
    terminate_if_running,
)
from temporal_acceptance.ui.urls import UiUrls
from temporal_acceptance.workload.execute import (
    ExecutionOptions,
    ExecutionRecord,
    run_test_workflow,
)

# The UI shows the same history whatever the timer's length; 1 s is the shortest timer this
# server fires on time (docs/TEST_WORKFLOW.md, Timings).
TIMER_SECONDS = 1.0

Cleanup = Callable[..., Any]


@dataclass
class UiGates:
    browser: BrowserFixture = field(default_factory=BrowserFixture)
    session: UiSession | None = None
    completed: ExecutionRecord | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> UiGates:
        return cls(BrowserFixture(settings.chromium))

    async def open_session(self, run: Run, add_cleanup: Callable[[Cleanup], None]) -> UiSession:
        """The scenario's browser session, opened on first use; `add_cleanup` (behave's
        context.add_cleanup) closes it when the scenario ends."""
        if self.session is None:
            urls = UiUrls(run.endpoints.ui_url, run.endpoints.namespace)
            self.session = await self.browser.open_session(urls)
            add_cleanup(lambda: run.run(self.close_session()))
        return self.session

    async def close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await session.close()

    async def scenario_end(self, scenario: Any) -> list[str]:
        """Attach the scenario's page loads and, when it failed, a screenshot of the page it
        ended on; returns what was attached. Never raises: evidence that cannot be taken
        says so instead of hiding the failure."""
        session = self.session
        if session is None:
            return []
        attach_text("UI page loads", "\n".join(session.loads) or "no page was loaded")
        if not scenario.status.has_failed():
            return ["UI page loads"]
        name = "UI at failure: " + session.page.url
        try:
            await session.screenshot(name)
        except Exception as exc:
            name = "UI at failure: no screenshot"
            attach_text(name, f"could not take it: {type(exc).__name__}: {first_line(str(exc))}")
        return ["UI page loads", name]

    async def completed_workflow(self, client: Client, task_queue: str) -> WorkflowInState:
        """A completed run of the test workflow, made once per run (on this worker's
        queue) and shown to every UI gate that needs one."""
        current = self.completed
        if current is None or current.options.task_queue != task_queue:
            options = ExecutionOptions(
                f"temporal-ui-{uuid.uuid4().hex[:12]}", task_queue, timer_seconds=TIMER_SECONDS
            )
            current = await run_test_workflow(client, options)
            problems = not_completed(current)
            assert not problems, problems[0]
            self.completed = current
        return WorkflowInState(current.workflow_id, current.run_id, "Completed", "")

    async def workflow_in_state(
        self, run: Run, task_queue: str, state: str, add_cleanup: Callable[[Cleanup], None]
    ) -> WorkflowInState:
        """A test workflow in `state`, made through the API; one still running when the
        scenario ends is terminated then."""
        client = await run.client()
        made = await make_workflow_in_state(client, task_queue, state)
        add_cleanup(lambda: run.run(terminate_if_running(client, made.workflow_id, made.run_id)))
        return made

    async def close(self) -> None:
        try:
            await self.close_session()
        finally:
            await self.browser.close()
