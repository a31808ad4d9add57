"""What the @matrix scenarios check on each major's stack, and how the result becomes an
observation: the bring-up stages, then the outcome of every scenario step.

The 5-stage test workflow is one more check per major: `run_test_workflow` below is the
plug-in point for the workload package.
"""

from __future__ import annotations

import importlib
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporal_acceptance.compat.matrix_run import MatrixStack
from temporal_acceptance.compat.observations import Check, CheckOutcome, Observation
from temporal_acceptance.harness import Run
from temporal_acceptance.stack.base import APP_DATABASE

# behave step statuses (Status.name) → what the observation records.
_PASSED = {"passed"}
_FAILED = {"failed", "error", "hook_error", "undefined"}
_PENDING = {"pending", "pending_warn"}


@dataclass(frozen=True)
class StepResult:
    """A scenario step as behave left it (name, status name, error message)."""

    name: str
    status: str
    error: str = ""


def check_from_step(step: StepResult) -> Check:
    if step.status in _PASSED:
        return Check(step.name, CheckOutcome.PASSED)
    if step.status in _PENDING:
        return Check(step.name, CheckOutcome.NOT_RUN, _first_line(step.error) or "pending")
    if step.status in _FAILED:
        return Check(step.name, CheckOutcome.FAILED, _first_line(step.error) or step.status)
    return Check(step.name, CheckOutcome.NOT_RUN, "not reached: an earlier step did not pass")


def _first_line(text: str) -> str:
    """The line that says what went wrong: an assertion's first line, a traceback's last."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return line[:400]


def suite_revision(cwd: Path | None = None) -> str:
    """The git revision of the suite that ran ('abc1234', '+ local changes' when dirty)."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=10
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    revision = git("rev-parse", "--short", "HEAD")
    if not revision:
        return "unknown (not a git checkout)"
    return revision + (" + local changes" if git("status", "--porcelain") else "")


def observation_for(
    matrix_stack: MatrixStack,
    steps: Sequence[StepResult],
    live_postgres_version: str = "",
    today: str | None = None,
    suite: str = "",
    scrub: Callable[[str], str] = str,
) -> Observation:
    """The observation of one major: bring-up stages first, then the scenario's checks.
    `scrub` redacts the details (the observations file is committed: no secrets in it)."""
    observation = Observation(
        temporal_version=matrix_stack.settings.temporal_version,
        postgres_major=matrix_stack.major,
        postgres_version=live_postgres_version,
        postgres_build=matrix_stack.postgres_build,
        observed_on=today or datetime.now(UTC).date().isoformat(),
        checks=(
            *matrix_stack.stages,
            *(check_from_step(step) for step in steps),
            *([matrix_stack.teardown] if matrix_stack.teardown else []),
        ),
        seconds=dict(matrix_stack.seconds),
        suite=suite,
    )
    checks = tuple(replace(c, detail=scrub(c.detail)) for c in observation.checks)
    return replace(observation, checks=checks)


# ======================================================================================
# PLUG-IN POINT — the 5-stage test workflow (Phase 1/3 workload) as one more matrix check.
# The workload package (temporal_acceptance.workload) comes from another branch. This
# adapter uses its API as of that branch's commit 040710b: fixture.spec_for() for a worker
# of this run's own (own task queue), driver.WorkerDriver to run it as a process, and
# execute.run_test_workflow() for one end-to-end execution. Anything missing raises
# WorkflowCheckUnavailable and the step is reported pending: the matrix then says
# "not run", never "passed".
# ======================================================================================
WORKLOAD_API = {
    "temporal_acceptance.workload.fixture": ("spec_for", "START_TIMEOUT"),
    "temporal_acceptance.workload.driver": ("WorkerDriver",),
    "temporal_acceptance.workload.execute": ("ExecutionOptions", "run_test_workflow"),
}


class WorkflowCheckUnavailable(Exception):
    """The workload package (or a part of its API this check uses) is not on this branch."""


def workload_api() -> dict[str, Any]:
    """The workload functions this check needs, by name; raises WorkflowCheckUnavailable."""
    found: dict[str, Any] = {}
    for module_name, names in WORKLOAD_API.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise WorkflowCheckUnavailable(
                f"the 5-stage test workflow is not available: {module_name} is not on this "
                "branch (the workload package is merged separately)"
            ) from exc
        for name in names:
            if not hasattr(module, name):
                raise WorkflowCheckUnavailable(
                    f"the 5-stage test workflow is not available: {module_name}.{name} is "
                    "missing (the workload API changed: update compat/matrix_checks.py)"
                )
            found[name] = getattr(module, name)
    return found


@dataclass(frozen=True)
class WorkflowOutcome:
    completed: bool
    summary: str  # one line for the observation
    evidence: dict[str, Any]  # the execution record, for the report
    seconds: float  # worker start, the execution (its timer included) and worker stop


async def run_test_workflow(run: Run) -> WorkflowOutcome:
    """Start a worker of this run's own against the stack, run the test workflow once end
    to end, stop the worker; the outcome says whether all five stages completed."""
    api = workload_api()
    started = time.monotonic()
    client = await run.client()
    driver = api["WorkerDriver"](api["spec_for"](run, APP_DATABASE, uuid.uuid4().hex[:8]))
    try:
        await driver.start(client)
        await driver.wait_polling(client, api["START_TIMEOUT"])
        options = api["ExecutionOptions"](task_queue=driver.spec.task_queue)
        record = await api["run_test_workflow"](client, options)
    finally:
        driver.close()
    evidence = record.to_json()
    stages = evidence.get("result", {}) or {}
    summary = (
        f"{record.outcome or 'no closing event'}; stages completed: "
        f"{', '.join(stages.get('completed_stages', [])) or 'none'}"
        + (f"; failure: {record.failure}" if record.failure else "")
    )
    seconds = round(time.monotonic() - started, 1)
    return WorkflowOutcome(bool(record.completed), summary, evidence, seconds)


async def workflow_check(run: Run, matrix_stack: MatrixStack) -> WorkflowOutcome:
    """The matrix's workflow check: run it and keep its duration with the observation."""
    outcome = await run_test_workflow(run)
    matrix_stack.seconds["workflow"] = outcome.seconds
    return outcome
