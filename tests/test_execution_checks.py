"""Result, query and execution-script checks on hand-made records (no server)."""

from __future__ import annotations

import dataclasses

import pytest
from history_builder import full_history

from temporal_acceptance.checks import execution
from temporal_acceptance.workload.activities import derive
from temporal_acceptance.workload.execute import (
    AFTER_COMPLETION,
    DURING_TIMER,
    WAITING_FOR_SIGNAL,
    ExecutionOptions,
    ExecutionRecord,
    QueryAnswer,
    ScriptRun,
)
from temporal_acceptance.workload.shared import (
    ChildResult,
    DatabaseRow,
    TestSignal,
    TestWorkflowResult,
    TimerOutcome,
    WorkflowStatus,
    child_reply,
)

OPTIONS = ExecutionOptions("wf-1", "q", message="m", timer_seconds=5.0, signal_payload="s")


def good_result() -> TestWorkflowResult:
    return TestWorkflowResult(
        workflow_id="wf-1",
        run_id="r",
        completed_stages=["activities", "timer", "child_workflow", "signal"],
        activity=derive("m"),
        database_row=DatabaseRow(
            1, "wf-1", "r", "m", "t", "acceptance_app", "workload_round_trips"
        ),
        timer=TimerOutcome(5.0, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:05.010+00:00"),
        child=ChildResult("wf-1-child", child_reply("m")),
        signal=TestSignal("s"),
    )


def record(result: TestWorkflowResult | None = None) -> ExecutionRecord:
    r = result or good_result()
    rec = ExecutionRecord("wf-1", "r", OPTIONS, "WorkflowExecutionCompleted", r)
    rec.events = full_history()
    rec.queries = {
        DURING_TIMER: QueryAnswer(
            DURING_TIMER,
            WorkflowStatus("timer", ["activities"], r.activity, r.database_row),
        ),
        WAITING_FOR_SIGNAL: QueryAnswer(
            WAITING_FOR_SIGNAL,
            WorkflowStatus(
                "signal",
                ["activities", "timer", "child_workflow"],
                r.activity,
                r.database_row,
                r.timer,
                r.child,
            ),
        ),
        AFTER_COMPLETION: QueryAnswer(
            AFTER_COMPLETION,
            WorkflowStatus(
                "completed",
                list(r.completed_stages),
                r.activity,
                r.database_row,
                r.timer,
                r.child,
                r.signal,
            ),
        ),
    }
    return rec


EXPECTED = [
    execution.QueryExpectation.parse("during the timer", "timer", "activity, database row"),
    execution.QueryExpectation.parse(
        "waiting for the signal", "signal", "activity, database row, timer, child"
    ),
    execution.QueryExpectation.parse(
        "after completion", "completed", "activity, database row, timer, child, signal"
    ),
]


def test_a_good_record_passes() -> None:
    rec = record()
    assert execution.result_problems(rec, "acceptance_app") == []
    assert execution.query_problems(rec, EXPECTED) == []
    assert rec.completed
    assert rec.workflow_seconds == pytest.approx(5.3, abs=0.01)
    out = rec.to_json()
    assert out["timings"]["overhead_seconds"] == pytest.approx(0.3, abs=0.02)
    assert out["history"][0].startswith("1 WorkflowExecutionStarted")


def test_every_wrong_result_field_is_named() -> None:
    bad = dataclasses.replace(
        good_result(),
        completed_stages=["activities"],
        activity=derive("other"),
        timer=TimerOutcome(4.0, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:03+00:00"),
        child=ChildResult("x", "y"),
        signal=TestSignal("z"),
    )
    problems = execution.result_problems(record(bad), "elsewhere")
    assert [p.split(":")[0] for p in problems] == [
        "completed stages",
        "activity result",
        "database row (workflow, run, payload, database)",
        "timer length",
        "the timer resumed after 3.000s, before its 5.0s",
        "child workflow id",
        "child reply",
        "signal payload",
    ]


def test_a_run_that_did_not_complete() -> None:
    rec = ExecutionRecord("wf-1", "r", OPTIONS, "WorkflowExecutionFailed", failure="boom")
    assert execution.result_problems(rec, "x") == [
        "workflow wf-1 did not complete: WorkflowExecutionFailed — boom"
    ]
    assert execution.query_problems(rec, EXPECTED[:1]) == [
        "during the timer: the workflow was never queried at this point"
    ]
    assert rec.workflow_seconds is None
    assert rec.to_json()["timings"]["workflow_seconds"] is None


def test_wrong_query_answers_are_named() -> None:
    rec = record()
    rec.queries[DURING_TIMER] = QueryAnswer(DURING_TIMER, error="RPCError: no worker")
    status = rec.queries[WAITING_FOR_SIGNAL].status
    assert status is not None
    status.stage = "timer"
    status.child = ChildResult("someone", "else")
    problems = execution.query_problems(rec, EXPECTED)
    assert problems == [
        "during the timer: the query failed: RPCError: no worker",
        "waiting for the signal: stage 'timer', expected 'signal'",
        "waiting for the signal: completed stages ['activities', 'timer', 'child_workflow'], "
        "expected ['activities']",
        "waiting for the signal: child ChildResult(child_workflow_id='someone', reply='else') "
        "differs from the result's ChildResult(child_workflow_id='wf-1-child', "
        "reply='child received: m')",
    ]
    status.signal = TestSignal("early")
    assert any("gathered" in p for p in execution.query_problems(rec, EXPECTED))


def test_query_expectations_reject_unknown_words() -> None:
    with pytest.raises(ValueError, match="unknown query point"):
        execution.QueryExpectation.parse("at lunch", "timer", "")
    with pytest.raises(ValueError, match="unknown gathered items"):
        execution.QueryExpectation.parse("during the timer", "timer", "activity, coffee")


def script(returncode: int = 0, **changes: object) -> ScriptRun:
    output = record().to_json()
    output.update(changes)
    return ScriptRun(["python", "-m", "x"], returncode, output, "")


def test_the_execution_script_output() -> None:
    assert execution.script_problems(script(), "wf-1", 5.0) == []
    assert execution.script_problems(script(), "wf-2", 5.0) == [
        "result for workflow 'wf-1', not 'wf-2'"
    ]
    failed = script(1, outcome="WorkflowExecutionFailed", failure="boom", result=None,
                    queries={}, timings={})  # fmt: skip
    problems = execution.script_problems(failed, "wf-1", 5.0)
    assert problems[0] == "exit 1, outcome 'WorkflowExecutionFailed': boom"
    assert len(problems) == 5
    silent = ScriptRun(["python"], 2, None, "error: cannot reach Temporal")
    assert execution.script_problems(silent, "wf-1", 1.0) == [
        "the script printed no JSON (exit 2): error: cannot reach Temporal"
    ]
    assert "exit status 2" in silent.transcript()
