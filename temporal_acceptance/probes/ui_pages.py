"""What the UI gates do in the browser: open a page, wait until it shows what is awaited
(a check finds no problem with it), follow links as a person would, and leave a screenshot
of every page checked. Reading a page is ui_readers.py. A page that never shows what is
awaited is returned as last seen: the step's check then says what it showed instead.

The UI fetches its data after the page loads, and visibility (the workflow list) is
eventually consistent: a watch polls the page, and reloads it when it has not shown what
is awaited for a while, as a person would press refresh. A navigation that fails (the
server is down; Chromium aborting requests when the host's network interfaces change)
counts as "not yet" until the bound runs out, and the message says what was last shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any, TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from temporal_acceptance.clients.browser import UiSession, first_line, load_failure
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.probes.ui_readers import (
    PageNotLoaded,
    read_history,
    read_home,
    read_list,
    read_workflow,
)
from temporal_acceptance.probes.ui_views import (
    ChildLink,
    HistoryView,
    HomeView,
    ListView,
    WorkflowView,
)

V = TypeVar("V")

# The UI needs 1–3 s to fetch and render a page on a loaded two-core machine; this bounds
# a few reloads on top.
PAGE_TIMEOUT = 15.0
# A page that has not shown what is awaited this long after loading is loaded again (the
# workflow list does not poll for runs that reached visibility after it loaded).
RELOAD_AFTER = 5.0
# Polls of the DOM are cheap (one evaluate); cap the backoff so a rendered page is seen fast.
POLL_CAP = 0.25


def rendered(last: list[Any]) -> bool:
    """Whether the last view read shows the UI's own content (not a blank page)."""
    return bool(last) and bool(last[0].rendered())


# -- waiting for a page to show something ----------------------------------------------------

Problems = Callable[[V], list[str]]


async def watch(
    session: UiSession,
    url: str,
    read: Callable[[Page], Awaitable[V]],
    problems: Problems[V],
    unloaded: Callable[[str], V],
    what: str,
    timeout: float | None = None,
) -> V:
    """Load `url` unless the page was just loaded there, then read it until `problems` finds
    none; reload a page that has rendered but not shown it for RELOAD_AFTER seconds. Bounded
    by `timeout`: the last view read is returned either way (`unloaded(reason)` when the
    page never loaded), so the caller's check reports what the page showed."""
    last: list[V] = []
    failure = ["the page did not load"]
    # When the page last loaded here first showed the UI's own content. Only a page that has
    # rendered is loaded again, RELOAD_AFTER seconds after that: on a slow machine a page
    # still fetching its scripts would otherwise start over at every reload.
    rendered_at: float | None = None

    async def look() -> V:
        nonlocal rendered_at
        why = ""
        if session.loaded_url != url:
            why = "open"
        elif session.loaded_at is None:
            why = "retry: the last load failed"
        elif rendered_at is not None and monotonic() - rendered_at > RELOAD_AFTER:
            why = f"reload: rendered {RELOAD_AFTER:g} s ago without it"
        if why:
            rendered_at = None
            try:
                # A page opened is a link followed in the app when the UI is already shown;
                # a retry or a reload is a full load, as a person pressing refresh.
                await session.navigate(url, why, in_app=why == "open")
            except PlaywrightError as exc:
                failure[0] = f"the browser could not load {url}: {load_failure(str(exc))}"
                raise PageNotLoaded(failure[0]) from None
        view = await read(session.page)
        last[:] = [view]
        if rendered_at is None and rendered(last):
            rendered_at = monotonic()
        return view

    try:
        return await wait_until_async(
            look,
            what=what,
            timeout=timeout or PAGE_TIMEOUT,
            accept=lambda view: not problems(view),
            describe=lambda view: "; ".join(problems(view)),
            errors=(PageNotLoaded,),
            max_delay=POLL_CAP,
        )
    except WaitTimeout:
        if last:
            return last[0]
        # Only a page that would not load points at the server.
        return unloaded(
            f"{failure[0]} — is the Temporal UI serving at {session.urls.base_url}? "
            "(`temporal-acceptance status` shows it)"
        )


def _rendered(view: HomeView | ListView | WorkflowView) -> list[str]:
    return [] if view.rendered() else [f"not rendered yet: {view.describe()}"]


# -- what the gates do on those pages --------------------------------------------------------


async def home(session: UiSession, problems: Problems[HomeView] = _rendered) -> HomeView:
    """The UI's home page, once `problems` finds none with it (default: rendered)."""
    url = session.urls.home()
    view = await watch(
        session, url, read_home, problems, lambda why: HomeView(url, (), why),
        f"the Temporal UI's home page at {url}",
    )  # fmt: skip
    await session.screenshot("UI: home page")
    return view


async def workflow_list(
    session: UiSession, workflow_id: str, problems: Problems[ListView] = _rendered
) -> ListView:
    """The workflow list filtered on `workflow_id`, once `problems` finds none with it
    (default: it shows rows or says it has none)."""
    url = session.urls.workflows(workflow_id)
    view = await watch(
        session, url, read_list, problems, lambda why: ListView(page_text=why),
        f"the workflow list at {url}",
    )  # fmt: skip
    await session.screenshot(f"UI: workflow list, {workflow_id}")
    return view


def _history_settled(view: HistoryView) -> list[str]:
    return [] if view.settled() else [f"not all events shown: {view.describe()}"]


async def event_history(session: UiSession, workflow_id: str, run_id: str) -> HistoryView:
    """A run's Event History, once every event the tab counts is shown."""
    url = session.urls.workflow(workflow_id, run_id)
    view = await watch(
        session, url, read_history, _history_settled, lambda why: HistoryView(page_text=why),
        f"the event history of {workflow_id} at {url}",
    )  # fmt: skip
    await session.screenshot(f"UI: event history, {workflow_id}")
    return view


async def _click_through(
    session: UiSession, link: Locator, what: str, to: tuple[str, str]
) -> list[str]:
    """Click a link to a run's page and wait until the browser is there (the UI routes in
    the page: no reload, as when a person clicks)."""
    page = session.page
    try:
        await link.click()
        await page.wait_for_url(lambda url: session.urls.is_workflow_page(url, *to))
    except PlaywrightError as exc:
        return [f"cannot follow {what} on {page.url}: {first_line(str(exc))}"]
    session.navigated(page.url)
    return []


async def open_from_list(session: UiSession, workflow_id: str, run_id: str) -> list[str]:
    """On the list, click the workflow's id in its row; what stood in the way, if anything."""
    row = session.page.get_by_test_id("workflows-summary-configurable-table-row").filter(
        has_text=run_id
    )
    link = row.get_by_role("link", name=workflow_id, exact=True).first
    return await _click_through(
        session, link, f"the link to {workflow_id} in the list", (workflow_id, run_id)
    )


async def follow_child_link(session: UiSession, child: ChildLink) -> list[str]:
    """On the parent's history page, open the child's event and click the link to the
    child, as a person would; what stood in the way, if anything."""
    page = session.page
    row = page.locator(f'[data-testid="event-summary-row"][data-eventid="{child.event_id}"]')
    try:
        await row.get_by_role("button", name="Expand details").click()
    except PlaywrightError as exc:
        return [f"cannot open event {child.event_id} on {page.url}: {first_line(str(exc))}"]
    link = page.get_by_role("link", name=child.workflow_id, exact=True).first
    return await _click_through(
        session, link, f"the link to child {child.workflow_id} in event {child.event_id}",
        (child.workflow_id, child.run_id),
    )  # fmt: skip


async def current_workflow_page(
    session: UiSession, name: str, problems: Problems[WorkflowView]
) -> WorkflowView:
    """The workflow page the browser is on, once `problems` finds none with it (the
    screenshot is attached as `name`)."""
    url = session.loaded_url or session.page.url
    view = await watch(
        session, url, read_workflow, problems, lambda why: WorkflowView(url, "", "", page_text=why),
        f"{url} to show the {name}",
    )  # fmt: skip
    await session.screenshot(f"UI: {name}")
    return view
