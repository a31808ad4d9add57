"""Reading the Temporal UI's pages (2.55) in the browser: one DOM snapshot per call (a
single evaluate, so a read is quick and consistent), returned as a view from views.py.

Selectors are the UI's own data-testid attributes where it has them; the few texts read
(the sort button, the empty-list heading) are noted where they are used.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from temporal_acceptance.clients.browser import first_line
from temporal_acceptance.probes.ui_views import (
    ASCENDING,
    DESCENDING,
    HistoryView,
    HomeView,
    ListRow,
    ListView,
    ShownEvent,
    WorkflowView,
)


class PageNotLoaded(Exception):
    """A page could not be loaded or read this time (the message says why, in one line)."""


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
