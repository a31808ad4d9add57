"""Steps about version compatibility (Phase 6): the deploy command's decision, live version
detection, and the @matrix run over PostgreSQL majors.

When a deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested
When a deployment of Temporal "<t>" on PostgreSQL "<p>" is requested with the version check forced
When a real deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested
Then the deploy command <outcome>
And the user sees "<message>"
And the advice is "<advice>"
And nothing was created or started for that deployment
Given a deployment whose data was written by Temporal "<written>"
When Temporal "<requested>" is requested for it with the deploy command (or: the upgrade command)
When the versions are detected from the live servers
Then they are the versions the deployment was asked for
And the compatibility decision for them is recorded with the deployment
Given a fresh native stack on PostgreSQL <major> for the matrix
Then the live PostgreSQL server reports major version <major>
And the visibility database has what advanced visibility needs
And the 5-stage test workflow completes on that stack
"""

from __future__ import annotations

import shutil
from typing import Any

from behave import given, then, use_fixture, when

from temporal_acceptance.checks import deploy_command as checks
from temporal_acceptance.checks.deployment import missing_problems
from temporal_acceptance.checks.execution import not_completed
from temporal_acceptance.cli import main as cli
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.fixtures.matrix import matrix_fixture, workflow_on
from temporal_acceptance.probes import deploy_command as probe
from temporal_acceptance.probes.database import installed_extensions, live_postgres, read_functions
from temporal_acceptance.probes.versions import live_versions
from temporal_acceptance.stack.deploy import recorded

# ---------------------------------------------------------------- the deploy command


def _request(context: Any, temporal: str, postgres: str, forced: bool) -> None:
    context.deployment = probe.throwaway_deployment()
    argv = probe.deploy_argv(temporal, postgres, context.deployment.state_dir, forced)
    context.deploy_result = probe.dry_run(cli.main, argv)
    expect(
        "the deploy command", [], {"deploy command (dry run)": context.deploy_result.transcript()}
    )


@when('a deployment of Temporal "{temporal}" on PostgreSQL "{postgres}" is requested')
def step_request_deployment(context: Any, temporal: str, postgres: str) -> None:
    _request(context, temporal, postgres, forced=False)


@when(
    'a deployment of Temporal "{temporal}" on PostgreSQL "{postgres}" is requested '
    "with the version check forced"
)
def step_request_forced_deployment(context: Any, temporal: str, postgres: str) -> None:
    _request(context, temporal, postgres, forced=True)


@when('a real deployment of Temporal "{temporal}" on PostgreSQL "{postgres}" is requested')
def step_request_real_deployment(context: Any, temporal: str, postgres: str) -> None:
    context.deployment = probe.throwaway_deployment()
    argv = probe.deploy_argv(temporal, postgres, context.deployment.state_dir)
    context.deploy_result = probe.real_run([*argv, *context.deployment.port_flags()])
    expect("the deploy command", [], {"deploy command": context.deploy_result.transcript()})


@given('a deployment whose data was written by Temporal "{release}"')
def step_recorded_deployment(context: Any, release: str) -> None:
    context.recorded_state_dir = probe.recorded_deployment(release)
    context.add_cleanup(shutil.rmtree, context.recorded_state_dir, True)


@when('Temporal "{release}" is requested for it with the {command} command')
def step_request_release(context: Any, release: str, command: str) -> None:
    argv = probe.release_argv(command, release, context.recorded_state_dir)
    context.deploy_result = probe.dry_run(cli.main, argv)
    expect(f"the {command} command", [], {"command (dry run)": context.deploy_result.transcript()})


@then("the deploy command {outcome}")
def step_deploy_outcome(context: Any, outcome: str) -> None:
    expect(f"expected it {outcome}", checks.outcome_problems(context.deploy_result, outcome))


@then('the user sees "{message}"')
def step_user_sees(context: Any, message: str) -> None:
    expect("what the user saw", checks.message_problems(context.deploy_result, message))


@then('the advice is "{advice}"')
def step_advice(context: Any, advice: str) -> None:
    expect("the advice", checks.advice_problems(context.deploy_result, advice))


@then("nothing was created or started for that deployment")
def step_nothing_started(context: Any) -> None:
    found = probe.leftovers(context.deployment.state_dir, context.deployment.ports())
    expect("the refused deployment", checks.leftover_problems(found))


# ---------------------------------------------------------------- live detection


@when("the versions are detected from the live servers")
async def step_detect_versions(context: Any) -> None:
    log = QueryLog()
    context.live = await live_versions(await context.run.client(), context.run.endpoints, log)
    expect("version detection", [], {"live version detection": context.live.describe(log)})


@then("they are the versions the deployment was asked for")
def step_versions_as_requested(context: Any) -> None:
    expect("the live servers' versions", context.live.mismatches(context.run.stack.settings))


@then("the compatibility decision for them is recorded with the deployment")
def step_decision_recorded(context: Any) -> None:
    settings, live = context.run.stack.settings, context.live
    record = recorded(settings.state_dir)
    expected = decide(live.temporal, live.postgres.major, settings.force_version)
    problems = checks.recorded_decision_problems(
        record, expected, f"{settings.state_dir}/stack.json"
    )
    expect(
        "the recorded decision",
        problems,
        {"compatibility decision recorded with the deployment": record or {}},
    )


# ---------------------------------------------------------------- the @matrix run


@given("a fresh native stack on PostgreSQL {major:d} for the matrix")
def step_matrix_stack(context: Any, major: int) -> None:
    context.matrix_stack = use_fixture(matrix_fixture, context, major)


@then("the live PostgreSQL server reports major version {major:d}")
def step_live_major(context: Any, major: int) -> None:
    found = live_postgres(context.run.endpoints, QueryLog())
    context.matrix_stack.live_version = found.version
    problems = [] if found.major == major else [f"it reports {found.version!r}, not {major}"]
    expect("the live PostgreSQL server", problems, {"PostgreSQL version": found.version})


@then("the visibility database has what advanced visibility needs")
def step_visibility_prerequisites(context: Any) -> None:
    expected, endpoints, log = (
        context.run.stack.expected_schema(),
        context.run.endpoints,
        QueryLog(),
    )
    visibility = endpoints.visibility_database
    extensions = installed_extensions(endpoints, visibility, log)
    functions = read_functions(endpoints, visibility, log)
    problems = missing_problems("extensions", expected.visibility_extensions, extensions)
    problems += missing_problems("helper functions", expected.visibility_functions, functions)
    needed = [*expected.visibility_extensions, *expected.visibility_functions]
    expect(
        visibility,
        problems,
        {
            "what this release's visibility schema installs": "\n".join(needed) or "(unknown)",
            f"extensions and functions in {visibility}": log,
        },
    )


@then("the 5-stage test workflow completes on that stack")
async def step_matrix_workflow(context: Any) -> None:
    record = await workflow_on(context.run, context.matrix_stack)
    expect("the test workflow", not_completed(record), {"5-stage test workflow": record.to_json()})
