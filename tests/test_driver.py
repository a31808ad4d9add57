"""The worker driver with a real worker process against the dev server: start, wait until
it polls, stop, restart, kill, and a worker that dies at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import LoopRunner
from temporalio.testing import WorkflowEnvironment

from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.workload.driver import (
    WorkerDriver,
    WorkerExited,
    WorkerSpec,
)
from temporal_acceptance.workload.shared import APP_DSN_ENV

pytestmark = pytest.mark.devserver


def make_spec(
    env: WorkflowEnvironment, tmp_path: Path, conninfo: Secret | None = None
) -> WorkerSpec:
    return WorkerSpec(
        address=env.client.service_client.config.target_host,
        namespace="default",
        task_queue=f"driver-{uuid.uuid4().hex[:8]}",
        identity=f"driver-test-{uuid.uuid4().hex[:6]}@host",
        log_file=tmp_path / "logs" / "worker.log",
    )


def test_start_poll_stop_restart_kill(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    driver = WorkerDriver(make_spec(dev_env, tmp_path))
    try:
        pid = run(driver.start(dev_env.client))
        assert run(driver.start(dev_env.client)) == pid  # running: no second process
        assert sorted(run(driver.wait_polling(dev_env.client))) == ["activity", "workflow"]

        assert driver.stop() == 0  # SIGTERM: a graceful, clean exit
        assert not driver.running()
        assert "exited with status 0" in driver.describe_state()
        # Temporal still lists the stopped worker's pollers for minutes...
        assert sorted(run(driver.last_polls(dev_env.client))) == ["activity", "workflow"]
        run(driver.start(dev_env.client))
        assert driver.pid != pid
        assert sorted(run(driver.wait_polling(dev_env.client))) == ["activity", "workflow"]

        assert driver.kill() == -9
        assert "was killed by signal 9" in driver.describe_state()
    finally:
        driver.close()
    assert not driver.running()
    lines = driver.log_lines()
    assert any("worker started" in line.text for line in lines)
    assert all(line.service == "worker" for line in lines)


def test_a_stale_poller_does_not_count_for_a_new_start(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    driver = WorkerDriver(make_spec(dev_env, tmp_path))
    try:
        run(driver.start(dev_env.client))
        run(driver.wait_polling(dev_env.client))
        driver.stop()
        # ...so a start that has not polled yet must not count them: a process that never
        # polls stands in for one still booting.
        idle = WorkerDriver(driver.spec, python="/bin/sleep")
        idle.argv = lambda: ["/bin/sleep", "30"]  # type: ignore[method-assign]
        run(idle.start(dev_env.client))
        assert run(idle.polling_kinds(dev_env.client)) == []
        with pytest.raises(WaitTimeout, match="polling for nothing"):
            run(idle.wait_polling(dev_env.client, timeout=0.5))
        idle.close()
        assert not idle.running()
    finally:
        driver.close()


def test_a_worker_that_exits_fails_the_wait_at_once(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    driver = WorkerDriver(make_spec(dev_env, tmp_path), python="/bin/false")
    run(driver.start(dev_env.client))
    with pytest.raises(WorkerExited, match="exited with status 1"):
        run(driver.wait_polling(dev_env.client, timeout=20))
    driver.close()


def test_the_dsn_travels_in_the_environment_not_argv(tmp_path: Path) -> None:
    spec = WorkerSpec("h:1", "ns", "q", "me", tmp_path / "w.log", Secret("host=x password=s3cr3t"))
    driver = WorkerDriver(spec, env={"PATH": "/bin", APP_DSN_ENV: "stale"})
    assert driver.environment()[APP_DSN_ENV] == "host=x password=s3cr3t"
    assert not any("s3cr3t" in arg for arg in driver.argv())
    assert "--identity" in driver.argv()
    no_dsn = WorkerDriver(WorkerSpec("h:1", "ns", "q", "me", tmp_path / "w.log"), env={"A": "1"})
    assert APP_DSN_ENV not in no_dsn.environment()
    assert no_dsn.describe_state() == "the test worker was never started"
    assert no_dsn.stop() is None
    assert no_dsn.kill() is None


def sleeper(tmp_path: Path) -> WorkerDriver:
    """A driver whose 'worker' is a plain process that lives until it is killed."""
    log = tmp_path / "worker.log"
    log.write_text("2026-11-25T14:00:00.000+00:00 INFO temporalio.workflow: stage signal\n")
    driver = WorkerDriver(WorkerSpec("h:1", "ns", "q", "me@h", log))
    driver.process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    return driver


def test_work_that_needs_the_worker_is_cut_short_when_it_dies_unplanned(tmp_path: Path) -> None:
    driver = sleeper(tmp_path)
    started = time.monotonic()

    async def kill_soon() -> None:
        await asyncio.sleep(0.2)
        os.kill(driver.pid or 0, signal.SIGKILL)  # not the driver: as an OOM killer would

    async def main() -> None:
        killer = asyncio.ensure_future(kill_soon())
        await driver.while_alive(asyncio.sleep(30))
        await killer

    with pytest.raises(
        WorkerExited, match="(?s)was killed by signal 9; its last lines in .*stage signal"
    ):
        asyncio.run(main())
    assert time.monotonic() - started < 5
    assert driver.died()
    with pytest.raises(WorkerExited):  # and any later work fails at once
        asyncio.run(driver.while_alive(asyncio.sleep(30)))


def test_a_planned_stop_does_not_cut_the_work_short(tmp_path: Path) -> None:
    driver = sleeper(tmp_path)

    async def main() -> str:
        async def stop_soon() -> None:
            await asyncio.sleep(0.1)
            driver.kill()  # the suite's own, planned kill

        async def work() -> str:
            await asyncio.sleep(0.5)
            return "done"

        stopper = asyncio.ensure_future(stop_soon())
        done = await driver.while_alive(work())
        await stopper
        return done

    assert asyncio.run(main()) == "done"
    assert not driver.died()
    assert asyncio.run(driver.while_alive(asyncio.sleep(0, "after"))) == "after"
