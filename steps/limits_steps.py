"""Steps at the deployment's limits: custom search attributes and payload sizes.

Given a namespace of the suite's own for custom search attributes of every type
Given a namespace of the suite's own for reaching the search attribute limit
When one search attribute of each type is created in it:
Then a workflow started with all of them set is found by a list query filtering on them
When as many Text search attributes are created as the visibility store has room for
Then one more is refused with Temporal's own error naming the limit
When the test workflow for payloads runs with an input 64 KiB under the configured limit
Then it completes and returns the size of its input
When the test workflow for payloads is started with an input 64 KiB over the configured limit
Then the start is refused with Temporal's own size error
And the server still reports every role healthy and serving
"""

from __future__ import annotations

from typing import Any

from behave import given, then, use_fixture, when

from temporal_acceptance.checks import limits as checks
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.fixtures.limits import changes_allowed, search_attribute_space
from temporal_acceptance.gates import cluster
from temporal_acceptance.stack.facts import DEFAULT_BLOB_SIZE_LIMIT
from temporal_acceptance.workload import limits

KIB = 1024


NAMESPACES = {
    "custom search attributes of every type": limits.EACH_TYPE_NAMESPACE,
    "reaching the search attribute limit": limits.LIMIT_NAMESPACE,
}


@given("a namespace of the suite's own for {purpose}")
def step_sa_namespace(context: Any, purpose: str) -> None:
    if reason := changes_allowed(context.run.stack):
        return context.scenario.skip(reason)  # type: ignore[no-any-return]
    context.space = use_fixture(search_attribute_space, context, NAMESPACES[purpose])
    slots = checks.slots_per_type(context.run.stack.expected_schema().search_attribute_columns)
    expect("search attributes", [], {"the SQL visibility store's attributes per type": slots})


@when("one search attribute of each type is created in it:")
async def step_sa_each_type(context: Any) -> None:
    kinds = [row["type"] for row in context.table]
    names = {limits.attribute_name(kind): kind for kind in kinds}
    refusal = await limits.add_attributes(context.space, names)
    expect("search attributes", checks.created_problems(context.space, kinds, refusal))


@then("a workflow started with all of them set is found by a list query filtering on them")
async def step_sa_found(context: Any) -> None:
    await limits.start_and_find(context.space)
    expect(
        "the list query",
        checks.found_problems(context.space),
        {"search attributes": context.space.render()},
    )


@when("as many {kind} search attributes are created as the visibility store has room for")
async def step_sa_fill(context: Any, kind: str) -> None:
    slots = checks.slots_per_type(context.run.stack.expected_schema().search_attribute_columns)
    context.sa_kind, context.sa_slots = kind, slots.get(kind, 0)
    context.sa_fitting = await limits.add_attributes(
        context.space, limits.attribute_names(kind, context.sa_slots)
    )


@then("one more is refused with Temporal's own error naming the limit")
async def step_sa_one_more(context: Any) -> None:
    kind, slots = context.sa_kind, context.sa_slots
    extra = await limits.add_attributes(
        context.space, {limits.attribute_name(kind, slots + 1): kind}
    )
    problems = checks.limit_problems(kind, slots, context.sa_fitting, extra)
    expect(f"the {kind} limit", problems, {"Temporal's answer to one more": extra or "(accepted)"})


def _limit(context: Any) -> int:
    return context.run.stack.temporal_facts().blob_size_limit or DEFAULT_BLOB_SIZE_LIMIT


@when(
    "the test workflow for payloads runs with an input {margin:d} KiB {side} the configured limit"
)
async def step_payload(context: Any, margin: int, side: str) -> None:
    size = _limit(context) + (margin if side == "over" else -margin) * KIB
    queue = (await context.worker.ensure(context.run)).spec.task_queue
    context.payload = await limits.run_payload(await context.run.client(), queue, size)
    expect("the payload", [], {f"payload {side} the limit": context.payload.line()})


@then("it completes and returns the size of its input")
def step_payload_completed(context: Any) -> None:
    expect(
        "the payload under the limit",
        checks.payload_under_problems(context.payload, _limit(context)),
    )


@then("the start is refused with Temporal's own size error")
def step_payload_refused(context: Any) -> None:
    expect(
        "the payload over the limit", checks.payload_over_problems(context.payload, _limit(context))
    )


@then("the server still reports every role healthy and serving")
def step_still_healthy(context: Any) -> None:
    seen = cluster.healthy(context.run.endpoints, context.run.stack.role_health_dialable, 5.0)
    expect("Temporal's health", seen.problems, {"health after the refusal": seen.reading})
