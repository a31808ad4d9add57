"""The execution script as a user runs it, and the worker fixture, against the dev server."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import LoopRunner
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_workload_devserver import fake_database_operation

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.worker import TestWorker
from temporal_acceptance.workload import activities, execute
from temporal_acceptance.workload.workflows import ChildTestWorkflow, TestWorkflow

pytestmark = pytest.mark.devserver


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def test_the_script_prints_the_run_as_json(
    run: LoopRunner, dev_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = f"cli-{uuid.uuid4().hex[:8]}"
    workflow_id = f"cli-{uuid.uuid4().hex[:6]}"
    argv = ["--address", address(dev_env), "--task-queue", queue, "--timer", "0.2",
            "--workflow-id", workflow_id, "--signal-payload", "by hand"]  # fmt: skip

    async def scenario() -> int:
        async with Worker(
            dev_env.client,
            task_queue=queue,
            workflows=[TestWorkflow, ChildTestWorkflow],
            activities=[activities.test_activity_execution, fake_database_operation],
        ):
            # The script runs its own event loop, as it does from a shell: give it a thread.
            return await asyncio.get_running_loop().run_in_executor(None, execute.main, argv)

    assert run(scenario()) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "WorkflowExecutionCompleted"
    assert out["result"]["signal"]["payload"] == "by hand"
    assert out["queries"]["during_timer"]["stage"] == "timer"
    assert out["timings"]["workflow_seconds"] >= 0.2


def test_the_script_explains_an_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert execute.main(["--address", "127.0.0.1:1", "--timer", "1"]) == 2
    assert "cannot reach Temporal at 127.0.0.1:1" in capsys.readouterr().err
    for bad in ("-1", "nan", "inf"):
        assert execute.main(["--timer", bad]) == 2
        err = capsys.readouterr().err
        assert f"error: --timer {bad} is not a duration — give --timer as seconds" in err
        assert "Traceback" not in err


def test_the_script_says_at_once_that_no_worker_polls(
    dev_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    argv = ["--address", address(dev_env), "--task-queue", "nobody-polls-here", "--timer", "5"]
    assert execute.main(argv) == 2
    assert time.monotonic() - started < 5
    assert capsys.readouterr().err.splitlines() == [
        "error: no worker is polling task queue nobody-polls-here (workflow tasks: never polled;"
        " activity tasks: never polled) — start one with `temporal-acceptance worker "
        "--task-queue nobody-polls-here`"
    ]


@dataclass
class DevRun:
    """The slice of the harness's Run the worker fixture uses, pointed at the dev server."""

    settings: Settings
    endpoints: Any
    env: WorkflowEnvironment

    async def client(self) -> Client:
        return self.env.client


def dev_run(env: WorkflowEnvironment, tmp_path: Path) -> DevRun:
    endpoints = type(
        "Endpoints",
        (),
        {
            "temporal_address": address(env),
            "namespace": "default",
            "worker_conninfo": lambda self, db: f"host=127.0.0.1 port=1 dbname={db}",
            "frontend_tls": FrontendTls(),
            "app_database": "acceptance_app",
        },
    )()
    return DevRun(Settings(state_dir=tmp_path), endpoints, env)


def test_the_fixture_starts_one_worker_and_closes_it(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    fixture = TestWorker({})
    harness_run = dev_run(dev_env, tmp_path)
    driver = run(fixture.ensure(harness_run))  # type: ignore[arg-type]
    assert driver.running()
    assert run(fixture.ensure(harness_run)) is driver  # type: ignore[arg-type]
    fixture.close()
    assert not driver.running()


def test_the_stopped_switch_leaves_a_stopped_worker(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    fixture = TestWorker({"worker": "stopped"})
    driver = run(fixture.ensure(dev_run(dev_env, tmp_path)))  # type: ignore[arg-type]
    assert not driver.running()
    assert "exited with status 0" in driver.describe_state()


def test_run_script_runs_the_script_as_a_process(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    queue = f"script-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[execute.ScriptRun, execute.ScriptRun]:
        async with Worker(
            dev_env.client,
            task_queue=queue,
            workflows=[TestWorkflow, ChildTestWorkflow],
            activities=[activities.test_activity_execution, fake_database_operation],
        ):
            done = await execute.run_script(
                address(dev_env), "default", queue, 0.2, f"s-{uuid.uuid4().hex[:6]}", 60
            )
            # Nobody polls this queue: the script cannot finish in time and is killed.
            stuck = await execute.run_script(
                address(dev_env), "default", f"{queue}-idle", 0.2, "s-idle", 1.5
            )
        return done, stuck

    done, stuck = run(scenario())
    assert done.returncode == 0, done.stderr
    assert done.output is not None
    assert done.output["outcome"] == "WorkflowExecutionCompleted"
    assert (stuck.returncode, stuck.output) == (-9, None)
    assert "killed after 1.5s" in stuck.transcript()


def test_a_failed_start_fails_every_later_scenario_at_once(
    run: LoopRunner, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    harness_run = dev_run(dev_env, tmp_path)
    harness_run.endpoints.namespace = "no-such-namespace"
    fixture = TestWorker({})
    with pytest.raises(RPCError, match="Namespace no-such-namespace is not found"):
        run(fixture.ensure(harness_run))  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=r"did not start: RPCError: Namespace no-such"):
        run(fixture.ensure(harness_run))  # type: ignore[arg-type]
    fixture.close()
