"""`temporal-acceptance run --stacks N`: one run of the gates over N native stacks at once.

The run's own stack (TACC_*, as `up` left it) keeps every scenario that is not disruptive, in
file order; the disruptive ones are spread over it and N-1 throw-away stacks (own ports and
state folders, the cached binaries; purged when the run ends), longest first, so the stacks
finish together (core/shares.py). Scenarios that measure the deployment (@load) run alone
afterwards, on the run's own stack. Each share is one behave process given its scenarios as
`file:line` locations; each writes to reports/stacks/<share>/, and the run's verdict,
timings, JUnit files, Allure results and resource samples are merged into the usual places
(reporting/merge.py). A scenario is reported once, by the process that ran it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from behave.configuration import Configuration
from behave.runner_util import collect_feature_locations, parse_features

from temporal_acceptance.cli.mutation import environment, slot_settings, tear_down
from temporal_acceptance.core import tiers
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.shares import Planned, Share, planned, share_out, timing_history
from temporal_acceptance.core.topology import SINGLE
from temporal_acceptance.fixtures.run import HARNESS_KEYS
from temporal_acceptance.reporting import timings
from temporal_acceptance.reporting.formatter import empty_results_dir
from temporal_acceptance.reporting.merge import (
    PART_JUNIT,
    PART_RESULTS,
    Part,
    merge_allure,
    merge_junit,
    merge_resources,
    merged_timings,
    merged_verdict,
)
from temporal_acceptance.reporting.verdict import (
    GateResult,
    environment_facts,
    exit_status,
    gate_result,
    write_verdict,
)

MAX_STACKS = 4
# The extra stacks' ports (slot N adds N steps to each; below Linux's ephemeral range).
STACK_PORTS = (22233, 15700, 18700)
REPORTS = Path("reports")
PARTS = REPORTS / "stacks"
PART_TIMEOUT = 30 * 60.0
STOP_TIMEOUT = 15.0
# A share's console lines the run's console shows as they come, besides its progress: a
# leaked secret (the run's secrets gate; `make check` greps for it), a setting or a stack
# that stopped the share, the one verdict of a deployment that stopped answering.
LEAK = "  LEAK "
FORWARDED = (LEAK, "error: ", "DEPLOYMENT DOWN")


def behave_config(behave_args: Sequence[str]) -> Any:
    return Configuration(command_args=list(behave_args))


def plan(config: Any, history: dict[str, float]) -> tuple[list[Planned], list[GateResult]]:
    """The scenarios the run's arguments select, in file order, and those they do not."""
    selection = tiers.narrowed(config.tags, config.tag_expression)
    chosen: list[Planned] = []
    unselected: list[GateResult] = []
    features = parse_features(collect_feature_locations(config.paths), language=config.lang)
    for feature in features:
        for scenario in feature.walk_scenarios():
            tags = [str(tag) for tag in scenario.effective_tags]
            if (
                not scenario.should_skip
                and selection.check(tags)
                and scenario.should_run_with_name_select(config)
            ):
                location = str(scenario.location)
                chosen.append(planned(location, str(scenario.name), tags, history))
            elif not scenario.should_skip:
                unselected.append(gate_result(scenario, False))
    return chosen, unselected


def without_paths(behave_args: Sequence[str], paths: Sequence[str]) -> list[str]:
    """The run's arguments less the feature paths it named (each share gets locations)."""
    named = set(paths)
    return [arg for arg in behave_args if arg not in named]


class ShareRun:
    """One share's behave process: its console to a file, its progress lines to ours."""

    def __init__(self, share: Share, settings: Settings, extra: Sequence[str], out: TextIO):
        self.share, self.settings, self.out = share, settings, out
        self._retired = threading.Lock()
        self.retired = False
        self.folder = PARTS / share.label.replace(" ", "-")
        self.argv = [
            sys.executable, "-m", "behave", *extra,
            "-D", f"verdict_file={self.folder / 'verdict.json'}",
            "-D", f"allure_results={self.folder / PART_RESULTS}",
            "-D", f"progress_label={share.label}",
            # the report shows the first stack's chart: the others' would not be read
            "-D", f"resource_chart={'on' if share.stack == 0 else 'off'}",
            "--junit-directory", str(self.folder / PART_JUNIT),
            *share.locations(),
        ]  # fmt: skip
        self.status: int | None = None
        self.seconds = 0.0
        self.timeout = PART_TIMEOUT
        self.leaks = 0  # lines of its secrets gate naming a leaked password
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> threading.Thread:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        # the run's own stack is the environment's; an extra one gets its own TACC_* settings
        env = dict(os.environ) if self.share.stack == 0 else environment(self.settings)
        thread = threading.Thread(target=self._run, args=(env,), daemon=True)
        thread.start()
        return thread

    def _run(self, env: dict[str, str]) -> None:
        started = time.monotonic()
        # line-buffered: the console can be followed while the share runs (tail -f)
        with (self.folder / "console.log").open("w", encoding="utf-8", buffering=1) as log:
            process = subprocess.Popen(
                self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                text=True, errors="replace",
            )  # fmt: skip
            # A share that never ends is stopped, saying so (its console stays open to the end).
            self.process = process
            overrun = threading.Timer(self.timeout, self._stop, args=(process,))
            overrun.start()
            try:
                for line in process.stdout or ():
                    log.write(line)
                    self._show(line.rstrip("\n"))
                self.status = process.wait()
            finally:
                overrun.cancel()
        self.seconds = time.monotonic() - started
        # A throw-away stack goes as soon as its share ends, while the others still run
        # (one after another at the end added 3 s to every run).
        self.retire()

    def retire(self) -> None:
        """Purge a throw-away stack once (its logs kept first when its share did not pass);
        the run's own stack stays."""
        if self.share.stack == 0:
            return
        with self._retired:
            if self.retired:
                return
            self.retired = True
            self.keep_logs_of_a_failure()
            tear_down(self.settings, lambda line: print(line, file=self.out, flush=True))

    def _show(self, line: str) -> None:
        if (row := timings.shown(line)) is not None:
            print(row, file=self.out, flush=True)
        elif line.startswith(FORWARDED):
            self.leaks += line.startswith(LEAK)
            print(f"{line}  ({self.share.label})", file=self.out, flush=True)

    def _stop(self, process: subprocess.Popen[str]) -> None:
        print(
            f"{self.share.label}: no end after {self.timeout / 60:.0f} min — stopped",
            file=self.out,
            flush=True,
        )
        process.kill()

    def stop(self) -> None:
        """End its behave process if the run stopped before it ended (it gets SIGTERM, and
        its own cleanup a few seconds)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def keep_logs_of_a_failure(self) -> None:
        """A throw-away stack's service logs, kept in the share's folder when its run did
        not pass (the stack and its state are purged next)."""
        logs = self.settings.state_dir / "logs"
        if self.status != 0 and logs.is_dir():
            shutil.copytree(logs, self.folder / "logs", dirs_exist_ok=True)

    def part(self) -> Part:
        return Part(
            self.share.label,
            self.folder,
            frozenset(self.share.locations()),
            frozenset(self.share.names()),
            self.status,
        )


def stack_count(requested: int, settings: Settings) -> tuple[int, str]:
    """How many stacks the run can use on this deployment, and why fewer when so."""
    if not 1 <= requested <= MAX_STACKS:
        raise UserError(
            f"--stacks {requested} is not between 1 and {MAX_STACKS}",
            f"use --stacks 1..{MAX_STACKS} (1: every scenario on the run's own stack)",
        )
    if requested > 1 and settings.target != "native":
        return 1, f"the {settings.target} target is one deployment"
    if requested > 1 and settings.topology != SINGLE:
        return 1, f"the {settings.topology} topology runs on its own stack only"
    return requested, ""


def run_on_stacks(
    behave_args: Sequence[str],
    requested: int,
    verdict_path: Path,
    policy: str,
    say: Callable[[str], None] = print,
) -> int | None:
    """The run spread over the stacks; None when it should run as one behave process."""
    config = behave_config(behave_args)
    userdata = {k: v for k, v in config.userdata.items() if k not in HARNESS_KEYS}
    base = Settings.load(userdata)
    stacks, why = stack_count(requested, base)
    if stacks == 1:
        if why:
            say(f"(one stack: {why})")
        return None
    started = time.monotonic()
    chosen, unselected = plan(config, timing_history(verdict_path.with_name("timings.json")))
    shares = share_out(chosen, stacks)
    extra = without_paths(behave_args, config.paths)
    root = Path(f"{base.state_dir}-stacks").absolute()
    runs = [ShareRun(share, _settings_of(share, base, root), extra, sys.stdout) for share in shares]
    parallel = [run for run in runs if not run.share.alone]
    each = "; ".join(
        f"{r.share.label} {len(r.share.scenarios)} (~{r.share.seconds:.0f} s)" for r in runs
    )
    later = " (the @load ones alone afterwards)" if len(parallel) < len(runs) else ""
    say(f"{len(chosen)} scenarios on {len(parallel)} stacks at once{later}: {each}; "
        f"consoles in {PARTS}/")  # fmt: skip
    # A stopped run (Ctrl-C, or SIGTERM from a CI limit) still stops its shares and purges
    # the throw-away stacks: SIGTERM becomes an exit, so the cleanup below runs.
    previous = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        for thread in [run.start() for run in parallel]:
            thread.join()
    finally:
        signal.signal(signal.SIGTERM, previous)
        for run in parallel:
            run.stop()
            run.retire()  # done already unless the run was stopped
        with contextlib.suppress(OSError):
            root.rmdir()  # the folder the extra stacks' state went in, once empty
    for run in runs:
        if run.share.alone:
            run.start().join()
    took = time.monotonic() - started
    return _finish(base.target, runs, unselected, took, verdict_path, policy, say)


def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _settings_of(share: Share, base: Settings, root: Path) -> Settings:
    if share.stack == 0:
        return base
    return slot_settings(base, root, STACK_PORTS, share.stack, f"stack-{share.stack + 1}")


def _finish(
    target: str,
    runs: Sequence[ShareRun],
    unselected: Sequence[GateResult],
    took: float,
    verdict_path: Path,
    policy: str,
    say: Callable[[str], None],
) -> int:
    parts = [run.part() for run in runs]
    verdict = merged_verdict(target, parts, unselected, took)
    write_verdict(verdict, verdict_path)
    rows = merged_timings(parts)
    timings.save(rows, verdict_path.with_name("timings.json"))
    merge_junit(parts, REPORTS / "junit")
    merge_resources(parts, verdict_path.with_name("resources.json"))
    chart = parts[0].folder / "resources.png"
    if chart.is_file():
        shutil.copy2(chart, verdict_path.with_name("resources.png"))
    results = REPORTS / "allure-results"
    empty_results_dir(results)
    facts = {**environment_facts(verdict), **timings.overview_fact(rows)}
    merge_allure(parts, results, {**facts, "Stacks": _stacks_fact(runs)})
    say("\n" + timings.table(rows, timings.CONSOLE_ROWS))
    say(f"(every scenario's time: {verdict_path.with_name('timings.txt')})")
    for run in runs:
        say(f"{run.share.label}: {len(run.share.scenarios)} scenarios in {run.seconds:.1f} s, "
            f"behave exit status {run.status} (console: {run.folder / 'console.log'})")  # fmt: skip
    say(f"\ngates took {int(took // 60)}m{took % 60:04.1f}s (wall time, {len(runs)} processes)")
    say("\n".join(verdict.summary_lines(policy)) + f"\n(verdict: {verdict_path})")
    leaks = sum(run.leaks for run in runs)
    if leaks:
        # behave writes the verdict before its secrets gate runs (environment.py): a leak
        # fails the run here, as it fails a single behave run
        say(f"FAILED: the secrets gate found {leaks} leaked password(s) (LEAK lines above)")
        return 1
    return exit_status(verdict, policy)


def _stacks_fact(runs: Sequence[ShareRun]) -> str:
    return "; ".join(
        f"{run.share.label}: {len(run.share.scenarios)} scenarios, {run.seconds:.0f} s"
        for run in runs
    )
