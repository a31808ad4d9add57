"""Steps of the upgrade gates (features/upgrade.feature), on the @upgrade deployment.

Given a deployment of Temporal 1.30.8 with completed workflows and others in flight
Given a deployment of Temporal 1.30.8 with completed workflows
Given a deployment with completed workflows
When it is upgraded to Temporal 1.31.2, both schemas first
When Temporal 1.31.2 is started on its databases without updating their schemas
When its upgrade to Temporal 1.31.2 fails after the new release has started
When it is backed up and the backup is restored into a fresh deployment of the same versions
Then both schemas are at the versions Temporal 1.31.2 expects
And every completed workflow's history is unchanged
And Temporal's rows and the application's rows are unchanged
And every workflow in flight completes with its full history
And a new workflow runs to completion on it
And the upgraded UI shows the workflows that ran before the upgrade
Then it refuses with the server's schema-compatibility error
And the suite reports it as a version-compatibility issue naming both update-schema commands
And Temporal 1.30.8 serves every workflow unchanged once it is started again
Then the upgrade command restored the backup and started Temporal 1.30.8 again
Then every workflow of the source is there with an identical history
And a new workflow runs to completion on the restored deployment
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.checks import execution, stored
from temporal_acceptance.checks import upgrade as checks
from temporal_acceptance.checks.history import render
from temporal_acceptance.checks.served import served_differences, ui_view_problems
from temporal_acceptance.cli import main as cli
from temporal_acceptance.clients.endpoints import APP_DATABASE
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.core.versions import DEFAULT_TEMPORAL_VERSION
from temporal_acceptance.fixtures import upgrade_actions as hop
from temporal_acceptance.gates import persistence as gates
from temporal_acceptance.probes.served import read_served_async, read_ui_view
from temporal_acceptance.probes.stored import attachment
from temporal_acceptance.reporting.categories import categorize
from temporal_acceptance.workload import inflight

# How long an in-flight workflow may take to complete once the new release serves.
COMPLETION_TIMEOUT = 120.0
SIGNAL_TIMEOUT = 60.0


async def _deployment(context: Any, release: str, in_flight: bool) -> None:
    context.run = await context.upgrade.deployment_at(release)
    context.baseline = await context.upgrade.baseline(context.run, in_flight)
    expect(
        "the deployment before the change", context.baseline.problems, context.baseline.evidence()
    )


@given("a deployment of Temporal {release} with completed workflows and others in flight")
async def step_deployment_in_flight(context: Any, release: str) -> None:
    await _deployment(context, release, in_flight=True)


@given("a deployment of Temporal {release} with completed workflows")
async def step_deployment(context: Any, release: str) -> None:
    await _deployment(context, release, in_flight=False)


@given("a deployment with completed workflows")
async def step_any_deployment(context: Any) -> None:
    await _deployment(context, context.upgrade.release() or DEFAULT_TEMPORAL_VERSION, False)


# -- a hop -------------------------------------------------------------------------------


@when("it is upgraded to Temporal {release}, both schemas first")
def step_upgrade(context: Any, release: str) -> None:
    record = context.upgrade.upgrade(context.run, release).to_json()
    expect(f"the upgrade to {release}", checks.hop_problems(record), {"upgrade record": record})


@then("both schemas are at the versions Temporal {release} expects")
def step_schema_at(context: Any, release: str) -> None:
    problems, evidence = hop.schema_problems(context.run, release)
    expect(f"the schemas after the change to {release}", problems, evidence)


async def _after(context: Any) -> Any:
    """The second reading of the witness, rows and schemas (taken once)."""
    if getattr(context, "stored_after", None) is None:
        client, before = await context.run.client(), context.baseline.reading
        context.stored_after = await gates.reading(
            client, context.run.endpoints, before.witness, before
        )
        expect("the second reading", [], {"stored after": attachment(context.stored_after)})
    return context.stored_after


@then("every completed workflow's history is unchanged")
async def step_histories(context: Any) -> None:
    await _histories_unchanged(context)


async def _histories_unchanged(context: Any) -> None:
    after, endpoints = await _after(context), context.run.endpoints
    served = await read_served_async(endpoints.temporal_address, endpoints.namespace)
    problems = stored.history_changes(context.baseline.reading, after)
    problems += served_differences(context.baseline.served, served, "after the change")
    expect("the histories", problems, {"served after": served.to_json()})


@then("Temporal's rows and the application's rows are unchanged")
async def step_rows(context: Any) -> None:
    before, after = context.baseline.reading, await _after(context)
    expect("the rows", stored.row_changes(before, after) + stored.app_row_changes(before, after))


@then("every workflow in flight completes with its full history")
async def step_in_flight(context: Any) -> None:
    client, endpoints, pair = (
        await context.run.client(),
        context.run.endpoints,
        context.baseline.pair,
    )
    problems = await gates.signal_waiting(client, endpoints, pair, SIGNAL_TIMEOUT)
    problems += await gates.finished_whole(
        client, endpoints, pair.both, APP_DATABASE, COMPLETION_TIMEOUT
    )
    expect("in flight", problems, {"in flight, after completing": inflight.attachment(pair.both)})


@then("a new workflow runs to completion on it")
async def step_new_workflow(context: Any) -> None:
    record = await context.upgrade.new_workflow(context.run)
    problems = execution.result_problems(record, APP_DATABASE)
    expect("the new workflow", problems, {"new workflow": render(record.events)})


@then("the upgraded UI shows the workflows that ran before the upgrade")
def step_ui_shows(context: Any) -> None:
    stack, served = context.run.stack, context.baseline.served
    view = read_ui_view(stack.endpoints().ui_url, stack.endpoints().namespace, served)
    problems = ui_view_problems(served, view, stack.settings.ui_version)
    expect("the UI", problems, {"UI": {"version": view.version, "listed": len(view.listed)}})


# -- a newer release on the old schema ---------------------------------------------------------


@when("Temporal {release} is started on its databases without updating their schemas")
def step_start_on_old_schema(context: Any, release: str) -> None:
    context.refusal = context.upgrade.start_on_old_schema(context.run, release)
    expect(
        "the start", [], {"what it said": context.refusal.message, "its log": context.refusal.log}
    )


@then("it refuses with the server's schema-compatibility error")
def step_refuses(context: Any) -> None:
    refusal = context.refusal
    expect(
        f"Temporal {refusal.release}",
        checks.refused_problems(refusal.message, refusal.still_running),
    )


@then("the suite reports it as a version-compatibility issue naming both update-schema commands")
def step_reported(context: Any) -> None:
    refusal = context.refusal
    category = categorize("failed", refusal.message)
    problems = checks.reported_problems(refusal.message, category, refusal.commands)
    expect(
        "the report of the refusal", problems, {"the fix it must name": "\n".join(refusal.commands)}
    )


@then("Temporal {release} serves every workflow unchanged once it is started again")
async def step_serves_again(context: Any, release: str) -> None:
    context.upgrade.start_again(context.run, release)
    await _histories_unchanged(context)


# -- a failed hop, rolled back -------------------------------------------------------------


@when("its upgrade to Temporal {release} fails after the new release has started")
def step_failed_hop(context: Any, release: str) -> None:
    context.rollback = hop.drill(context.upgrade, context.run, release, cli.main)
    expect("the upgrade command", [], {"upgrade command": context.rollback.transcript})


@then("the upgrade command restored the backup and started Temporal {release} again")
async def step_rolled_back(context: Any, release: str) -> None:
    rollback, live = context.rollback, await hop.live_release(context.run)
    problems = checks.rollback_problems(rollback.record, rollback.exit_status, live, release)
    expect("the rollback", problems, {"upgrade record": rollback.record})


# -- a backup, restored -------------------------------------------------------------------------


@when("it is backed up and the backup is restored into a fresh deployment of the same versions")
async def step_backup_restore(context: Any) -> None:
    context.restored = await hop.backup_and_restore(context.upgrade, context.run, cli.main)
    expect(
        "backup and restore", context.restored.problems, {"commands": context.restored.transcript}
    )


@then("every workflow of the source is there with an identical history")
async def step_restored_identical(context: Any) -> None:
    endpoints = context.restored.run.endpoints
    served = await read_served_async(endpoints.temporal_address, endpoints.namespace)
    problems = served_differences(context.restored.source, served, "in the restored deployment")
    expect(
        "the restored deployment", problems, {"served by the restored deployment": served.to_json()}
    )


@then("a new workflow runs to completion on the restored deployment")
async def step_restored_new(context: Any) -> None:
    record = await context.upgrade.new_workflow(context.restored.run)
    problems = execution.result_problems(record, APP_DATABASE)
    expect(
        "a new workflow on the restored deployment",
        problems,
        {"new workflow": render(record.events)},
    )
