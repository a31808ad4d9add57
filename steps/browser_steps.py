"""Steps that look at the Temporal UI in a real browser (Debian's Chromium, Playwright).

When the Temporal UI's home page is opened in a browser
Then the page shows the "default" namespace
Given the test workflow has completed on the test worker
Given a test workflow that is <state>
When the workflow list is searched for it in a browser
Then the list shows its run with the status "<status>"
When its event history is opened in a browser
Then the page shows as many events as Temporal's history, in the same order
And the link to its child workflow is followed
Then the child workflow's page shows it completed and links back to its parent
And its page, opened from the list, shows the status "<status>" with the reason Temporal recorded
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.reporting.attach import attach_text
from temporal_acceptance.ui import pages, views
from temporal_acceptance.ui.browser import UiSession
from temporal_acceptance.ui.states import history_events


async def _session(context: Any) -> UiSession:
    return await context.ui.open_session(context.run, context.add_cleanup)


async def _api_history(context: Any) -> list[Any]:
    target = context.ui_target
    return await history_events(await context.run.client(), target.workflow_id, target.run_id)


@when("the Temporal UI's home page is opened in a browser")
async def step_open_home(context: Any) -> None:
    await pages.open_home(await _session(context))


@then('the page shows the "{namespace}" namespace')
async def step_home_namespace(context: Any, namespace: str) -> None:
    await pages.home_showing(await _session(context), namespace)


@given("the test workflow has completed on the test worker")
async def step_completed_workflow(context: Any) -> None:
    worker = await context.test_worker.ensure(context.run)
    client = await context.run.client()
    context.ui_target = await context.ui.completed_workflow(client, worker.spec.task_queue)
    attach_text("workflow", repr(context.ui_target))


@given("a test workflow that is {state}")
async def step_workflow_in_state(context: Any, state: str) -> None:
    worker = await context.test_worker.ensure(context.run)
    queue = worker.spec.task_queue
    context.ui_target = await context.ui.workflow_in_state(
        context.run, queue, state, context.add_cleanup
    )
    attach_text("workflow", repr(context.ui_target))


@when("the workflow list is searched for it in a browser")
async def step_open_list(context: Any) -> None:
    await pages.open_list(await _session(context), context.ui_target.workflow_id)


@then('the list shows its run with the status "{status}"')
async def step_list_status(context: Any, status: str) -> None:
    target = context.ui_target
    await pages.list_showing(await _session(context), target.workflow_id, target.run_id, status)


@when("its event history is opened in a browser")
async def step_open_history(context: Any) -> None:
    target = context.ui_target
    session = await _session(context)
    context.ui_history = await pages.open_history(session, target.workflow_id, target.run_id)


@then("the page shows as many events as Temporal's history, in the same order")
async def step_history_matches(context: Any) -> None:
    problems = views.event_list_problems(context.ui_history, await _api_history(context))
    attach_text("events shown", views.render_shown(context.ui_history))
    assert not problems, f"the UI's history of {context.ui_target.workflow_id}:\n" + "\n".join(
        problems
    )


@when("the link to its child workflow is followed")
async def step_follow_child(context: Any) -> None:
    children = views.child_links(await _api_history(context))
    assert children, f"the API's history of {context.ui_target.workflow_id} starts no child"
    context.ui_child = children[0]
    await pages.follow_child_link(await _session(context), context.ui_child)


@then("the child workflow's page shows it completed and links back to its parent")
async def step_child_page(context: Any) -> None:
    parent, session = context.ui_target, await _session(context)
    await pages.child_page_showing(session, context.ui_child, parent.workflow_id, parent.run_id)


@then(
    'its page, opened from the list, shows the status "{status}" with the reason Temporal recorded'
)
async def step_page_state(context: Any, status: str) -> None:
    target, session = context.ui_target, await _session(context)
    await pages.open_from_list(session, target.workflow_id, target.run_id)
    await pages.workflow_page_showing(session, target.workflow_id, status, target.reason)
