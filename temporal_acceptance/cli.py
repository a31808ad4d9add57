"""`temporal-acceptance`: bring a stack up by hand, look at it, take it down.

Errors a user can fix print one line and exit 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from temporal_acceptance.bench import run_bench
from temporal_acceptance.errors import UserError
from temporal_acceptance.reporting import report as reporting
from temporal_acceptance.reporting.config import effective_config_yaml
from temporal_acceptance.reporting.leaks import scan
from temporal_acceptance.settings import Settings
from temporal_acceptance.stack.base import START_ORDER, Stack
from temporal_acceptance.stack.factory import make_stack
from temporal_acceptance.workload import commands as workload_commands


def _settings_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (also TACC_* environment variables)")
    group.add_argument("--target", help="native (default), compose or external")
    group.add_argument("--postgres-version", help="PostgreSQL major, 12–18 (default 16)")
    group.add_argument("--temporal-version", help="Temporal server release, e.g. 1.30.8")
    group.add_argument("--ui-version", help="Temporal UI server release, e.g. 2.55.0")
    group.add_argument("--postgres-port", help="PostgreSQL port (default 55432)")
    group.add_argument("--temporal-port", help="Temporal frontend port (default 7233)")
    group.add_argument("--ui-port", help="Temporal UI port (default 8080)")
    group.add_argument("--state-dir", help="where data and logs live")
    group.add_argument("--cache-dir", help="where built binaries are cached")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="temporal-acceptance",
        description="Provision and inspect the Temporal + PostgreSQL stack the suite tests.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="provision binaries and bring every service up")
    _settings_args(up)
    status = commands.add_parser("status", help="show each service and its health")
    _settings_args(status)
    down = commands.add_parser("down", help="stop every service (data is kept)")
    down.add_argument(
        "--purge", action="store_true", help="also delete the data directory (irreversible)"
    )
    _settings_args(down)
    config = commands.add_parser("config", help="print the effective configuration (redacted)")
    _settings_args(config)
    bench = commands.add_parser(
        "bench", help="measure up/down/restart/crash timings on a throw-away native stack"
    )
    bench.add_argument("--rounds", type=int, default=3, help="repetitions per measurement")
    _settings_args(bench)
    # ---- reporting
    report = commands.add_parser(
        "report", help="single-file HTML report and ISSUES.md from the last run's results"
    )
    report.add_argument("--results", type=Path, default=reporting.RESULTS_DIR)
    report.add_argument("--output", type=Path, default=reporting.REPORT_DIR)
    report.add_argument("--history", type=Path, default=reporting.HISTORY_FILE)
    report.add_argument("--no-html", action="store_true", help="only write ISSUES.md")
    scan = commands.add_parser(
        "scan-secrets", help="fail if the PostgreSQL password appears in the given files/folders"
    )
    scan.add_argument("paths", type=Path, nargs="*", help="besides the stack's own logs")
    _settings_args(scan)
    # -- workload: execute, worker
    workload_commands.add(commands, _settings_args)
    # compose target: local images with the official images' contract, built offline
    images = commands.add_parser(
        "images", help="build the local images for the compose target (cached; no registry)"
    )
    _settings_args(images)
    return parser


SETTING_FLAGS = {
    "target": "target",
    "postgres_version": "postgres_version",
    "temporal_version": "temporal_version",
    "ui_version": "ui_version",
    "postgres_port": "postgres_port",
    "temporal_port": "temporal_port",
    "ui_port": "ui_port",
    "state_dir": "state_dir",
    "cache_dir": "cache_dir",
}


def settings_from(args: argparse.Namespace) -> Settings:
    explicit = {key: getattr(args, attr, None) for attr, key in SETTING_FLAGS.items()}
    return Settings.load(explicit)


def run_report(args: argparse.Namespace) -> int:
    paths = reporting.ReportPaths(results=args.results, output=args.output, history=args.history)
    for line in reporting.generate(paths, html=not args.no_html).lines():
        print(line)
    return 0


def run_scan(stack: Stack, paths: list[Path]) -> int:
    """Search the given files and every service's log for the PostgreSQL password."""
    password = stack.endpoints().postgres_password
    leaks, files = scan(paths, password)
    problems = [leak.line() for leak in leaks]
    for service in START_ORDER:
        if any(password.reveal() in line.text for line in stack.logs(service)):
            problems.append(f"the {service.value} log: the secret appears (clear text)")
    for problem in problems:
        print(f"LEAK {problem}")
    print(
        f"searched {files} files under {', '.join(map(str, paths)) or '(none)'} and the logs "
        f"of {', '.join(s.value for s in START_ORDER)}: {len(problems)} hold the password"
    )
    return 1 if problems or (paths and not files) else 0


def run(args: argparse.Namespace) -> int:
    if args.command == "report":
        return run_report(args)
    if args.command == "images":
        return build_images(args)
    settings = settings_from(args)
    if args.command == "bench":
        print(run_bench(settings, max(1, args.rounds), say=print))
        return 0
    if args.command in workload_commands.NAMES:
        return workload_commands.run(args, settings)
    stack = make_stack(settings)
    if args.command == "up":
        stack.up()
        _print_status(stack)
        return 0
    if args.command == "status":
        return 0 if _print_status(stack) else 1
    if args.command == "down":
        stack.down(purge=args.purge)
        return 0
    if args.command == "config":
        print(effective_config_yaml(stack), end="")
        return 0
    if args.command == "scan-secrets":
        return run_scan(stack, args.paths)
    raise AssertionError(args.command)


def build_images(args: argparse.Namespace) -> int:
    from temporal_acceptance.images.command import build_local_images  # noqa: PLC0415

    build_local_images(settings_from(args))
    return 0


def _print_status(stack: Stack) -> bool:
    all_healthy = True
    for service in START_ORDER:
        status = stack.status(service)
        all_healthy &= status.healthy
        print(status.line())
    endpoints = stack.endpoints() if all_healthy else None
    if endpoints is not None:
        print(f"frontend  {endpoints.temporal_address} (namespace {endpoints.namespace})")
        print(f"ui        {endpoints.ui_url}")
        print(f"database  {endpoints.display_dsn('temporal')}")
    return all_healthy


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UserError as exc:
        if args.debug:
            raise
        print(f"error: {exc.line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
