"""Does a test-workflow run say what it should? Its result and its `get_status` answers,
checked against values recomputed from its input (never against the run's own claims).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_acceptance.workload.activities import derive
from temporal_acceptance.workload.execute import (
    AFTER_COMPLETION,
    DURING_TIMER,
    WAITING_FOR_SIGNAL,
    ExecutionRecord,
    ScriptRun,
)
from temporal_acceptance.workload.shared import (
    STAGE_ACTIVITIES,
    STAGE_CHILD,
    STAGE_COMPLETED,
    STAGE_SIGNAL,
    STAGE_TIMER,
    TestWorkflowResult,
    WorkflowStatus,
    child_reply,
)

ORDERED_STAGES = [STAGE_ACTIVITIES, STAGE_TIMER, STAGE_CHILD, STAGE_SIGNAL, STAGE_COMPLETED]
# How the feature names the points at which the workflow is queried.
QUERY_POINTS = {
    "during the timer": DURING_TIMER,
    "waiting for the signal": WAITING_FOR_SIGNAL,
    "after completion": AFTER_COMPLETION,
}
# What `get_status` can have gathered, by the feature's word for it.
GATHERED = {
    "activity": "activity",
    "database row": "database_row",
    "timer": "timer",
    "child": "child",
    "signal": "signal",
}


def not_completed(record: ExecutionRecord) -> list[str]:
    if record.completed:
        return []
    return [
        f"workflow {record.workflow_id} did not complete: {record.outcome or 'no history'}"
        + (f" — {record.failure}" if record.failure else "")
    ]


def result_problems(record: ExecutionRecord, app_database: str) -> list[str]:
    """The result carries every stage's output, each equal to what its input implies."""
    result = record.result
    if (problems := not_completed(record)) or result is None:
        return problems
    options = record.options
    problems = []

    def expect(what: str, seen: object, wanted: object) -> None:
        if seen != wanted:
            problems.append(f"{what}: expected {wanted!r}, got {seen!r}")

    expect("completed stages", result.completed_stages, ORDERED_STAGES[:-1])
    expect("activity result", result.activity, derive(options.message))
    row = result.database_row
    expect(
        "database row (workflow, run, payload, database)",
        (row.workflow_id, row.run_id, row.payload, row.database),
        (record.workflow_id, record.run_id, options.message, app_database),
    )
    expect("timer length", result.timer.seconds, options.timer_seconds)
    waited = (
        datetime.fromisoformat(result.timer.fired_at)
        - datetime.fromisoformat(result.timer.started_at)
    ).total_seconds()
    if waited < options.timer_seconds:
        problems.append(
            f"the timer resumed after {waited:.3f}s, before its {options.timer_seconds}s"
        )
    expect("child workflow id", result.child.child_workflow_id, f"{record.workflow_id}-child")
    expect("child reply", result.child.reply, child_reply(options.message))
    expect("signal payload", result.signal.payload, options.signal_payload)
    return problems


@dataclass(frozen=True)
class QueryExpectation:
    point: str  # the feature's words: "during the timer", ...
    stage: str
    gathered: frozenset[str]  # the feature's words: "activity", "database row", ...

    @classmethod
    def parse(cls, point: str, stage: str, gathered: str) -> QueryExpectation:
        if point not in QUERY_POINTS:
            raise ValueError(f"unknown query point {point!r}; known: {list(QUERY_POINTS)}")
        items = frozenset(item.strip() for item in gathered.split(",") if item.strip())
        unknown = sorted(items - set(GATHERED))
        if unknown:
            raise ValueError(f"unknown gathered items {unknown}; known: {list(GATHERED)}")
        return cls(point, stage.strip(), items)


def gathered_items(status: WorkflowStatus) -> frozenset[str]:
    return frozenset(word for word, attr in GATHERED.items() if getattr(status, attr) is not None)


def query_problems(record: ExecutionRecord, expectations: Sequence[QueryExpectation]) -> list[str]:
    """At each point the query named the right stage, had gathered exactly what it should,
    and what it had gathered equals what the workflow finally returned."""
    problems: list[str] = []
    for expected in expectations:
        answer = record.queries.get(QUERY_POINTS[expected.point])
        where = f"{expected.point}"
        if answer is None:
            problems.append(f"{where}: the workflow was never queried at this point")
            continue
        if answer.status is None:
            problems.append(f"{where}: the query failed: {answer.error}")
            continue
        status = answer.status
        if status.stage != expected.stage:
            problems.append(f"{where}: stage {status.stage!r}, expected {expected.stage!r}")
        seen = gathered_items(status)
        if seen != expected.gathered:
            problems.append(
                f"{where}: gathered {sorted(seen)}, expected {sorted(expected.gathered)}"
            )
        if status.stage in ORDERED_STAGES:
            before = ORDERED_STAGES[: ORDERED_STAGES.index(status.stage)]
            if status.completed_stages != before:
                problems.append(
                    f"{where}: completed stages {status.completed_stages}, expected {before}"
                )
        if record.result is not None:
            problems += _agrees_with_result(where, status, record.result)
    return problems


def _agrees_with_result(
    where: str, status: WorkflowStatus, result: TestWorkflowResult
) -> list[str]:
    problems = []
    for word, attr in GATHERED.items():
        value = getattr(status, attr)
        if value is not None and value != getattr(result, attr):
            problems.append(
                f"{where}: {word} {value!r} differs from the result's {getattr(result, attr)!r}"
            )
    return problems


def script_problems(script: ScriptRun, workflow_id: str, timer_seconds: float) -> list[str]:
    """The execution script, run as a user runs it, completed the workflow and printed the
    result, the query answers and the timings as JSON."""
    if script.output is None:
        return [f"the script printed no JSON (exit {script.returncode}): {script.stderr[-500:]}"]
    out = script.output
    problems = []
    if script.returncode != 0 or out.get("outcome") != "WorkflowExecutionCompleted":
        problems.append(
            f"exit {script.returncode}, outcome {out.get('outcome')!r}: "
            f"{out.get('failure') or script.stderr.strip()[-500:]}"
        )
    result = out.get("result") or {}
    if result.get("workflow_id") != workflow_id:
        problems.append(f"result for workflow {result.get('workflow_id')!r}, not {workflow_id!r}")
    if result.get("completed_stages") != ORDERED_STAGES[:-1]:
        problems.append(f"completed stages {result.get('completed_stages')!r}")
    stages = {
        point: (answer or {}).get("stage")
        for point, answer in out.get("queries", {}).items()
        if isinstance(answer, dict)
    }
    wanted = {
        DURING_TIMER: STAGE_TIMER,
        WAITING_FOR_SIGNAL: STAGE_SIGNAL,
        AFTER_COMPLETION: STAGE_COMPLETED,
    }
    if stages != wanted:
        problems.append(f"query answers by point {stages}, expected {wanted}")
    seconds = (out.get("timings") or {}).get("workflow_seconds")
    if not isinstance(seconds, int | float) or seconds < timer_seconds:
        problems.append(f"workflow_seconds {seconds!r} is not at least the {timer_seconds}s timer")
    return problems
