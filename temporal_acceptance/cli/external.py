"""`temporal-acceptance preflight`, `run` and `verdict`: reaching an external deployment, and
the exit policy a deploy pipeline applies to a run of the gates.

    temporal-acceptance preflight --target external      # one line per endpoint, exit 2 on ✗
    temporal-acceptance run --fail-on P0 -- -D target=external --tags="not @ui"
    temporal-acceptance verdict --fail-on P1             # the policy on the last run's verdict

`run` is behave plus the policy: behave's own exit status fails on any failed gate, and the
hooks cannot change it, so the wrapper reads the verdict the run wrote (reports/verdict.json)
and exits 0 when no gate at or above the policy's P-level failed, 1 when one did (or no gate
ran at all), 2 when the run could not start (a bad setting, a failed preflight).
`run --stacks N` spreads the gates over N native stacks at once (cli/stacks.py; `make
acceptance` and `make check` use 3); on compose and external it is always one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from temporal_acceptance.cli.stacks import run_on_stacks
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.reporting.verdict import (
    POLICIES,
    VERDICT_FILE,
    exit_status,
    parse_policy,
    read_verdict,
)
from temporal_acceptance.stack.external.stack import ExternalStack
from temporal_acceptance.stack.factory import make_stack

NAMES = ("preflight", "run", "verdict")


def add(commands: Any, settings_args: Callable[[argparse.ArgumentParser], None]) -> None:
    preflight = commands.add_parser(
        "preflight", help="reach every endpoint of an external deployment, one line each"
    )
    settings_args(preflight)
    run = commands.add_parser(
        "run", help="run the gates (behave) and exit by a policy: --fail-on P0|P1|any"
    )
    _policy(run)
    run.add_argument("--verdict", type=Path, default=VERDICT_FILE, help="where it is written")
    run.add_argument(
        "--stacks",
        type=int,
        default=1,
        help="native: spread the disruptive scenarios over this many stacks at once (1-4; "
        "the extra ones are throw-away; docs/PERFORMANCE.md)",
    )
    run.add_argument("behave_args", nargs=argparse.REMAINDER, help="given to behave (after --)")
    verdict = commands.add_parser(
        "verdict", help="print the last run's verdict and exit by a policy (--fail-on)"
    )
    _policy(verdict)
    verdict.add_argument("--verdict", type=Path, default=VERDICT_FILE, help="the verdict file")


def _policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        default="any",
        choices=POLICIES,
        help="fail on failed gates of this P-level or more severe (P1: P0 and P1), or any",
    )


def run_preflight(settings: Settings) -> int:
    if settings.target != "external":
        raise UserError(
            f"preflight checks an external deployment, not the {settings.target} target",
            "give --target external (TACC_TARGET=external); `status` shows a suite's own stack",
        )
    stack = make_stack(settings)
    if not isinstance(stack, ExternalStack):  # the factory's contract, kept honest
        raise UserError(f"the {settings.target} target has no preflight")
    report = stack.preflight()
    print(report.render())
    print(report.summary())
    if report.fatal:
        raise report.error()
    return 0


def run_gates(args: argparse.Namespace, runner: Callable[[list[str]], int] | None = None) -> int:
    """behave with the given arguments, then the policy on the verdict it wrote."""
    policy = parse_policy(args.fail_on)
    behave_args = [a for a in args.behave_args if a != "--"]
    args.verdict.unlink(missing_ok=True)  # a verdict left by an earlier run must not count
    if getattr(args, "stacks", 1) != 1 and runner is None:
        spread = run_on_stacks(behave_args, args.stacks, args.verdict, policy)
        if spread is not None:
            return spread
    argv = [sys.executable, "-m", "behave", "-D", f"verdict_file={args.verdict}", *behave_args]
    status = (runner or _subprocess)(argv)
    if not args.verdict.is_file():
        print(
            f"error: the run wrote no verdict (behave exit status {status}): it stopped before "
            "its end — see its output above",
            file=sys.stderr,
        )
        return 2 if status == 2 else max(status, 1)
    return _judge(args.verdict, policy)


def _subprocess(argv: Sequence[str]) -> int:
    return subprocess.run(argv, check=False).returncode


def _judge(path: Path, policy: str) -> int:
    verdict = read_verdict(path)
    print("\n".join(verdict.summary_lines(policy)))
    status = exit_status(verdict, policy)
    print(f"exit status {status} (fail-on {policy}; verdict: {path})")
    return status


def run(args: argparse.Namespace, settings_from: Callable[[argparse.Namespace], Settings]) -> int:
    if args.command == "preflight":
        return run_preflight(settings_from(args))
    if args.command == "run":
        return run_gates(args)
    return _judge(args.verdict, parse_policy(args.fail_on))
