"""Steps about version compatibility (Phase 6): the deploy command's decision, live version
detection, and the @matrix run over PostgreSQL majors.

When a deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested <how>
When a real deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested
Then the deploy command <outcome>
And the user sees "<message>"
And the advice is "<advice>"
And nothing was created or started for that deployment
When the versions are detected from the live servers
Then they are the versions the deployment was asked for
And the compatibility decision for them is recorded with the deployment
Given a fresh native stack on PostgreSQL <major> for the matrix
Then the live PostgreSQL server reports major version <major>
And the "<database>" database has the "<extension>" extension
And the 5-stage test workflow completes on that stack
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.checks.database import QueryLog
from temporal_acceptance.compat import probe
from temporal_acceptance.compat.detect import live_versions
from temporal_acceptance.compat.matrix_checks import workflow_check
from temporal_acceptance.compat.matrix_session import (
    borrow_stack,
    installed_extensions,
    live_postgres,
)
from temporal_acceptance.compat.probe import recorded_decision, throwaway_deployment
from temporal_acceptance.reporting.attach import attach_json, attach_text

# ---------------------------------------------------------------- the deploy command


@when('a deployment of Temporal "{temporal}" on PostgreSQL "{postgres}" is requested {how}')
def step_request_deployment(context: Any, temporal: str, postgres: str, how: str) -> None:
    context.deployment = throwaway_deployment()
    argv = probe.deploy_argv(temporal, postgres, how, context.deployment.state_dir)
    context.deploy_result = probe.dry_run(argv)
    attach_text("deploy command (dry run)", context.deploy_result.transcript())


@when('a real deployment of Temporal "{temporal}" on PostgreSQL "{postgres}" is requested')
def step_request_real_deployment(context: Any, temporal: str, postgres: str) -> None:
    context.deployment = throwaway_deployment()
    argv = probe.deploy_argv(temporal, postgres, probe.AS_IS_WORDS, context.deployment.state_dir)
    context.deploy_result = probe.real_run([*argv, *context.deployment.port_flags()])
    attach_text("deploy command", context.deploy_result.transcript())


@then("the deploy command {outcome}")
def step_deploy_outcome(context: Any, outcome: str) -> None:
    problems = probe.outcome_problems(context.deploy_result, outcome)
    assert not problems, f"expected it {outcome}: " + "; ".join(problems)


@then('the user sees "{message}"')
def step_user_sees(context: Any, message: str) -> None:
    output = context.deploy_result.output
    assert message in output, f"the user was not told {message!r}; they saw:\n{output}"


@then('the advice is "{advice}"')
def step_advice(context: Any, advice: str) -> None:
    problem = probe.advice_problem(context.deploy_result, advice)
    assert problem is None, problem


@then("nothing was created or started for that deployment")
def step_nothing_started(context: Any) -> None:
    found = probe.leftovers(context.deployment.state_dir, context.deployment.ports())
    assert not found, f"a refused deployment left things behind: {found}"


# ---------------------------------------------------------------- live detection


@when("the versions are detected from the live servers")
async def step_detect_versions(context: Any) -> None:
    log = QueryLog()
    context.live = await live_versions(await context.run.client(), context.run.endpoints, log)
    attach_text("live version detection", context.live.describe(log))


@then("they are the versions the deployment was asked for")
def step_versions_as_requested(context: Any) -> None:
    mismatches = context.live.mismatches(context.run.stack.settings)
    assert not mismatches, "the live servers run other versions: " + "; ".join(mismatches)


@then("the compatibility decision for them is recorded with the deployment")
def step_decision_recorded(context: Any) -> None:
    record = recorded_decision(context.run.stack.settings, context.live)
    attach_json("compatibility decision recorded with the deployment", record)


# ---------------------------------------------------------------- the @matrix run


@given("a fresh native stack on PostgreSQL {major:d} for the matrix")
def step_matrix_stack(context: Any, major: int) -> None:
    context.matrix_stack = borrow_stack(context, major)


@then("the live PostgreSQL server reports major version {major:d}")
def step_live_major(context: Any, major: int) -> None:
    log = QueryLog()
    found = live_postgres(context.run.endpoints, log)
    context.matrix_stack.live_version = attach_text("PostgreSQL version", found.version)
    assert found.major == major, f"the server reports {found.version!r}, not major {major}"


@then('the "{database}" database has the "{extension}" extension')
def step_extension_installed(context: Any, database: str, extension: str) -> None:
    log = QueryLog()
    installed = installed_extensions(context.run.endpoints, database, log)
    attach_text(f"extensions in {database}", "\n\n".join(e.render() for e in log.entries))
    assert extension in installed, f"{database} lacks {extension}; installed: {sorted(installed)}"


@then("the 5-stage test workflow completes on that stack")
async def step_matrix_workflow(context: Any) -> None:
    outcome = await workflow_check(context.run, context.matrix_stack)
    attach_json("5-stage test workflow", outcome.evidence)
    assert outcome.completed, f"the test workflow did not complete: {outcome.summary}"
