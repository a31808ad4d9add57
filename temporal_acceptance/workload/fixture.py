"""The test worker as a suite fixture: one worker process per behave run, started by the
first scenario that needs it and stopped when the run ends (environment.py closes it).

Userdata (`behave -D key=value`), both for proving that the gates can fail:
  app_database=NAME   the database the worker's database activity uses (default
                      acceptance_app); a wrong name must fail the database-activity gate
  worker=stopped      start the worker, then stop it before any scenario uses it; the
                      worker-registration gate must then fail
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.service import RPCError

from temporal_acceptance.errors import UserError
from temporal_acceptance.harness import Run
from temporal_acceptance.reporting.evidence import LogSource
from temporal_acceptance.secrets import Secret
from temporal_acceptance.stack.base import APP_DATABASE
from temporal_acceptance.stack.logs import read_log
from temporal_acceptance.workload.driver import WorkerDriver, WorkerSpec
from temporal_acceptance.workload.shared import TASK_QUEUE

USERDATA_KEYS = ("app_database", "worker")
WORKER_MODES = ("running", "stopped")
# How long a freshly started worker may take to connect and poll (Python start-up included).
START_TIMEOUT = 30.0


def worker_log_file(run: Run) -> Path:
    return run.settings.state_dir / "logs" / "worker.log"


def spec_for(run: Run, app_database: str, token: str, incarnation: int = 1) -> WorkerSpec:
    """A task queue and identity of this run's own: a worker left over from another run
    can neither take its tasks nor pass for it. A worker started to replace a dead one
    (incarnation 2, 3, ...) polls the same task queue under an identity of its own, so a
    history shows which process ran what."""
    endpoints = run.endpoints
    suffix = "" if incarnation == 1 else f"-{incarnation}"
    return WorkerSpec(
        address=endpoints.temporal_address,
        namespace=endpoints.namespace,
        task_queue=f"{TASK_QUEUE}-{token}",
        identity=f"temporal-acceptance-worker-{token}{suffix}@{socket.gethostname()}",
        log_file=worker_log_file(run),
        app_conninfo=Secret(endpoints.conninfo(app_database)),
    )


@dataclass
class TestWorkerFixture:
    __test__ = False  # a fixture, not a pytest test class

    userdata: Mapping[str, str]
    driver: WorkerDriver | None = None
    start_failure: str = ""
    incarnation: int = 1
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.mode  # noqa: B018 — a bad switch fails the run before any scenario starts

    @property
    def app_database(self) -> str:
        return self.userdata.get("app_database", "") or APP_DATABASE

    @property
    def mode(self) -> str:
        mode = self.userdata.get("worker", "") or "running"
        if mode not in WORKER_MODES:
            raise UserError(
                f"unknown worker mode {mode!r}", f"use one of: {', '.join(WORKER_MODES)}"
            )
        return mode

    async def ensure(self, run: Run) -> WorkerDriver:
        """The run's worker, started (and seen polling) on first use. A worker that died
        later is not restarted here: the gates must see that. A start that failed fails
        every later scenario at once, with the first failure's message."""
        if self.start_failure:
            raise AssertionError(f"the test worker did not start: {self.start_failure}")
        if self.driver is None:
            driver = WorkerDriver(spec_for(run, self.app_database, self.token))
            self.driver = driver
            client = await run.client()
            try:
                await driver.start(client)
                await driver.wait_polling(client, START_TIMEOUT)
            except (AssertionError, RPCError) as exc:  # WaitTimeout, WorkerExited included
                self.start_failure = f"{type(exc).__name__}: {exc}"
                raise
            if self.mode == "stopped":
                driver.stop()
        return self.driver

    async def replace(self, run: Run) -> WorkerDriver:
        """A new worker process on the same task queue, under the next identity, in place
        of the current one (which is stopped first if it still runs). Later scenarios use
        the new one."""
        if self.driver is not None:
            self.driver.close()
        self.incarnation += 1
        driver = WorkerDriver(spec_for(run, self.app_database, self.token, self.incarnation))
        self.driver = driver
        client = await run.client()
        await driver.start(client)
        await driver.wait_polling(client, START_TIMEOUT)
        return driver

    def log_source(self, run: Run) -> LogSource:
        """The worker's output by time window, for a failed scenario's evidence."""
        path = worker_log_file(run)
        return LogSource("worker", lambda since, until: read_log(path, "worker", since, until))

    def close(self) -> None:
        if self.driver is not None:
            self.driver.close()
