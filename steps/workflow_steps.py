"""Steps that run the test workflow and read what it did: history, result, queries, logs.

When the test workflow runs to completion with a 5 second timer
When the execution script runs the test workflow with a 1 second timer
Then these activities completed on the test worker:
Then its history shows these stages in order:
And the timer fired after its full duration, and at most 2 seconds late
And the result reports every stage with what it produced
Then the status query answered at each point:
Then the script printed the completed workflow's result
Then the server, database and worker logs show no errors during the scenario
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from behave import then, when

from temporal_acceptance.checks import execution, history
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.gates.logs import scan_logs
from temporal_acceptance.stack.base import Service
from temporal_acceptance.workload.execute import ExecutionOptions, run_script, run_test_workflow
from temporal_acceptance.workload.shared import new_workflow_id

# The services whose logs the Phase 3 "no errors in logs" gate reads (the worker's too).
SERVER_LOGS = (Service.TEMPORAL, Service.POSTGRES)


def _workflow_id(context: Any) -> str:
    return new_workflow_id(context.feature.name.lower().replace(" ", "-"))


def _require_worker(context: Any) -> None:
    context.worker.require_alive()
    worker = context.worker.driver
    expect("cannot run the workflow", [] if worker.running() else [worker.describe_state()])


@when("the test workflow runs to completion with a {seconds:g} second timer")
async def step_run_workflow(context: Any, seconds: float) -> None:
    _require_worker(context)
    options = ExecutionOptions(
        _workflow_id(context), context.worker.driver.spec.task_queue, timer_seconds=seconds
    )
    client = await context.run.client()
    context.execution = await context.worker.needed(run_test_workflow(client, options))
    expect(
        "the workflow run",
        [],
        {
            "execution": context.execution.to_json(),
            "workflow history": history.render(context.execution.events),
        },
    )


@when("the execution script runs the test workflow with a {seconds:g} second timer")
async def step_run_script(context: Any, seconds: float) -> None:
    _require_worker(context)
    run, spec = context.run, context.worker.driver.spec
    context.script_workflow_id, context.script_timer = _workflow_id(context), seconds
    context.script = await context.worker.needed(
        run_script(
            run.endpoints.temporal_address,
            run.endpoints.namespace,
            spec.task_queue,
            seconds,
            context.script_workflow_id,
            timeout=seconds + 90,
            tls=run.endpoints.frontend_tls,
        )
    )
    expect("the execution script", [], {"execution script": context.script.transcript()})


@then("these activities completed on the test worker:")
def step_activities_on_worker(context: Any) -> None:
    names = [row["activity"] for row in context.table]
    problems = history.activity_problems(
        context.execution.events, names, context.worker.driver.spec.identity
    )
    expect("activities on the test worker", problems)


@then("its history shows these stages in order:")
def step_history_stages(context: Any) -> None:
    stages = [row["stage"] for row in context.table]
    problems = history.stage_order_problems(context.execution.events, stages)
    expect(f"history of {context.execution.workflow_id}", problems)


@then("the timer fired after its full duration, and at most {late:g} seconds late")
def step_timer_gap(context: Any, late: float) -> None:
    duration = timedelta(seconds=context.execution.options.timer_seconds)
    problems = history.timer_problems(context.execution.events, duration, timedelta(seconds=late))
    expect("the timer", problems)


@then("the result reports every stage with what it produced")
def step_result_content(context: Any) -> None:
    problems = execution.result_problems(context.execution, context.worker.app_database)
    expect(f"result of {context.execution.workflow_id}", problems)


@then("the status query answered at each point:")
def step_query_answers(context: Any) -> None:
    expected = [
        execution.QueryExpectation.parse(r["point"], r["stage"], r["gathered"])
        for r in context.table
    ]
    problems = execution.not_completed(context.execution) + execution.query_problems(
        context.execution, expected
    )
    expect("get_status answers", problems)


@then("the script printed the completed workflow's result")
def step_script_result(context: Any) -> None:
    problems = execution.script_problems(
        context.script, context.script_workflow_id, context.script_timer
    )
    expect(
        "the execution script", problems, {"execution script output": context.script.output or {}}
    )


@then("the server, database and worker logs show no errors during the scenario")
async def step_logs_clean(context: Any) -> None:
    run, since, worker = context.run, context.scenario_window.started, context.worker.driver
    result, markers = await scan_logs(
        run.stack,
        await run.client(),
        run.endpoints,
        SERVER_LOGS,
        since,
        {"worker": worker.log_lines},
    )
    evidence = f"window {since.isoformat()} → now\nmarkers: {markers}\n{result.summary()}"
    expect("the logs", result.problems(), {"log scan": evidence})
