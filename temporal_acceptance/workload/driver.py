"""The worker driver: runs the test worker as its own OS process for the suite.

start → wait until it polls (its identity on the task queue, for workflow and activity
tasks) → stop (SIGTERM, graceful) or kill (SIGKILL, a crash). Output goes to a log file;
the DSN goes through the environment; close() always leaves no process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.core.errors import UserError, WaitTimeout
from temporal_acceptance.core.logs import LogLine, read_log, tail
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.waiting import wait_until, wait_until_async
from temporal_acceptance.workload.shared import APP_DSN_ENV

T = TypeVar("T")

TASK_TYPES = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}
# Temporal's default matching.numTaskqueueReadPartitions, which the native and compose
# deployments keep: where a worker's polls can land.
TASK_QUEUE_PARTITIONS = 4


def partition_name(task_queue: str, partition: int) -> str:
    """The name Temporal's API takes for one partition of a normal task queue."""
    return task_queue if partition == 0 else f"/_sys/{task_queue}/{partition}"


@dataclass(frozen=True)
class WorkerSpec:
    address: str
    namespace: str
    task_queue: str
    identity: str
    log_file: Path
    app_conninfo: Secret | None = None
    tls: FrontendTls = field(default_factory=FrontendTls)


class WorkerExited(AssertionError):
    """The worker process is gone when it should be running."""


class WorkerDriver:
    def __init__(
        self, spec: WorkerSpec, python: str = sys.executable, env: Mapping[str, str] | None = None
    ) -> None:
        self.spec = spec
        self.python = python
        self.base_env = dict(os.environ if env is None else env)
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at: datetime | None = None
        # Set when the suite itself stops or kills the worker: an exit it did not ask for
        # (an OOM kill, a crash) is a failure of whatever needed the worker.
        self.planned_exit = False
        # Temporal keeps listing a worker's pollers for minutes after it is gone. What it
        # listed for this identity just before the start is the baseline a new poll must
        # beat: compared in the server's own clock, so clock skew cannot fool it.
        self.baseline: dict[str, datetime] = {}

    # -- process -------------------------------------------------------------------
    def argv(self) -> list[str]:
        spec = self.spec
        return [
            self.python,
            "-m",
            "temporal_acceptance.workload.worker",
            "--address",
            spec.address,
            "--namespace",
            spec.namespace,
            "--task-queue",
            spec.task_queue,
            "--identity",
            spec.identity,
            "--exit-with-pid",
            str(os.getpid()),
            *spec.tls.argv(),
        ]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in self.base_env.items() if k != APP_DSN_ENV}
        if self.spec.app_conninfo is not None:
            env[APP_DSN_ENV] = self.spec.app_conninfo.reveal()
        env["PYTHONUNBUFFERED"] = "1"
        return env

    async def start(self, client: Client) -> int:
        """Start the worker process (a no-op while it runs); returns its pid."""
        if self.process is not None and self.process.poll() is None:
            return self.process.pid
        self.baseline = await self.last_polls(client)
        self.spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = datetime.now(UTC)
        self.planned_exit = False
        with self.spec.log_file.open("ab") as log:
            try:
                self.process = subprocess.Popen(
                    self.argv(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.environment(),
                    start_new_session=True,  # its own process group: kill() takes it all
                )
            except OSError as exc:
                raise UserError(
                    f"could not start the test worker with {self.python}: {exc.strerror}",
                    "check the suite's Python environment",
                ) from exc
        return self.process.pid

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def died(self) -> bool:
        """The process has exited although the suite never stopped or killed it."""
        return self.process is not None and not self.running() and not self.planned_exit

    def describe_state(self) -> str:
        if self.process is None:
            return "the test worker was never started"
        code = self.process.poll()
        if code is None:
            return f"the test worker {self.spec.identity} runs as pid {self.process.pid}"
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return (
            f"the test worker {self.spec.identity} (pid {self.process.pid}) {how}; "
            f"its last lines in {self.spec.log_file}:\n{self.recent_log()}"
        )

    def recent_log(self, count: int = 10) -> str:
        """The last lines this incarnation of the worker wrote (the log file is shared)."""
        lines = self.log_lines(since=self.started_at)[-count:]
        return "\n".join(line.text for line in lines) or tail(self.spec.log_file, count)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful: in-flight tasks finish); SIGKILL if it outlives `timeout`."""
        if not self.running():
            return self.exit_code()
        self.planned_exit = True
        self._signal(signal.SIGTERM, group=False)
        if not self._wait_exit(timeout):
            self._signal(signal.SIGKILL, group=True)
            self._wait_exit(10.0)
        return self.exit_code()

    def kill(self) -> int | None:
        """SIGKILL the worker's process group, as a crash or an OOM kill would."""
        if self.running():
            self.planned_exit = True
            self._signal(signal.SIGKILL, group=True)
            self._wait_exit(10.0)
        return self.exit_code()

    def close(self) -> None:
        """Leave no process behind, whatever state the worker is in."""
        self.stop()

    def _signal(self, sig: signal.Signals, group: bool) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)

    def _wait_exit(self, timeout: float) -> bool:
        try:
            wait_until(
                lambda: not self.running(),
                what=f"the test worker (pid {self.pid}) to exit",
                timeout=timeout,
                max_delay=0.05,
            )
        except WaitTimeout:
            return False
        return True

    # -- liveness ------------------------------------------------------------------
    async def exited(self) -> None:
        """Return once the process has exited (a pidfd becomes readable: no polling)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            pidfd = os.pidfd_open(self.process.pid)
        except ProcessLookupError:
            return
        loop = asyncio.get_running_loop()
        gone: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not gone.done():
                gone.set_result(None)

        loop.add_reader(pidfd, readable)
        try:
            await gone
        finally:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            self.process.poll()  # reap it, so exit_code() tells how it ended

    async def while_alive(self, work: Awaitable[T]) -> T:
        """`work`'s result, unless the worker dies unplanned first: then the work is
        cancelled and WorkerExited says how the worker ended and what it last logged."""
        if self.died():
            if asyncio.iscoroutine(work):
                work.close()  # never started: nothing to wait for
            raise WorkerExited(self.describe_state())
        task = asyncio.ensure_future(work)
        watch = asyncio.ensure_future(self.exited())
        try:
            await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done() and self.died():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise WorkerExited(self.describe_state())
            return await task
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    # -- observation ---------------------------------------------------------------
    async def last_polls(
        self, client: Client, fresh: Callable[[str, datetime], bool] | None = None
    ) -> dict[str, datetime]:
        """When this identity last polled, per task type, as Temporal reports it.

        Temporal spreads a task queue over partitions (TASK_QUEUE_PARTITIONS) and records a
        poller only at the partition its poll reached: a worker can run activities through
        partition 2 while the root has not seen its activity poller for a minute. So the
        partitions are read in turn, root first, until one shows a poll `fresh` accepts
        (any poll, by default); the latest seen is the answer."""
        polls: dict[str, datetime] = {}
        for kind, queue_type in TASK_TYPES.items():
            for partition in range(TASK_QUEUE_PARTITIONS):
                response = await client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=self.spec.namespace,
                        task_queue=TaskQueue(name=partition_name(self.spec.task_queue, partition)),
                        task_queue_type=queue_type,
                    )
                )
                for poller in response.pollers:
                    if poller.identity == self.spec.identity:
                        at = poller.last_access_time.ToDatetime(tzinfo=UTC)
                        polls[kind] = max(at, polls.get(kind, at))
                if kind in polls and (fresh is None or fresh(kind, polls[kind])):
                    break
        return polls

    async def polling_kinds(self, client: Client) -> list[str]:
        """The task types (workflow, activity) this worker has polled for since its start."""

        def since_start(kind: str, at: datetime) -> bool:
            return kind not in self.baseline or at > self.baseline[kind]

        polls = await self.last_polls(client, since_start)
        return [kind for kind in TASK_TYPES if kind in polls and since_start(kind, polls[kind])]

    async def wait_polling(self, client: Client, timeout: float = 30.0) -> list[str]:
        """Wait until the worker polls for both task types; fail at once if it exits."""

        async def check() -> list[str]:
            if not self.running():
                raise WorkerExited(self.describe_state())
            return await self.polling_kinds(client)

        return await wait_until_async(
            check,
            what=f"the test worker {self.spec.identity} to poll task queue "
            f"{self.spec.task_queue} for workflow and activity tasks",
            timeout=timeout,
            accept=lambda kinds: set(kinds) == set(TASK_TYPES),
            describe=lambda kinds: f"polling for {kinds or 'nothing'}",
            errors=(RPCError,),
            hint=lambda: f"worker log: {self.spec.log_file}\n{self.recent_log()}",
            max_delay=0.1,
        )

    def log_lines(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        return read_log(self.spec.log_file, "worker", since, until)
