"""`temporal-acceptance`: bring a stack up by hand, look at it, take it down.

Errors a user can fix print one line and exit 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from temporal_acceptance.cli import bench_load
from temporal_acceptance.cli import external as external_commands
from temporal_acceptance.cli import upgrade as upgrade_commands
from temporal_acceptance.cli import workload as workload_commands
from temporal_acceptance.cli.bench import run_bench
from temporal_acceptance.cli.images import build_local_images
from temporal_acceptance.cli.matrix import add_parser as add_matrix_parser
from temporal_acceptance.cli.matrix import run_matrix
from temporal_acceptance.cli.mutation import add_parser as add_mutation_parser
from temporal_acceptance.cli.mutation import run_mutation
from temporal_acceptance.compat import observations as compat_observations
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.core.errors import UserError, WaitTimeout, as_user_error
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.reporting import report as reporting
from temporal_acceptance.reporting.compatibility_doc import render
from temporal_acceptance.reporting.leaks import files_under, find_leaks, scan_files
from temporal_acceptance.stack.base import START_ORDER, Stack
from temporal_acceptance.stack.deploy import bring_up, gate, recorded
from temporal_acceptance.stack.factory import make_stack
from temporal_acceptance.stack.netns import run_isolated


def _settings_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (also TACC_* environment variables)")
    group.add_argument("--target", help="native (default), compose or external")
    group.add_argument("--postgres-version", help="PostgreSQL major, 12–18 (default 16)")
    group.add_argument("--temporal-version", help="Temporal server release, e.g. 1.32.2")
    group.add_argument(
        "--ui-version", help="Temporal UI server release (default: the one for the release)"
    )
    group.add_argument("--postgres-port", help="PostgreSQL port (default 55432)")
    group.add_argument("--temporal-port", help="Temporal frontend port (default 7233)")
    group.add_argument("--ui-port", help="Temporal UI port (default 8080)")
    group.add_argument(
        "--topology", help="single (one temporal-server, default) or multirole (one per role)"
    )
    group.add_argument("--state-dir", help="where data and logs live")
    group.add_argument("--cache-dir", help="where built binaries are cached")
    external = parser.add_argument_group(
        "external target (also TACC_*; the password only from TACC_POSTGRES_PASSWORD[_FILE])"
    )
    for flag, help_text in EXTERNAL_FLAGS.items():
        external.add_argument(flag, help=help_text)


# The external target's settings as flags (docs/DEPLOYMENT.md, "External deployment").
EXTERNAL_FLAGS = {
    "--temporal-address": "the frontend, host:port",
    "--ui-url": "the Temporal UI, http(s)://host:port",
    "--temporal-tls": "on: TLS to the frontend (implied by --temporal-tls-ca)",
    "--temporal-tls-ca": "CA file that signed the frontend's certificate",
    "--temporal-tls-cert": "client certificate file (mTLS)",
    "--temporal-tls-key": "client key file (mTLS)",
    "--temporal-tls-server-name": "the name the frontend's certificate carries",
    "--postgres-host": "PostgreSQL as the suite reaches it",
    "--postgres-user": "a PostgreSQL role that may read Temporal's databases",
    "--postgres-sslmode": "libpq sslmode (disable ... verify-full)",
    "--postgres-sslrootcert": "CA file for PostgreSQL's certificate",
    "--temporal-database": "default: temporal",
    "--visibility-database": "default: temporal_visibility",
    "--temporal-config": "the server's configuration or environment file (datastore gate)",
    "--temporal-log": "the frontend's log: /path/file or 'cmd:docker logs --timestamps NAME'",
    "--postgres-log": "PostgreSQL's log, the same way",
    "--ui-log": "the UI's log, the same way",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong, where the help is), exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} — see `{self.prog} --help`", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = OneLineParser(
        prog="temporal-acceptance",
        description="Provision and inspect the Temporal + PostgreSQL stack the suite tests.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up", aliases=["deploy"], help="provision binaries and bring every service up"
    )
    _settings_args(up)
    _deploy_args(up)
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
    bench_load.add(commands, _settings_args)
    # ---- reporting
    report = commands.add_parser(
        "report", help="single-file HTML report and ISSUES.md from the last run's results"
    )
    report.add_argument("--results", type=Path, default=reporting.RESULTS_DIR)
    report.add_argument("--output", type=Path, default=reporting.REPORT_DIR)
    report.add_argument("--history", type=Path, default=reporting.HISTORY_FILE)
    report.add_argument("--no-html", action="store_true", help="only write ISSUES.md")
    scan = commands.add_parser(
        "scan-secrets",
        help="fail if any of the deployment's passwords appears in the given files/folders "
        "or the services' logs (names file and line, never the password)",
    )
    scan.add_argument("paths", type=Path, nargs="*", help="besides the stack's own logs")
    _settings_args(scan)
    isolated = commands.add_parser(
        "isolated",
        help="run a command in a network namespace of its own whose only interface is "
        "loopback (the listen-everywhere mutants: docs/MUTANTS.md)",
    )
    isolated.add_argument("--label", default="", help="part of the namespace's name")
    isolated.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    # -- workload: execute, worker
    workload_commands.add(commands, _settings_args)
    # -- external target: preflight; the gates with an exit policy, the verdict
    external_commands.add(commands, _settings_args)
    # -- upgrades: upgrade --to, backup, restore (docs/UPGRADES.md)
    upgrade_commands.add(commands, _settings_args)
    # compose target: local images with the official images' contract, built offline
    images = commands.add_parser(
        "images", help="build the local images for the compose target (cached; no registry)"
    )
    _settings_args(images)
    # ---- compatibility (Phase 6)
    _compat_parser(commands)
    add_matrix_parser(commands)
    add_mutation_parser(commands)
    return parser


# ---------------------------------------------------------------- compatibility (Phase 6)
def _deploy_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("version compatibility (docs/COMPATIBILITY.md)")
    group.add_argument(
        "--force-version",
        action="store_true",
        default=None,
        help="deploy a version pair the matrix marks unsupported (the warning is recorded)",
    )
    group.add_argument(
        "--dry-run",
        action="store_true",
        help="check the version pair and say what would be deployed; start nothing",
    )


def _compat_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compat = commands.add_parser("compat", help="the version compatibility matrix")
    actions = compat.add_subparsers(dest="compat_command", required=True)
    report = actions.add_parser("report", help="write docs/COMPATIBILITY.md from the data")
    report.add_argument("--output", type=Path, default=Path("docs/COMPATIBILITY.md"))
    report.add_argument("--observations", type=Path, default=compat_observations.DEFAULT_PATH)
    report.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the data"
    )


def run_compat(args: argparse.Namespace) -> int:
    text = render(compat_observations.load(args.observations))
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(
                f"{args.output} is out of date — run `temporal-acceptance compat report`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} matches the data")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


def run_up(args: argparse.Namespace, settings: Settings) -> int:
    if settings.target == "external":
        # Nothing to deploy: the preflight, and the live versions' decision recorded.
        stack = make_stack(settings)
        if not args.dry_run:
            stack.up()
        return 0 if _print_status(stack) else 1
    refused = decide(settings.temporal_version, settings.postgres_major, settings.force_version)
    if not refused.allowed:  # a refused pair stops here: nothing is built or started
        raise refused.refusal()
    # The deployment's effective settings (compose: .env and the environment may choose the
    # versions; making the stack object reads them and starts nothing), judged in full: the
    # pair, and the path from the release its data was written by.
    stack = make_stack(settings)
    effective = stack.settings
    decision = gate(effective)
    if args.dry_run:
        if not decision.warning:
            print(decision.message())
        print(
            f"dry run: would deploy Temporal {effective.temporal_version} on PostgreSQL "
            f"{effective.postgres_major} ({effective.target}); nothing was started"
        )
        return 0
    bring_up(effective, stack, decision)
    _print_status(stack)
    return 0


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
    "topology": "topology",
    "force_version": "force_version",
    **{
        flag.removeprefix("--").replace("-", "_"): flag.removeprefix("--").replace("-", "_")
        for flag in EXTERNAL_FLAGS
    },
}


def settings_from(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    explicit = {key: getattr(args, attr, None) for attr, key in SETTING_FLAGS.items()}
    for key, value in explicit.items():
        if value is not None and str(value).strip() == "":
            flag = "--" + key.replace("_", "-")
            raise UserError(f"{flag} was given an empty value", f"give a value or leave {flag} out")
    return Settings.load(explicit, env)


def run_report(args: argparse.Namespace) -> int:
    paths = reporting.ReportPaths(results=args.results, output=args.output, history=args.history)
    for line in reporting.generate(paths, html=not args.no_html).lines():
        print(line)
    return 0


def run_scan(stack: Stack, paths: list[Path]) -> int:
    """Search the given files and every service's log for each of the deployment's
    secrets; name the file and line of each leak, never the secret."""
    secrets = stack.secrets()
    if not secrets:
        raise UserError(
            f"no secrets of a deployment in {stack.settings.state_dir}: nothing to look for",
            "bring the stack up first, or point --state-dir (--target) at the deployment",
        )
    files = list(dict.fromkeys([*files_under(paths), *stack.log_files()]))
    leaks, count = scan_files(files, secrets)
    containers = stack.container_logs(datetime.fromtimestamp(0, UTC))
    for name, text in containers.items():
        leaks += find_leaks(f"the log of container {name}", text.encode(), secrets)
    for leak in leaks:
        print(f"LEAK {leak.line()}")
    print(
        f"searched {count} files ({', '.join(map(str, paths)) or 'no paths given'}, and the "
        f"services' logs) and {len(containers)} container logs for {len(secrets)} secrets: "
        f"{len(leaks)} leak{'' if len(leaks) == 1 else 's'}"
    )
    return 1 if leaks or (paths and not any(files_under(paths))) else 0


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    if args.command == "report":
        return run_report(args)
    if args.command == "images":
        return build_images(args)
    if args.command == "compat":
        return run_compat(args)
    if args.command == "isolated":
        argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        return run_isolated(argv, args.label)
    if args.command in external_commands.NAMES:
        return external_commands.run(args, lambda a: settings_from(a, env))
    if args.command == "matrix":
        status = run_matrix(args)
        report = argparse.Namespace(
            output=Path("docs/COMPATIBILITY.md"),
            observations=compat_observations.DEFAULT_PATH,
            check=False,
        )
        return run_compat(report) or status
    settings = settings_from(args, env)
    if args.command == "mutation":
        return run_mutation(args, settings)
    if args.command in ("up", "deploy"):
        return run_up(args, settings)
    if args.command == "bench":
        if args.rounds < 1:
            raise UserError(f"--rounds {args.rounds} is not a count", "give --rounds 1 or more")
        print(run_bench(settings, args.rounds, say=print))
        return 0
    if args.command == bench_load.NAME:
        return bench_load.run(args, settings)
    if args.command in workload_commands.NAMES:
        return workload_commands.run(args, settings)
    if args.command in upgrade_commands.NAMES:
        return upgrade_commands.run(args, settings)
    stack = make_stack(settings)
    if args.command == "status":
        return 0 if _print_status(stack) else 1
    if args.command == "down":
        stack.down(purge=args.purge)
        return 0
    if args.command == "config":
        print(stack.config_text(), end="")
        return 0
    if args.command == "scan-secrets":
        return run_scan(stack, args.paths)
    raise AssertionError(args.command)


def build_images(args: argparse.Namespace) -> int:
    build_local_images(settings_from(args))
    return 0


def _print_status(stack: Stack) -> bool:
    all_healthy = True
    for service in START_ORDER:
        status = stack.status(service)
        all_healthy &= status.healthy
        print(status.line())
        processes = stack.processes(service)
        for process in processes if len(processes) > 1 else ():
            print(f"  {stack.process_status(process).line()}")
    decision = recorded(stack.settings.state_dir)
    if decision is not None:
        print(f"versions  {decision['message']}")
    endpoints = stack.endpoints() if all_healthy else None
    if endpoints is not None:
        print(f"frontend  {endpoints.temporal_address} (namespace {endpoints.namespace})")
        print(f"ui        {endpoints.ui_url}")
        print(f"database  {endpoints.display_dsn('temporal')}")
    return all_healthy


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """The command line; `env` replaces os.environ for the TACC_* settings (tests, probes)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args, env)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        sys.stderr.close()
        return 0
    except (UserError, WaitTimeout, OSError) as exc:
        # A wait that ran out and an OS error are one line too, exit 2 (bad numbers are
        # refused where they are read, as UserErrors).
        error = as_user_error(exc)
        if args.debug or error is None:
            raise
        print(f"error: {error.line()}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
