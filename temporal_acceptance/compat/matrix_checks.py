"""What the @matrix scenarios check on each major's stack, and how the result becomes an
observation: the bring-up stages, then the outcome of every scenario step.

The 5-stage test workflow is one more check per major: `run_test_workflow` below is the
plug-in point for the workload package.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client

from temporal_acceptance.compat.matrix_run import MatrixStack
from temporal_acceptance.compat.observations import Check, CheckOutcome, Observation
from temporal_acceptance.stack.base import Endpoints

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


def observation_for(
    matrix_stack: MatrixStack,
    steps: Sequence[StepResult],
    live_postgres_version: str = "",
    today: str | None = None,
) -> Observation:
    """The observation of one major: bring-up stages first, then the scenario's checks."""
    return Observation(
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
    )


# ======================================================================================
# PLUG-IN POINT — the 5-stage test workflow (Phase 1/3 workload) as a matrix check.
# The workload package (temporal_acceptance.workload) is written on another branch. Once
# it is merged, WORKLOAD_ENTRY names the coroutine that starts a worker against the given
# stack, runs the test workflow through its five stages and returns a one-line summary.
# Until then this check raises WorkflowCheckUnavailable and the step is reported pending:
# the matrix says "not run", never "passed".
# ======================================================================================
WORKLOAD_ENTRY = ("temporal_acceptance.workload.execute", "run_for_matrix")


class WorkflowCheckUnavailable(Exception):
    """The workload package (or its matrix entry point) is not on this branch."""


def _workload_entry() -> Any:
    module_name, function_name = WORKLOAD_ENTRY
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise WorkflowCheckUnavailable(
            f"the 5-stage test workflow is not available: {module_name} is not on this "
            "branch (the workload package is merged separately)"
        ) from exc
    entry = getattr(module, function_name, None)
    if entry is None:
        raise WorkflowCheckUnavailable(
            f"the 5-stage test workflow is not available: {module_name} has no "
            f"{function_name}() to run it against a matrix stack"
        )
    return entry


async def run_test_workflow(client: Client, endpoints: Endpoints, log_dir: str) -> str:
    """Run the 5-stage test workflow on a matrix stack; a one-line summary of its stages."""
    entry = _workload_entry()
    summary = await entry(client=client, endpoints=endpoints, log_dir=log_dir)
    return str(summary)
