"""Reading the Temporal UI's pages (2.55) in the browser, and waiting for them to show
something.

Selectors are the UI's own data-testid attributes where it has them; the few texts read
(the sort button, the empty-list heading) are noted where they are used. Reads are single
DOM snapshots (one round trip each); waiting is waiting.wait_until_async over them.

The UI fetches its data after the page loads, and visibility (the workflow list) is
eventually consistent: a watch polls the page, and reloads it when it has not shown what
is awaited for a while, as a person would press refresh. A navigation that fails (the
server is down; Chromium aborting requests when the host's network interfaces change)
counts as "not yet" until the bound runs out, and the message says what was last shown.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any, TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from temporal_acceptance.ui.browser import UiSession, first_line
from temporal_acceptance.ui.views import (
    ASCENDING,
    DESCENDING,
    ChildLink,
    HistoryView,
    HomeView,
    ListRow,
    ListView,
    ShownEvent,
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


class PageNotLoaded(Exception):
    """A page could not be loaded or read this time (the message says why, in one line)."""


# -- reading pages (one evaluate each) -------------------------------------------------------

_PAGE_TEXT = "() => (document.body ? document.body.innerText : '')"

_HOME_JS = """() => ({
  url: location.href,
  namespaces: [...document.querySelectorAll('input[data-testid="namespace-switcher"]')]
    .map(input => input.value.trim()).filter(Boolean),
  text: document.body ? document.body.innerText : ''
})"""

# Rows by the list's header names (its columns are configurable): Status, Workflow ID, ...
# The empty state has no test id: its heading text is 'No Workflows Found'.
_LIST_JS = """() => {
  const prefix = 'workflows-summary-table-header-cell-';
  const names = [...document.querySelectorAll(`[data-testid^="${prefix}"]`)]
    .map(cell => cell.dataset.testid.slice(prefix.length));
  const rows = [...document.querySelectorAll(
      '[data-testid="workflows-summary-configurable-table-row"]')].map(row => {
    const cells = [...row.querySelectorAll('[data-testid="workflows-summary-table-body-cell"]')]
      .map(cell => cell.innerText.trim());
    const status = row.querySelector('[data-testid="execution-status"]');
    return {cells: Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ''])),
            status: status ? status.innerText.trim() : ''};
  });
  const empty = [...document.querySelectorAll('h2')]
    .some(h => h.innerText.trim() === 'No Workflows Found');
  return {rows, empty, text: document.body ? document.body.innerText : ''};
}"""

_WORKFLOW_JS = """() => {
  const text = id => {
    const node = document.querySelector(`[data-testid="${id}"]`);
    return node ? node.innerText.trim() : '';
  };
  return {
    url: location.href,
    heading: text('workflow-id-heading'),
    status: text('execution-status'),
    result: text('input-and-result'),
    links: [...document.querySelectorAll('a[href*="/workflows/"]')]
      .map(a => a.getAttribute('href')),
    text: document.body ? document.body.innerText : ''
  };
}"""

# The event table has one more cell per row than header cells (a narrow-screen timestamp,
# on the left), so the Event Type cell is found counting from the right. The sort button
# has no usable test id: it is the button reading 'Ascending' or 'Descending'.
_HISTORY_JS = """() => {
  const headers = [...document.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const typeFromRight = headers.length - headers.indexOf('Event Type');
  const events = headers.includes('Event Type') ? [...document.querySelectorAll(
      '[data-testid="event-summary-row"]')].map(row => ({
    id: row.dataset.eventid,
    type: row.cells.length >= typeFromRight ?
      row.cells[row.cells.length - typeFromRight].innerText.trim() : ''
  })) : [];
  const order = [...document.querySelectorAll('button')].map(b => b.innerText.trim())
    .find(t => t === 'Ascending' || t === 'Descending') || '';
  const tab = document.querySelector('[data-testid="history-tab"]');
  return {events, order, tab: tab ? tab.innerText : '',
          text: document.body ? document.body.innerText : ''};
}"""


async def _evaluate(page: Page, script: str) -> Any:
    try:
        return await page.evaluate(script)
    except PlaywrightError as exc:  # e.g. the page navigated while being read
        raise PageNotLoaded(first_line(str(exc))) from None


async def read_home(page: Page) -> HomeView:
    data = await _evaluate(page, _HOME_JS)
    return HomeView(data["url"], tuple(data["namespaces"]), data["text"])


async def read_list(page: Page) -> ListView:
    data = await _evaluate(page, _LIST_JS)
    rows = tuple(
        ListRow(
            workflow_id=row["cells"].get("Workflow ID", ""),
            run_id=row["cells"].get("Run ID", ""),
            status=row["status"] or row["cells"].get("Status", ""),
            workflow_type=row["cells"].get("Type", ""),
        )
        for row in data["rows"]
    )
    return ListView(rows, bool(data["empty"]), data["text"])


async def read_workflow(page: Page) -> WorkflowView:
    data = await _evaluate(page, _WORKFLOW_JS)
    return WorkflowView(
        data["url"],
        data["heading"],
        data["status"],
        data["result"],
        tuple(link for link in data["links"] if link),
        data["text"],
    )


def tab_count(tab_text: str) -> int | None:
    """'Event History\\n35' → 35."""
    found = re.findall(r"\d+", tab_text)
    return int(found[-1]) if found else None


def sort_order(button_text: str) -> str:
    return {"Ascending": ASCENDING, "Descending": DESCENDING}.get(button_text, "")


async def read_history(page: Page) -> HistoryView:
    data = await _evaluate(page, _HISTORY_JS)
    events = tuple(
        ShownEvent(int(event["id"]), event["type"])
        for event in data["events"]
        if str(event["id"]).isdigit()
    )
    return HistoryView(events, sort_order(data["order"]), tab_count(data["tab"]), data["text"])


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
                    f"the browser could not load it: {first_line(str(exc))}"
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
        hint=lambda: (
            f"is the Temporal UI serving at {session.urls.base_url}? "
            "(`temporal-acceptance status` shows the UI server; a failed scenario's report "
            "has its log and a screenshot)"
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
