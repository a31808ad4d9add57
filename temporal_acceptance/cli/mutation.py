"""`temporal-acceptance mutation` (`make mutation`): prove the gates catch what they claim.

For each mutant of the catalogue (stack/mutants.py) on the target, one behave run of its
tags with `-D mutant=NAME` on a stack of its own — a new state directory and ports of a
slot, or a network namespace of its own for a mutant that listens beyond loopback — and one
run of the clean stack per distinct tag set. Every stack is taken down and its state purged
afterwards. The catch table goes to docs/MUTANTS.md (a full run) or reports/mutation/
(a subset); the exit status is 1 if any mutant is not caught by its gate with its message,
or the clean stack fails.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import MAX_TEMPORAL_PORT, Settings
from temporal_acceptance.reporting.mutation import (
    RunResult,
    Verdict,
    catch_table,
    clean_problems,
    judge,
    read_junit,
    write_table,
)
from temporal_acceptance.stack.factory import make_stack
from temporal_acceptance.stack.mutants import CATALOGUE, Mutant
from temporal_acceptance.stack.netns import namespace_name, network_namespace

REPORTS = Path("reports/mutation")
DOC = Path("docs/MUTANTS.md")
# Slot N's ports: each base moved by N steps (Temporal's roles span frontend-300..+10).
TEMPORAL_PORT_STEP = 400
DEFAULT_PORTS = (21033, 55800, 38800)  # frontend, PostgreSQL, UI of slot 0
# A run that takes longer has hung: the longest (the persistence gates) take ~4 min.
RUN_TIMEOUT = 30 * 60.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "mutation", help="run every mutant against its gates, and the clean stack (make mutation)"
    )
    parser.add_argument("--target", default="native", help="the target whose mutants run")
    parser.add_argument(
        "--check-only", action="store_true", help="only the mutants whose gates run in make check"
    )
    parser.add_argument("--mutants", default="", help="comma-separated names (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, each on its own slot")
    parser.add_argument(
        "--ports",
        default=",".join(map(str, DEFAULT_PORTS)),
        help="frontend,postgres,ui ports of slot 0 (slot N: frontend +400·N, others +N)",
    )
    parser.add_argument(
        "--state-root",
        default="",
        help="where the runs' state directories go (default: <state_dir>-mutation)",
    )


@dataclass(frozen=True)
class Planned:
    label: str  # the mutant's name, or "clean" ("clean-isolated" in a network namespace)
    tags: str
    mutant: Mutant | None
    isolated: bool  # its behave run and its stack go in a network namespace of their own


def select(target: str, check_only: bool, names: str) -> list[Mutant]:
    chosen = [m for m in CATALOGUE if target in m.targets and (m.in_check or not check_only)]
    if names.strip():
        wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
        known = {m.name for m in chosen}
        if unknown := [n for n in wanted if n not in known]:
            raise UserError(
                f"no mutant {', '.join(unknown)} for the {target} target"
                + (" among those in make check" if check_only else ""),
                f"use one of: {', '.join(sorted(known))}",
            )
        chosen = [m for m in chosen if m.name in wanted]
    if not chosen:
        raise UserError(f"the {target} target has no mutant to run", "see docs/MUTANTS.md")
    return chosen


def plan(mutants: Sequence[Mutant]) -> list[Planned]:
    """Each mutant, then the clean stack once per distinct (tags, isolated)."""
    runs = [Planned(m.name, m.tags, m, m.isolated) for m in mutants]
    for tags, isolated in dict.fromkeys((m.tags, m.isolated) for m in mutants):
        runs.append(Planned("clean-isolated" if isolated else "clean", tags, None, isolated))
    return runs


def parse_ports(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise UserError(
            f"--ports {text!r} is not three port numbers", "e.g. --ports 21033,55800,38800"
        )
    temporal, postgres, ui = (int(p) for p in parts)
    return temporal, postgres, ui


def slot_settings(
    base: Settings, root: Path, ports: tuple[int, int, int], slot: int, label: str
) -> Settings:
    temporal, postgres, ui = ports
    frontend = temporal + TEMPORAL_PORT_STEP * slot
    if not 301 <= frontend <= MAX_TEMPORAL_PORT:
        raise UserError(
            f"slot {slot}'s frontend port {frontend} is out of range (301–{MAX_TEMPORAL_PORT})",
            "lower --ports or --jobs",
        )
    return replace(
        base,
        temporal_port=frontend,
        postgres_port=postgres + slot,
        ui_port=ui + slot,
        state_dir=root / f"{label}-{secrets.token_hex(3)}",
    )


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACC_")}
    keep = (
        "TACC_CACHE_DIR",
        "TACC_CHROMIUM",
        "TACC_TEMPORAL_SERVER_BIN",
        "TACC_TEMPORAL_SQL_TOOL_BIN",
        "TACC_UI_SERVER_BIN",
        "TACC_POSTGRES_BIN_DIR",
    )
    env.update({k: os.environ[k] for k in keep if k in os.environ})
    env.update(
        TACC_TARGET=settings.target,
        TACC_STATE_DIR=str(settings.state_dir),
        TACC_POSTGRES_PORT=str(settings.postgres_port),
        TACC_TEMPORAL_PORT=str(settings.temporal_port),
        TACC_UI_PORT=str(settings.ui_port),
        TACC_POSTGRES_VERSION=str(settings.postgres_major),
        TACC_TEMPORAL_VERSION=settings.temporal_version,
        TACC_UI_VERSION=settings.ui_version,
    )
    return env


def behave_argv(run: Planned, out: Path) -> list[str]:
    argv = [
        sys.executable, "-m", "behave", f"--tags={run.tags}",
        "-f", "plain", "-o", str(out / "behave.log"),
        "--junit-directory", str(out / "junit"),
        "-D", f"allure_results={out / 'allure-results'}",
    ]  # fmt: skip
    return argv + (["-D", f"mutant={run.mutant.name}"] if run.mutant else [])


def execute(run: Planned, settings: Settings, out: Path, say: Callable[[str], None]) -> RunResult:
    """One behave run on its own stack (in a network namespace of its own for an isolated
    mutant); the stack is purged afterwards, whatever happened — before its namespace goes,
    since processes keep a deleted namespace alive."""
    out.mkdir(parents=True, exist_ok=True)
    argv, env = behave_argv(run, out), environment(settings)
    started = time.monotonic()
    result = RunResult(run.label, run.tags)

    def behave(command: list[str]) -> None:
        try:
            behave_run(command, env, out, result)
        finally:
            tear_down(settings, say)

    if run.isolated:
        label = f"{run.label[:12]}-{secrets.token_hex(2)}"
        with network_namespace(namespace_name(label)) as name:
            behave([*netns_exec(name), *argv])
    else:
        behave(argv)
    result.seconds = time.monotonic() - started
    return result


def netns_exec(name: str) -> list[str]:
    return [shutil.which("ip") or "ip", "netns", "exec", name]


def behave_run(argv: list[str], env: dict[str, str], out: Path, result: RunResult) -> None:
    """Run behave, then read what it reported: each scenario's outcome and the console."""
    with (out / "stderr.log").open("wb") as err:
        try:
            done = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=err, env=env, check=False,
                timeout=RUN_TIMEOUT,
            )  # fmt: skip
            result.exit_code = done.returncode
        except subprocess.TimeoutExpired:
            result.error = f"the run did not end within {RUN_TIMEOUT / 60:.0f} min"
    result.console = (out / "stderr.log").read_text(errors="replace")
    # Scenarios the tags leave out are listed as skipped (show_skipped): not this run's.
    result.scenarios = [s for s in read_junit(out / "junit") if s.status != "skipped"]
    if not result.scenarios and not result.error:
        result.error = first_error(out / "stderr.log") or f"behave exit status {result.exit_code}"


def first_error(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    return next((line.strip() for line in lines if line.startswith("error:")), "")


def tear_down(settings: Settings, say: Callable[[str], None]) -> None:
    if not settings.state_dir.exists():
        return
    try:
        make_stack(settings).down(purge=True)
    except UserError as exc:
        say(f"  could not purge {settings.state_dir}: {exc.line()}")


def run_mutation(
    args: argparse.Namespace, base: Settings, say: Callable[[str], None] = print
) -> int:
    if args.jobs < 1:
        raise UserError(f"--jobs {args.jobs} is not a count", "give --jobs 1 or more")
    mutants = select(args.target, args.check_only, args.mutants)
    base = replace(base, target=args.target)
    ports = parse_ports(args.ports)
    root = Path(args.state_root or f"{base.state_dir}-mutation").absolute()
    runs = plan(mutants)
    say(f"mutation: {len(mutants)} mutants and {len(runs) - len(mutants)} clean runs on "
        f"{args.target}, {args.jobs} at once; states under {root}")  # fmt: skip
    started = time.monotonic()
    for old in REPORTS.glob("[0-9][0-9]-*"):  # the previous run's output (this runner's own)
        if old.is_dir():
            shutil.rmtree(old)
    results = run_all(runs, base, root, ports, args.jobs, say)
    took = time.monotonic() - started
    verdicts = [judge(r.mutant, results[i]) for i, r in enumerate(runs) if r.mutant]
    cleans = [results[i] for i, r in enumerate(runs) if r.mutant is None]
    return report(
        verdicts, cleans, took, full=not (args.check_only or args.mutants.strip()), say=say
    )


def run_all(
    runs: Sequence[Planned],
    base: Settings,
    root: Path,
    ports: tuple[int, int, int],
    jobs: int,
    say: Callable[[str], None],
) -> list[RunResult]:
    """Each run on one of `jobs` slots (a slot's ports are reused once its run is over)."""
    results: list[RunResult | None] = [None] * len(runs)
    pending = list(enumerate(runs))
    lock = threading.Lock()

    def worker(slot: int) -> None:
        while True:
            with lock:
                if not pending:
                    return
                index, run = pending.pop(0)
            settings = slot_settings(base, root, ports, slot, run.label)
            where = f"slot {slot}" + (" in its own network namespace" if run.isolated else "")
            say(f"… {run.label} ({run.tags}) on {where}")
            result = execute(run, settings, REPORTS / f"{index:02d}-{run.label}", say)
            results[index] = result
            say(f"{'✓' if result.exit_code == 0 else '✗'} {run.label} ({run.tags}) exit "
                f"{result.exit_code} in {result.seconds:.0f} s")  # fmt: skip

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with_results = [r for r in results if r is not None]
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    return with_results


def report(
    verdicts: Sequence[Verdict],
    cleans: Sequence[RunResult],
    took: float,
    full: bool,
    say: Callable[[str], None],
) -> int:
    table = catch_table(verdicts, cleans)
    caught = sum(v.caught for v in verdicts)
    problems = [f"{v.mutant.name}: {p}" for v in verdicts for p in v.problems]
    problems += [p for run in cleans for p in clean_problems(run)]
    footer = (
        f"{caught} of {len(verdicts)} mutants caught by their gates; "
        f"{sum(not clean_problems(r) for r in cleans)} of {len(cleans)} clean runs passed; "
        f"wall time {took / 60:.1f} min."
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "catch-table.md").write_text(table + "\n" + footer + "\n")
    if full:
        write_table(DOC, table, footer)
    say("\n" + table)
    for problem in problems:
        say(f"FAILED {problem}")
    say(
        footer + (f" Table written to {DOC}." if full else f" Table: {REPORTS / 'catch-table.md'}.")
    )
    return 1 if problems else 0
