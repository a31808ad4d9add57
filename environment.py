"""behave hooks: the run's lifecycle, in labelled sections (run, scenario).

Every resource is a fixture of temporal_acceptance.fixtures (`use_fixture`): the deployed
stack, the test worker, the browser and the persistence gates' state are set up here and
cleaned up by behave when the run ends, in reverse order, even after a failure.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from behave import use_fixture

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.fixtures.browser import browser_fixture
from temporal_acceptance.fixtures.persistence import persistence_fixture
from temporal_acceptance.fixtures.recovery import skip_reason
from temporal_acceptance.fixtures.run import run_fixture
from temporal_acceptance.fixtures.scenario import ScenarioWindow, report_scenario_end
from temporal_acceptance.fixtures.upgrade import upgrade_fixture
from temporal_acceptance.fixtures.worker import worker_fixture
from temporal_acceptance.reporting.metadata import record_environment
from temporal_acceptance.stack.deploy import compatibility_facts

# behave captures sys.stdout/sys.stderr while hooks run; what the run says at its end goes
# to the real console.
CONSOLE = sys.__stderr__ or sys.stderr

# ---------------------------------------------------------------- run


def before_all(context: Any) -> None:
    context.run_started = time.monotonic()
    try:
        context.run = use_fixture(run_fixture, context)
        context.worker = use_fixture(worker_fixture, context)  # started when first needed
        context.browser = use_fixture(browser_fixture, context)  # launched when first needed
        context.persistence = use_fixture(persistence_fixture, context)
        context.upgrade = use_fixture(upgrade_fixture, context)  # stacks only when asked for
    except UserError as exc:
        # One line and the error's exit status (2). behave turns any exception here, even
        # SystemExit, into "HOOK-ERROR", a run summary and exit status 1. Nothing the run
        # owns is running yet (the worker and browser start later; a stack stays up by
        # design), so leave at once.
        print(f"error: {exc.line()}", file=CONSOLE, flush=True)
        sys.stdout.flush()
        os._exit(exc.exit_code)
    if context.run.deployed:
        # ---- reporting: versions the live servers report, the compatibility decision
        record_environment(context.run.facts())
        record_environment(compatibility_facts(context.run.settings.state_dir))


def after_all(context: Any) -> None:
    # behave 1.3.3's closing "Took ..." adds up only scenarios outside a Rule (0 s here)
    took = time.monotonic() - context.run_started
    print(f"\ngates took {int(took // 60)}m{took % 60:04.1f}s (wall time)", file=CONSOLE)


# ---------------------------------------------------------------- scenario


def before_scenario(context: Any, scenario: Any) -> None:
    # The scenario's one clock: the window whose logs its gates scan and its report shows.
    context.scenario_window = ScenarioWindow()
    # -- persistence: disruptive scenarios skip (with the reason) where the target cannot be
    # disrupted, and always leave a healthy stack behind (a cleanup runs even on failure)
    if "disruptive" in scenario.effective_tags:
        if reason := skip_reason(context.run.stack):
            scenario.skip(reason)
            return
        context.add_cleanup(context.persistence.cleanup, context.run, context.worker, scenario)


def after_scenario(context: Any, scenario: Any) -> None:
    failed = bool(scenario.status.has_failed())
    # -- ui: the browser's page loads; on failure the page it ended on (before it closes)
    context.run.run(context.browser.scenario_end(failed))
    # ---- reporting: timings always; on failure the effective configuration and the logs
    # of every service (and the worker) for this scenario's window
    report_scenario_end(context.run, scenario, context.scenario_window)
