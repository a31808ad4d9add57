"""behave hooks: the run's lifecycle. Resources are created here once and cleaned up here.

Sections: run (before_all/after_all), feature, scenario, step. The hooks only call the
package; what they do is in temporal_acceptance.harness.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from temporal_acceptance.compat.deploy import compatibility_facts
from temporal_acceptance.compat.matrix_run import default_stack_wanted
from temporal_acceptance.errors import UserError
from temporal_acceptance.harness import Run
from temporal_acceptance.persistence.fixture import PersistenceFixture
from temporal_acceptance.persistence.recovery import skip_reason
from temporal_acceptance.reporting.evidence import ScenarioWindow, report_scenario_end
from temporal_acceptance.reporting.facts import deployment_facts
from temporal_acceptance.reporting.metadata import record_environment
from temporal_acceptance.ui.fixture import UiGates
from temporal_acceptance.workload.fixture import TestWorkerFixture

# behave captures sys.stdout/sys.stderr while hooks run; what the run says at its end goes
# to the real console.
CONSOLE = sys.__stderr__ or sys.stderr

# ---------------------------------------------------------------- run


def before_all(context: Any) -> None:
    context.run_started = time.monotonic()
    try:
        context.run = Run.from_userdata(context.config.userdata)
        # Compatibility matrix: `-D default_stack=off` (make matrix) runs without it.
        if default_stack_wanted(context.config.userdata):
            context.run.ensure_up()
        # -- workload: the test worker, started by the first scenario that needs it
        context.test_worker = TestWorkerFixture(context.config.userdata)
        context.run.extra_log_sources.append(context.test_worker.log_source(context.run))
        # -- persistence: the witness workflow, restart timings, the mutant (-D mutant=...)
        context.persistence = PersistenceFixture()
        # -- ui: one browser per run, launched by the first scenario that needs it
        context.ui = UiGates.from_settings(context.run.settings)
    except UserError as exc:
        # One line and the error's exit status (2). behave turns any exception here, even
        # SystemExit, into "HOOK-ERROR", a run summary and exit status 1. Nothing the run
        # owns is running yet (the worker and browser start later; a stack stays up by
        # design), so leave at once.
        print(f"error: {exc.line()}", file=CONSOLE, flush=True)
        sys.stdout.flush()
        os._exit(exc.exit_code)
    if context.run.deployed:
        # ---- reporting: versions the live servers report, for environment.properties
        record_environment(deployment_facts(context.run))
        # ---- compatibility: the deploy decision (a forced or untested pair's warning)
        record_environment(compatibility_facts(context.run.settings.state_dir))


def after_all(context: Any) -> None:
    # behave 1.3.3's closing "Took ..." adds up only scenarios outside a Rule (0 s here)
    took = time.monotonic() - context.run_started
    print(f"\ngates took {int(took // 60)}m{took % 60:04.1f}s (wall time)", file=CONSOLE)
    # -- workload: never leave the test worker running
    test_worker = getattr(context, "test_worker", None)
    if test_worker is not None:
        test_worker.close()
    run = getattr(context, "run", None)
    # -- ui: close the browser (and Playwright's driver), whether or not a stack was deployed
    ui = getattr(context, "ui", None)
    if run is not None and ui is not None:
        run.run(ui.close())
    if run is None or not run.deployed:
        return
    # -- persistence: print the restart timings; a mutant is switched off (real data back)
    persistence = getattr(context, "persistence", None)
    if persistence is not None:
        persistence.close(run)
    endpoints = run.endpoints
    print(
        f"\nstack left running for inspection: UI {endpoints.ui_url}, "
        f"frontend {endpoints.temporal_address}; stop it with `temporal-acceptance down`",
        file=CONSOLE,
    )


# ---------------------------------------------------------------- scenario


def before_scenario(context: Any, scenario: Any) -> None:
    context.query_log = None
    # ---- reporting: the time window whose logs a failure attaches
    context.scenario_window = ScenarioWindow()
    # -- persistence: disruptive scenarios skip (with the reason) where the target cannot be
    # disrupted, and always leave a healthy stack behind (a cleanup runs even on failure)
    if "disruptive" in scenario.effective_tags:
        if reason := skip_reason(context.run.stack):
            scenario.skip(reason)
            return
        context.add_cleanup(context.persistence.cleanup, context.run, context.test_worker, scenario)


def after_scenario(context: Any, scenario: Any) -> None:
    # -- ui: the browser's page loads; on failure the page it ended on (before it closes)
    context.run.run(context.ui.scenario_end(scenario))
    # ---- reporting: timings always; on failure the effective configuration and the logs
    # of every service (and registered extra source, e.g. the worker) for this scenario
    report_scenario_end(context.run, scenario, context.scenario_window)
