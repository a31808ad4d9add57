"""`temporal-acceptance execute` and `temporal-acceptance worker`: the workload by hand,
against the stack the suite's settings describe (the same flags and TACC_* variables)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from temporal_acceptance.clients.endpoints import APP_DATABASE
from temporal_acceptance.core.errors import UserError, WaitTimeout, as_user_error
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.factory import make_stack
from temporal_acceptance.workload import execute
from temporal_acceptance.workload.exit import exit_now
from temporal_acceptance.workload.shared import APP_DSN_ENV, TASK_QUEUE

NAMES = ("execute", "worker")


def add(commands: Any, settings_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the workload subcommands to the CLI's subparsers."""
    run = commands.add_parser(
        "execute", help="run the test workflow end to end and print what happened as JSON"
    )
    execute.add_arguments(run)
    settings_args(run)
    worker = commands.add_parser(
        "worker", help="run the test worker in the foreground against the stack (Ctrl-C stops)"
    )
    worker.add_argument("--task-queue", default=TASK_QUEUE)
    worker.add_argument("--identity", default=f"temporal-acceptance-worker@{socket.gethostname()}")
    worker.add_argument("--app-database", default=APP_DATABASE)
    settings_args(worker)


def worker_argv(settings: Settings, task_queue: str, identity: str) -> list[str]:
    return [
        sys.executable, "-m", "temporal_acceptance.workload.worker",
        "--address", settings.frontend_address, "--namespace", settings.namespace,
        "--task-queue", task_queue, "--identity", identity,
    ]  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> NoReturn:
    if args.command == "execute":
        # Leave through exit_now on every path, errors too: the SDK's threads can abort an
        # interpreter that finalizes (workload/exit.py).
        try:
            code = execute.run_cli(args, settings)
        except (UserError, WaitTimeout, OSError) as exc:
            error = as_user_error(exc)
            if error is None or args.debug:
                raise
            print(f"error: {error.line()}", file=sys.stderr)
            code = error.exit_code
        exit_now(code)
    # The worker replaces this process: signals reach it directly, and the application
    # database's connection string (with the password) travels in its environment only.
    conninfo = make_stack(settings).endpoints().worker_conninfo(args.app_database)
    argv = worker_argv(settings, args.task_queue, args.identity)
    os.execve(sys.executable, argv, {**os.environ, APP_DSN_ENV: conninfo})  # noqa: S606 (argv, no shell)
