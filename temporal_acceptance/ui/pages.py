"""What the UI gates do in the browser: open a page, wait until it shows what is awaited,
follow links as a person would, and leave a screenshot of every page checked. Reading a
page is readers.py; waiting is waiting.wait_until_async over those reads.

The UI fetches its data after the page loads, and visibility (the workflow list) is
eventually consistent: a watch polls the page, and reloads it when it has not shown what
is awaited for a while, as a person would press refresh. A navigation that fails (the
server is down; Chromium aborting requests when the host's network interfaces change)
counts as "not yet" until the bound runs out, and the message says what was last shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import monotonic
from typing import TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from temporal_acceptance.ui.browser import UiSession, first_line, load_failure
from temporal_acceptance.ui.readers import (
    PageNotLoaded,
    read_history,
    read_home,
    read_list,
    read_workflow,
)
from temporal_acceptance.ui.views import (
    ChildLink,
    HistoryView,
    HomeView,
    ListView,
    WorkflowView,
    child_page_problems,
    workflow_page_problems,
)
from temporal_acceptance.waiting import wait_until_async

V = TypeVar("V")

# The UI needs 1–3 s to fetch and render a page on a loaded two-core machine; this bounds
# a few reloads on top.
PAGE_TIMEOUT = 15.0
# A page that has not shown what is awaited this long after loading is loaded again (the
# workflow list does not poll for runs that reached visibility after it loaded).
RELOAD_AFTER = 5.0
# Polls of the DOM are cheap (one evaluate); cap the backoff so a rendered page is seen fast.
POLL_CAP = 0.25


# -- waiting for a page to show something ----------------------------------------------------


async def watch(
    session: UiSession,
    url: str,
    read: Callable[[Page], Awaitable[V]],
    accept: Callable[[V], bool],
    describe: Callable[[V], str],
    what: str,
    timeout: float | None = None,
) -> V:
    """Load `url` unless the page was just loaded there, then poll `read` until `accept`;
    reload a page that has not shown it for RELOAD_AFTER seconds. Bounded by `timeout`."""

    looked = False  # whether this watch has read the page already (and was not satisfied)

    async def look() -> V:
        nonlocal looked
        loaded_at = session.loaded_at
        why = ""
        if session.loaded_url != url:
            why = "open"
        elif loaded_at is None:
            why = "retry: the last load failed"
        elif looked and monotonic() - loaded_at > RELOAD_AFTER:
            why = f"reload: not shown {RELOAD_AFTER:g} s after loading"
        if why:
            try:
                await session.navigate(url, why)
            except PlaywrightError as exc:
                raise PageNotLoaded(
                    f"the browser could not load it: {load_failure(str(exc))}"
                ) from None
        looked = True
        return await read(session.page)

    return await wait_until_async(
        look,
        what=what,
        timeout=timeout or PAGE_TIMEOUT,
        accept=accept,
        describe=describe,
        errors=(PageNotLoaded,),
        # Only a page that would not load points at the server; other waits say what showed.
        hint=lambda: (
            f"is the Temporal UI serving at {session.urls.base_url}? (`temporal-acceptance "
            "status` shows the UI server; a failed scenario's report has its log)"
            if session.loaded_at is None
            else ""
        ),
        max_delay=POLL_CAP,
    )


# -- what the gates do on those pages --------------------------------------------------------


async def open_home(session: UiSession, timeout: float | None = None) -> HomeView:
    """Open the UI's home page and wait until it has rendered its namespace switcher."""
    return await watch(
        session,
        session.urls.home(),
        read_home,
        HomeView.rendered,
        HomeView.describe,
        f"the Temporal UI at {session.urls.home()} to load",
        timeout,
    )


async def home_showing(session: UiSession, namespace: str) -> HomeView:
    view = await watch(
        session,
        session.urls.home(),
        read_home,
        lambda v: v.shows_namespace(namespace),
        HomeView.describe,
        f"the Temporal UI at {session.urls.home()} to show the namespace {namespace!r}",
    )
    await session.screenshot("UI: home page")
    return view


async def open_list(session: UiSession, workflow_id: str) -> ListView:
    """Open the workflow list filtered on `workflow_id`; wait until it shows rows or says
    it has none."""
    url = session.urls.workflows(workflow_id)
    return await watch(
        session, url, read_list, ListView.rendered, ListView.describe,
        f"the workflow list at {url} to load",
    )  # fmt: skip


async def list_showing(session: UiSession, workflow_id: str, run_id: str, status: str) -> ListView:
    url = session.urls.workflows(workflow_id)
    view = await watch(
        session,
        url,
        read_list,
        lambda v: v.shows(workflow_id, run_id, status),
        ListView.describe,
        f"the workflow list to show {workflow_id} run {run_id} with the status {status!r}",
    )
    await session.screenshot(f"UI: workflow list, {workflow_id}")
    return view


async def open_history(session: UiSession, workflow_id: str, run_id: str) -> HistoryView:
    """Open a run's Event History and wait until every event the tab counts is shown."""
    url = session.urls.workflow(workflow_id, run_id)
    view = await watch(
        session, url, read_history, HistoryView.settled, HistoryView.describe,
        f"the event history of {workflow_id} at {url} to show all its events",
    )  # fmt: skip
    await session.screenshot(f"UI: event history, {workflow_id}")
    return view


async def _click_through(session: UiSession, link: Locator, what: str, to: tuple[str, str]) -> str:
    """Click a link to a run's page and wait until the browser is there (the UI routes in
    the page: no reload, as when a person clicks)."""
    page = session.page
    try:
        await link.click()
        await page.wait_for_url(lambda url: session.urls.is_workflow_page(url, *to))
    except PlaywrightError as exc:
        raise AssertionError(
            f"cannot follow {what} on {page.url}: {first_line(str(exc))}"
        ) from None
    session.navigated(page.url)
    return page.url


async def open_from_list(session: UiSession, workflow_id: str, run_id: str) -> str:
    """On the list, click the workflow's id in its row; returns the page it led to."""
    row = session.page.get_by_test_id("workflows-summary-configurable-table-row").filter(
        has_text=run_id
    )
    link = row.get_by_role("link", name=workflow_id, exact=True).first
    return await _click_through(
        session, link, f"the link to {workflow_id} in the list", (workflow_id, run_id)
    )


async def follow_child_link(session: UiSession, child: ChildLink) -> str:
    """On the parent's history page, open the child's event and click the link to the
    child, as a person would; returns the page it led to."""
    page = session.page
    row = page.locator(f'[data-testid="event-summary-row"][data-eventid="{child.event_id}"]')
    try:
        await row.get_by_role("button", name="Expand details").click()
    except PlaywrightError as exc:
        raise AssertionError(
            f"cannot open event {child.event_id} on {page.url}: {first_line(str(exc))}"
        ) from None
    link = page.get_by_role("link", name=child.workflow_id, exact=True).first
    return await _click_through(
        session, link, f"the link to child {child.workflow_id} in event {child.event_id}",
        (child.workflow_id, child.run_id),
    )  # fmt: skip


async def _current_page_showing(
    session: UiSession, name: str, problems: Callable[[WorkflowView], list[str]]
) -> WorkflowView:
    """Wait until the workflow page the browser is on shows what `problems` asks (no
    problems); the screenshot is attached as `name`."""
    url = session.loaded_url or session.page.url

    def describe(view: WorkflowView) -> str:
        found = problems(view) if view.rendered() else []
        return view.describe() + ("; " + "; ".join(found) if found else "")

    view = await watch(
        session,
        url,
        read_workflow,
        lambda view: view.rendered() and not problems(view),
        describe,
        f"{url} to show the {name}",
    )
    await session.screenshot(f"UI: {name}")
    return view


async def workflow_page_showing(
    session: UiSession, workflow_id: str, status: str, reason: str
) -> WorkflowView:
    """The run's page the browser is on shows `status` and the `reason` it ended."""
    return await _current_page_showing(
        session,
        f"workflow page, {workflow_id}",
        lambda view: workflow_page_problems(view, workflow_id, status, reason),
    )


async def child_page_showing(
    session: UiSession, child: ChildLink, parent_id: str, parent_run_id: str
) -> WorkflowView:
    """The child's page the browser is on shows it completed, with a link to its parent."""
    return await _current_page_showing(
        session,
        f"child workflow page, {child.workflow_id}",
        lambda view: child_page_problems(view, child, parent_id, parent_run_id, session.urls),
    )
