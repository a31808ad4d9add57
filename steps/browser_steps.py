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

from functools import partial
from typing import Any

from behave import given, then, when

from temporal_acceptance.checks import ui_views as checks
from temporal_acceptance.checks.execution import not_completed
from temporal_acceptance.clients.browser import UiSession
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.probes import ui_pages as pages
from temporal_acceptance.probes.ui_views import child_links, render_shown
from temporal_acceptance.workload.states import (
    WorkflowInState,
    history_events,
    make_workflow_in_state,
    terminate_if_running,
)


async def _session(context: Any) -> UiSession:
    return await context.browser.open_session(context.run, context.add_cleanup)


async def _api_history(context: Any) -> list[Any]:
    target = context.ui_target
    return await history_events(await context.run.client(), target.workflow_id, target.run_id)


@when("the Temporal UI's home page is opened in a browser")
async def step_open_home(context: Any) -> None:
    context.ui_home = await pages.home(await _session(context))


@then('the page shows the "{namespace}" namespace')
async def step_home_namespace(context: Any, namespace: str) -> None:
    wanted = partial(checks.home_problems, namespace=namespace)
    view = await pages.home(await _session(context), wanted)
    expect("the Temporal UI's home page", wanted(view), {"home page": view.describe()})


@given("the test workflow has completed on the test worker")
async def step_completed_workflow(context: Any) -> None:
    record = await context.worker.completed_run(context.run)
    expect("the test workflow", not_completed(record), {"workflow": record.to_json()})
    context.ui_target = WorkflowInState(record.workflow_id, record.run_id, "Completed", "")


@given("a test workflow that is {state}")
async def step_workflow_in_state(context: Any, state: str) -> None:
    run, worker = context.run, await context.worker.ensure(context.run)
    client = await run.client()
    target = await make_workflow_in_state(client, worker.spec.task_queue, state)
    context.add_cleanup(
        lambda: run.run(terminate_if_running(client, target.workflow_id, target.run_id))
    )
    context.ui_target = target


@when("the workflow list is searched for it in a browser")
async def step_open_list(context: Any) -> None:
    await pages.workflow_list(await _session(context), context.ui_target.workflow_id)


@then('the list shows its run with the status "{status}"')
async def step_list_status(context: Any, status: str) -> None:
    target = context.ui_target
    wanted = partial(
        checks.list_problems,
        workflow_id=target.workflow_id,
        run_id=target.run_id,
        status=status,
    )
    view = await pages.workflow_list(await _session(context), target.workflow_id, wanted)
    expect("the workflow list", wanted(view), {"workflow list": view.describe()})


@when("its event history is opened in a browser")
async def step_open_history(context: Any) -> None:
    target = context.ui_target
    session = await _session(context)
    context.ui_history = await pages.event_history(session, target.workflow_id, target.run_id)


@then("the page shows as many events as Temporal's history, in the same order")
async def step_history_matches(context: Any) -> None:
    shown = context.ui_history
    problems = checks.history_settled_problems(shown) or checks.event_list_problems(
        shown, await _api_history(context)
    )
    expect(
        f"the UI's history of {context.ui_target.workflow_id}",
        problems,
        {"events shown": render_shown(shown)},
    )


@when("the link to its child workflow is followed")
async def step_follow_child(context: Any) -> None:
    children = child_links(await _api_history(context))
    expect(
        f"the API's history of {context.ui_target.workflow_id}",
        [] if children else ["it starts no child workflow"],
    )
    context.ui_child = children[0]
    expect(
        "the link to the child", await pages.follow_child_link(await _session(context), children[0])
    )


@then("the child workflow's page shows it completed and links back to its parent")
async def step_child_page(context: Any) -> None:
    parent, child, session = context.ui_target, context.ui_child, await _session(context)
    wanted = partial(
        checks.child_page_problems,
        child=child,
        parent_id=parent.workflow_id,
        parent_run_id=parent.run_id,
        urls=session.urls,
    )
    view = await pages.current_workflow_page(
        session, f"child workflow page, {child.workflow_id}", wanted
    )
    expect("the child workflow's page", wanted(view), {"child page": view.describe()})


@then(
    'its page, opened from the list, shows the status "{status}" with the reason Temporal recorded'
)
async def step_page_state(context: Any, status: str) -> None:
    target, session = context.ui_target, await _session(context)
    expect(
        "the link in the list",
        await pages.open_from_list(session, target.workflow_id, target.run_id),
    )
    wanted = partial(
        checks.workflow_page_problems,
        workflow_id=target.workflow_id,
        status=status,
        reason=target.reason,
    )
    view = await pages.current_workflow_page(
        session, f"workflow page, {target.workflow_id}", wanted
    )
    expect(f"the page of {target.workflow_id}", wanted(view), {"workflow page": view.describe()})
