"""The test worker, run as its own OS process:

    TACC_APP_DSN='host=... dbname=acceptance_app ...' \\
    python -m temporal_acceptance.workload.worker --address 127.0.0.1:7233 \\
        --task-queue temporal-acceptance-test --identity my-worker@host

It polls one task queue for TestWorkflow, ChildTestWorkflow and both activities, logs with
an ISO-8601 timestamp at the start of every line (so the suite can window its log by time)
and shuts down gracefully on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.worker import Worker

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.clients.temporal import (
    add_tls_arguments,
    sdk_tls,
    settings_tls,
    tls_from_args,
)
from temporal_acceptance.core.errors import UserError, WaitTimeout
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.activities import (
    test_activity_execution,
    test_database_operation,
)
from temporal_acceptance.workload.exit import exit_now
from temporal_acceptance.workload.shared import (
    ACTIVITY_EXECUTION,
    APP_DSN_ENV,
    CHILD_WORKFLOW_NAME,
    DATABASE_OPERATION,
    LOAD_PROBE_WORKFLOW_NAME,
    PAYLOAD_WORKFLOW_NAME,
    TASK_QUEUE,
    WORKFLOW_NAME,
)
from temporal_acceptance.workload.workflows import (
    ChildTestWorkflow,
    LoadProbeWorkflow,
    PayloadSizeWorkflow,
    TestWorkflow,
)

log = logging.getLogger("temporal_acceptance.worker")

# Registered under the names in shared.py (the `name=` of their definitions).
WORKFLOWS = {
    WORKFLOW_NAME: TestWorkflow,
    CHILD_WORKFLOW_NAME: ChildTestWorkflow,
    PAYLOAD_WORKFLOW_NAME: PayloadSizeWorkflow,
    LOAD_PROBE_WORKFLOW_NAME: LoadProbeWorkflow,
}
ACTIVITIES: dict[str, Callable[..., Any]] = {
    ACTIVITY_EXECUTION: test_activity_execution,
    DATABASE_OPERATION: test_database_operation,
}
# Logged once the worker runs (Temporal validates it next: the driver waits for its polls).
READY = "worker started"
# In-flight activities get this long to finish on SIGTERM before they are cancelled.
GRACEFUL_SHUTDOWN = timedelta(seconds=5)
# A workflow's next task goes first to the queue of the worker that ran its last one (its
# sticky queue, where the workflow is cached). When that worker was killed, the task waits
# there this long before the server hands it to any worker. The SDK's default is 10 s, which
# made the worker-crash gate spend 10 of its 15 s waiting on it; 3 s is still 100 times what
# a workflow task takes on this worker, also under the load gate's 50 in flight.
STICKY_TIMEOUT = timedelta(seconds=3)


def default_identity() -> str:
    return f"temporal-acceptance-worker@{socket.gethostname()}"


@dataclass(frozen=True)
class WorkerConfig:
    address: str
    namespace: str
    task_queue: str = TASK_QUEUE
    identity: str = ""
    connect_timeout: float = 30.0
    exit_with_pid: int = 0
    tls: FrontendTls = field(default_factory=FrontendTls)

    @property
    def worker_identity(self) -> str:
        return self.identity or default_identity()


class IsoFormatter(logging.Formatter):
    """`2026-11-25T14:30:00.123+00:00 INFO logger: message` — UTC, milliseconds."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        del datefmt
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(IsoFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def runtime() -> Runtime:
    """A runtime whose Core (Rust) warnings go through Python logging: Core's own console
    output starts with ANSI colour codes, which hide its timestamp and level from the log
    reader. (Forwarding runs Python code on Core's threads; exit_now keeps those threads
    away from a finalizing interpreter.)"""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            )
        )
    )


async def connect(config: WorkerConfig) -> Client:
    """Connect, retrying while the frontend is not reachable yet (a restart in progress)."""

    core = runtime()

    async def attempt() -> Client:
        return await Client.connect(
            config.address,
            namespace=config.namespace,
            identity=config.worker_identity,
            runtime=core,
            tls=sdk_tls(config.tls),
        )

    return await wait_until_async(
        attempt,
        what=f"the Temporal frontend at {config.address}",
        timeout=config.connect_timeout,
        accept=lambda client: True,
        errors=(RuntimeError, OSError),
    )


def build_worker(client: Client, config: WorkerConfig) -> Worker:
    return Worker(
        client,
        task_queue=config.task_queue,
        workflows=list(WORKFLOWS.values()),
        activities=list(ACTIVITIES.values()),
        identity=config.worker_identity,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


def ready_line(config: WorkerConfig) -> str:
    workflows = ",".join(WORKFLOWS)
    activities = ",".join(ACTIVITIES)
    return (
        f"{READY}: identity={config.worker_identity} namespace={config.namespace} "
        f"task_queue={config.task_queue} workflows={workflows} activities={activities}"
    )


async def run_worker(config: WorkerConfig, stop: asyncio.Event) -> None:
    client = await connect(config)
    async with build_worker(client, config):
        log.info(ready_line(config))
        await stop.wait()
        log.info("stopping: finishing in-flight tasks (up to %s)", GRACEFUL_SHUTDOWN)
    log.info("worker stopped")


async def _main(config: WorkerConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if config.exit_with_pid:
        watch_process(loop, config.exit_with_pid, stop)
    await run_worker(config, stop)


def watch_process(loop: asyncio.AbstractEventLoop, pid: int, stop: asyncio.Event) -> None:
    """Stop when `pid` exits, so a suite that dies without cleaning up leaves no worker
    behind. A pidfd becomes readable when its process exits: no polling."""
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError) as exc:
        log.warning("cannot watch process %d (%s): the worker will not stop with it", pid, exc)
        return

    def gone() -> None:
        log.warning("process %d exited: stopping", pid)
        loop.remove_reader(pidfd)
        os.close(pidfd)
        stop.set()

    loop.add_reader(pidfd, gone)


def build_parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m temporal_acceptance.workload.worker",
        description=f"Run the test workflow's worker (application database DSN in ${APP_DSN_ENV}).",
    )
    parser.add_argument("--address", default=defaults.frontend_address, help="host:port")
    parser.add_argument("--namespace", default=defaults.namespace)
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    parser.add_argument("--identity", default="", help="default: " + default_identity())
    parser.add_argument("--connect-timeout", type=float, default=30.0, help="seconds")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--exit-with-pid", type=int, default=0, help="stop when this process exits (the suite)"
    )
    add_tls_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    try:
        settings = Settings.load()
        args = build_parser(settings).parse_args(argv)
        configure_logging(args.log_level)
        if not os.environ.get(APP_DSN_ENV):
            log.warning("%s is not set: test_database_operation will fail", APP_DSN_ENV)
        config = WorkerConfig(
            args.address,
            args.namespace,
            args.task_queue,
            args.identity,
            args.connect_timeout,
            args.exit_with_pid,
            tls_from_args(args, settings_tls(settings)),
        )
        asyncio.run(_main(config))
    except (UserError, WaitTimeout) as exc:
        log.error("%s", exc)
        return 2
    except RuntimeError as exc:  # the SDK's fatal worker errors (e.g. an unknown namespace)
        log.error("worker failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    exit_now(main())
