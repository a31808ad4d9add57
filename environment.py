"""behave hooks: the run's lifecycle, in labelled sections (run, scenario).

Every resource is a fixture of temporal_acceptance.fixtures (`use_fixture`): the deployed
stack, the test worker, the browser and the persistence gates' state are set up here and
cleaned up by behave when the run ends, in reverse order, even after a failure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from behave import use_fixture
from behave.model_core import Status

from temporal_acceptance.core import tiers
from temporal_acceptance.core.errors import UserError, WaitTimeout, as_user_error
from temporal_acceptance.core.evidence import attach_text
from temporal_acceptance.fixtures.browser import browser_fixture
from temporal_acceptance.fixtures.persistence import persistence_fixture
from temporal_acceptance.fixtures.resources import resources_fixture
from temporal_acceptance.fixtures.run import run_fixture
from temporal_acceptance.fixtures.scenario import ScenarioWindow, report_scenario_end
from temporal_acceptance.fixtures.secrets import report_cleanup_error, secrets_gate_fixture
from temporal_acceptance.fixtures.target import plan_for, skip_reason_of
from temporal_acceptance.fixtures.topology import skip_reason as topology_skip_reason
from temporal_acceptance.fixtures.topology import topology_fixture
from temporal_acceptance.fixtures.upgrade import upgrade_fixture
from temporal_acceptance.fixtures.watchdog import watchdog_for
from temporal_acceptance.fixtures.worker import worker_fixture
from temporal_acceptance.probes.resources import usage_line
from temporal_acceptance.reporting import timings
from temporal_acceptance.reporting.charts import resource_chart
from temporal_acceptance.reporting.formatter import skip_message
from temporal_acceptance.reporting.metadata import record_environment
from temporal_acceptance.reporting.verdict import (
    VERDICT_FILE,
    environment_facts,
    verdict_from,
    write_verdict,
)
from temporal_acceptance.stack.deploy import compatibility_facts

# behave captures sys.stdout/sys.stderr while hooks run; what the run says at its end goes
# to the real console.
CONSOLE = sys.__stderr__ or sys.stderr

# ---------------------------------------------------------------- run


def before_all(context: Any) -> None:
    context.run_started = time.monotonic()
    # ---- selection: the slow tiers run only when the tags name them (core/tiers.py)
    config = context.config
    config.tag_expression = tiers.narrowed(config.tags, config.tag_expression)
    if isinstance(config.tag_expression, tiers.WithoutTiers):
        note = config.tag_expression.note()
        print(f"(slow tiers the tags do not name are left out: {note})", file=CONSOLE)
    try:
        # ---- security: set up first so it is cleaned up last, when everything the run
        # wrote is written: a secret in any of it fails the run (fixtures/secrets.py)
        context.secrets_gate = use_fixture(secrets_gate_fixture, context)
        context.on_cleanup_error = report_cleanup_error
        context.run = use_fixture(run_fixture, context)
        context.worker = use_fixture(worker_fixture, context)  # started when first needed
        context.browser = use_fixture(browser_fixture, context)  # launched when first needed
        context.persistence = use_fixture(persistence_fixture, context)
        context.topology = use_fixture(topology_fixture, context)  # multirole figures
        context.upgrade = use_fixture(upgrade_fixture, context)  # stacks only when asked for
        # ---- reporting: CPU and memory of every service and the worker, the whole run
        context.resources = use_fixture(resources_fixture, context)
        # ---- fail fast: a frontend that stops answering between scenarios ends the run's
        # hope once, with one verdict, instead of every scenario timing out in turn
        context.watchdog = watchdog_for(context.run, context.config.userdata)
    except (UserError, WaitTimeout, OSError) as exc:
        # One line and exit status 2, for a wait that ran out or an OS error too. behave
        # turns any exception here, even SystemExit, into "HOOK-ERROR", a run summary and
        # exit status 1. Nothing the run owns is running yet (the worker and browser start
        # later; a stack stays up by design), so leave at once.
        error = as_user_error(exc) or UserError(str(exc))
        print(f"error: {error.line()}", file=CONSOLE, flush=True)
        sys.stdout.flush()
        os._exit(error.exit_code)
    if context.run.deployed:
        # ---- reporting: versions the live servers report, the compatibility decision
        record_environment(context.run.facts())
        record_environment(compatibility_facts(context.run.settings.state_dir))


def after_all(context: Any) -> None:
    # behave 1.3.3's closing "Took ..." adds up only scenarios outside a Rule (0 s here)
    took = time.monotonic() - context.run_started
    print(f"\ngates took {int(took // 60)}m{took % 60:04.1f}s (wall time)", file=CONSOLE)
    # ---- reporting: every gate's status and reason for a pipeline (reports/verdict.json),
    # the skipped ones listed, and the verdict on the report's overview
    scenarios = _scenarios(context)
    verdict = verdict_from(context.run.stack.target, scenarios, took)
    path = write_verdict(verdict, Path(context.config.userdata.get("verdict_file", VERDICT_FILE)))
    # ---- reporting: each scenario's time, slowest first (console, files, overview)
    ran = timings.timings(scenario for scenario, selected, _ in scenarios if selected)
    timings.save(ran, path.with_name("timings.json"))
    print("\n" + timings.table(ran, timings.CONSOLE_ROWS), file=CONSOLE)
    print(f"(every scenario's time: {path.with_name('timings.txt')})", file=CONSOLE)
    print("\n".join(verdict.summary_lines()) + f"\n(verdict: {path})", file=CONSOLE)
    record_environment(
        {**environment_facts(verdict), **timings.overview_fact(ran), **_resources(context, path)}
    )


def _resources(context: Any, verdict_path: Path) -> dict[str, str]:
    """The run's CPU and memory per process: reports/resources.json and .png, and the
    overview's figures."""
    usage = context.resources.finish(verdict_path.with_name("resources.json"))
    charted = context.config.userdata.get("resource_chart", "on") != "off"
    if charted and context.resources.sampler is not None and context.resources.sampler.series:
        chart = resource_chart(context.resources.sampler.series, "the whole run")
        verdict_path.with_name("resources.png").write_bytes(chart)
    return {f"CPU and memory: {name}": usage_line(u) for name, u in sorted(usage.items())}


def _scenarios(context: Any) -> list[tuple[Any, bool, str]]:
    """Each scenario of the run, whether the run's tags selected it, and its plan's note."""
    tags = context.config.tag_expression
    return [
        (scenario, scenario.should_run_with_tags(tags), getattr(scenario, "tacc_note", ""))
        for feature in context._runner.features
        for scenario in feature.walk_scenarios()
    ]


# ---------------------------------------------------------------- feature


def after_feature(context: Any, feature: Any) -> None:
    # -- ui: the browser session is kept from one passing scenario to the next, but not past
    # its feature: an open page of the UI keeps polling and drawing (about a third of a core
    # here) while the rest of the run works
    context.run.run(context.browser.close_session())


# ---------------------------------------------------------------- scenario


def before_scenario(context: Any, scenario: Any) -> None:
    # The scenario's one clock: the window whose logs its gates scan and its report shows.
    context.scenario_window = ScenarioWindow()
    # -- topology: @multirole scenarios need one process per role (skip, saying why)
    if reason := topology_skip_reason(context.run.stack, scenario.effective_tags):
        scenario.skip(reason)
        return
    # What the gate does on this target, or why it cannot run there (the external target
    # skips what would change the deployment and what it was given no input for).
    plan = plan_for(
        context.run.stack, scenario.effective_tags, [s.name for s in scenario.all_steps]
    )
    if plan.skip:
        scenario.skip(plan.skip)
        return
    if plan.note:
        scenario.tacc_note = plan.note
        attach_text(f"on the {context.run.stack.target} target", plan.note)
    # -- fail fast: the frontend answers, or this scenario fails with the run's one verdict
    context.run.run(context.watchdog.before_scenario())
    # -- persistence: disruptive scenarios always leave a healthy stack behind (a cleanup
    # runs even on failure)
    if "disruptive" in scenario.effective_tags:
        context.add_cleanup(context.persistence.cleanup, context.run, context.worker, scenario)


def after_step(context: Any, step: Any) -> None:
    # An operation this target cannot perform is a skip with its reason, not a failure.
    if reason := skip_reason_of(getattr(step, "exception", None)):
        step.status, step.exception, step.error_message = Status.skipped, None, None
        context.scenario.skip(reason)


def after_scenario(context: Any, scenario: Any) -> None:
    # A scenario skipped while the run ran says why, on the console (the report too:
    # reporting/formatter.py); behave's pretty output shows only that it was skipped.
    if scenario.status.name == "skipped":
        print(f"    {skip_message(scenario)}", file=CONSOLE, flush=True)
    failed = bool(scenario.status.has_failed())
    # -- ui: the browser's page loads; on failure the page it ended on (before it closes)
    context.run.run(context.browser.scenario_end(failed))
    # ---- reporting: timings always; on failure the effective configuration and the logs
    # of every service (and the worker) for this scenario's window
    report_scenario_end(context.run, scenario, context.scenario_window)
    # ---- reporting: one line per scenario for a run over several stacks (cli/stacks.py)
    if label := context.config.userdata.get("progress_label"):
        print(timings.progress_line(label, scenario), file=CONSOLE, flush=True)
    # ---- reporting: a disruption may have restarted a service: sample its new pid
    if "disruptive" in scenario.effective_tags or "multirole" in scenario.effective_tags:
        context.resources.refresh()
