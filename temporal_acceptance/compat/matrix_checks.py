"""What the @matrix scenarios check on each major's stack, and how the result becomes an
observation: the bring-up stages, then the outcome of every scenario step.

The 5-stage test workflow is one more check per major (`workflow_check` below).
"""

from __future__ import annotations

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
from temporal_acceptance.workload.driver import WorkerDriver
from temporal_acceptance.workload.execute import ExecutionOptions
from temporal_acceptance.workload.execute import run_test_workflow as execute_test_workflow
from temporal_acceptance.workload.fixture import START_TIMEOUT, spec_for

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


GENERATED = ("docs/COMPATIBILITY.md", "docs/compatibility-observations.json")


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
    # The matrix run itself rewrites the observations and the document: not a code change.
    changed = git("status", "--porcelain", "--", ".", *(f":!{path}" for path in GENERATED))
    return revision + (" + local changes" if changed else "")


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
# The 5-stage test workflow (the workload package) as one more check per major: a worker of
# this run's own (own task queue and identity, fixture.spec_for), run as a process by the
# worker driver, and one end-to-end execution of TestWorkflow (execute.run_test_workflow).
# ======================================================================================


@dataclass(frozen=True)
class WorkflowOutcome:
    completed: bool
    summary: str  # one line for the observation
    evidence: dict[str, Any]  # the execution record, for the report
    seconds: float  # worker start, the execution (its timer included) and worker stop


async def run_test_workflow(run: Run) -> WorkflowOutcome:
    """Start a worker of this run's own against the stack, run the test workflow once end
    to end, stop the worker; the outcome says whether all five stages completed."""
    started = time.monotonic()
    client = await run.client()
    driver = WorkerDriver(spec_for(run, APP_DATABASE, uuid.uuid4().hex[:8]))
    try:
        await driver.start(client)
        await driver.wait_polling(client, START_TIMEOUT)
        options = ExecutionOptions(task_queue=driver.spec.task_queue)
        record = await execute_test_workflow(client, options)
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
