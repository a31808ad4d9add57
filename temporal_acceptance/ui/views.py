"""What a UI page showed, as plain data, and how it compares with what Temporal's API says.

pages.py reads these views from the browser; everything here is pure logic, so what counts
as "the UI shows the history accurately" is unit-tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks.history import type_name
from temporal_acceptance.ui.urls import UiUrls

ASCENDING = "ascending"
DESCENDING = "descending"
# How much of a page's text a message quotes when the expected content is not there.
TEXT_EXCERPT = 240


def squeeze(text: str) -> str:
    """'TIMED OUT', 'Timed Out', 'TimedOut' → 'timedout': the UI's spelling of a status or
    an event type against the API's."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def excerpt(text: str, limit: int = TEXT_EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


@dataclass(frozen=True)
class HomeView:
    """The UI's landing page: where it went and the namespace its switcher shows."""

    url: str
    namespaces: tuple[str, ...]
    page_text: str = ""

    def shows_namespace(self, namespace: str) -> bool:
        return namespace in self.namespaces

    def rendered(self) -> bool:
        return any(self.namespaces)

    def describe(self) -> str:
        if self.rendered():
            return f"{self.url} with the namespace switcher showing {list(self.namespaces)}"
        return f"{self.url or 'no page'} without a namespace switcher; the page shows: " + (
            repr(excerpt(self.page_text)) if self.page_text.strip() else "nothing"
        )


@dataclass(frozen=True)
class ListRow:
    workflow_id: str
    run_id: str
    status: str
    workflow_type: str = ""


@dataclass(frozen=True)
class ListView:
    """The workflow list: its rows, or the 'no workflows' state, or neither yet."""

    rows: tuple[ListRow, ...] = ()
    empty: bool = False
    page_text: str = ""

    def rendered(self) -> bool:
        return bool(self.rows) or self.empty

    def rows_for(self, workflow_id: str) -> list[ListRow]:
        return [row for row in self.rows if row.workflow_id == workflow_id]

    def shows(self, workflow_id: str, run_id: str, status: str) -> bool:
        return any(
            row.run_id == run_id and squeeze(row.status) == squeeze(status)
            for row in self.rows_for(workflow_id)
        )

    def describe(self) -> str:
        if self.rows:
            return "rows " + ", ".join(f"{r.workflow_id} {r.run_id} {r.status}" for r in self.rows)
        if self.empty:
            return "an empty list ('No Workflows Found')"
        return "no list; the page shows: " + repr(excerpt(self.page_text))


@dataclass(frozen=True)
class WorkflowView:
    """The header of one workflow's page and the text of its input/result panel."""

    url: str
    heading: str
    status: str
    result_text: str = ""
    links: tuple[str, ...] = ()
    page_text: str = ""

    def rendered(self) -> bool:
        return bool(self.heading and self.status)

    def describe(self) -> str:
        if not self.rendered():
            return f"{self.url}: no workflow header; the page shows: {excerpt(self.page_text)!r}"
        result = f"; result panel: {excerpt(self.result_text, 160)!r}" if self.result_text else ""
        return f"{self.url}: {self.heading!r} with status {self.status!r}{result}"


def workflow_page_problems(
    view: WorkflowView, workflow_id: str, status: str, reason: str = ""
) -> list[str]:
    """The page is the workflow's, shows the status, and shows why it closed (if it did)."""
    problems = []
    if view.heading != workflow_id:
        problems.append(f"the page is headed {view.heading!r}, not {workflow_id!r}")
    if squeeze(view.status) != squeeze(status):
        problems.append(f"the page shows the status {view.status!r}, Temporal says {status!r}")
    if reason and reason not in view.result_text:
        problems.append(
            f"the page does not show the reason Temporal recorded ({reason!r}); "
            f"its result panel shows {excerpt(view.result_text, 160)!r}"
        )
    return problems


@dataclass(frozen=True)
class ShownEvent:
    event_id: int
    event_type: str  # as the UI spells it: 'Workflow Execution Started'


@dataclass(frozen=True)
class HistoryView:
    """The event history table as shown: rows top to bottom, the sort order the page says
    it uses, and the event count on the 'Event History' tab."""

    events: tuple[ShownEvent, ...] = ()
    order: str = ""
    count: int | None = None
    page_text: str = ""

    def settled(self) -> bool:
        """Every event the tab counts is on the page, in an order the page names."""
        return (
            bool(self.events)
            and self.count == len(self.events)
            and self.order in (ASCENDING, DESCENDING)
        )

    def recorded_order(self) -> list[ShownEvent]:
        """The rows oldest first, as the API lists events."""
        return list(reversed(self.events)) if self.order == DESCENDING else list(self.events)

    def describe(self) -> str:
        if not self.events:
            return "no event rows; the page shows: " + repr(excerpt(self.page_text))
        ids = [e.event_id for e in self.events]
        return (
            f"{len(self.events)} event rows (ids {ids[0]}…{ids[-1]}), the tab counts "
            f"{self.count if self.count is not None else 'nothing'}, order "
            f"{self.order or 'not shown'}"
        )


def _label(event_id: int, kind: str) -> str:
    return f"#{event_id} {kind}"


def event_list_problems(view: HistoryView, api_events: Sequence[HistoryEvent]) -> list[str]:
    """The events shown are the API's history: the same number, every id with the same
    event type, in the same order (read in the sort order the page says it uses)."""
    problems: list[str] = []
    expected = [(e.event_id, type_name(e.event_type)) for e in api_events]
    if view.count is not None and view.count != len(expected):
        problems.append(
            f"the Event History tab counts {view.count} events, the API {len(expected)}"
        )
    if len(view.events) != len(expected):
        problems.append(f"the page shows {len(view.events)} events, the API serves {len(expected)}")
    ids = [e.event_id for e in view.events]
    wanted = sorted(ids, reverse=view.order == DESCENDING)
    if view.order not in (ASCENDING, DESCENDING):
        problems.append(f"the page names no sort order (seen {view.order!r})")
    elif ids != wanted:
        problems.append(f"the rows are not in {view.order} event order: ids {ids}")
    shown = [(e.event_id, e.event_type) for e in view.recorded_order()]
    for position, (want, got) in enumerate(zip(expected, shown, strict=False)):
        if want[0] != got[0] or squeeze(want[1]) != squeeze(got[1]):
            problems.append(
                f"event {position + 1} in recorded order: the API has {_label(*want)}, "
                f"the page shows {_label(*got)}"
            )
            break
    missing = sorted({i for i, _ in expected} - set(ids))
    extra = sorted(set(ids) - {i for i, _ in expected})
    if missing:
        problems.append(f"events the page does not show: {missing}")
    if extra:
        problems.append(f"events the API does not have: {extra}")
    return problems


@dataclass(frozen=True)
class ChildLink:
    """Where the parent's history says its child ran (from the API)."""

    event_id: int  # the ChildWorkflowExecutionStarted event
    workflow_id: str
    run_id: str


def child_links(api_events: Sequence[HistoryEvent]) -> list[ChildLink]:
    started = "ChildWorkflowExecutionStarted"
    return [
        ChildLink(
            e.event_id,
            e.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id,
            e.child_workflow_execution_started_event_attributes.workflow_execution.run_id,
        )
        for e in api_events
        if type_name(e.event_type) == started
    ]


def child_page_problems(
    view: WorkflowView, child: ChildLink, parent_id: str, parent_run_id: str, urls: UiUrls
) -> list[str]:
    """The followed link led to the child's page, which shows it completed and links back
    to the parent's run."""
    problems = workflow_page_problems(view, child.workflow_id, "Completed")
    if not any(urls.is_workflow_page(link, parent_id, parent_run_id) for link in view.links):
        problems.append(
            f"the child's page has no link to its parent {parent_id} run {parent_run_id} "
            f"(links to workflows: {list(view.links)[:6]})"
        )
    return problems


def render_shown(view: HistoryView) -> str:
    """The history table as the page showed it, top to bottom, for the report."""
    head = f"order: {view.order or 'not shown'}; Event History tab: {view.count}"
    return "\n".join([head, *(f"{e.event_id:>4}  {e.event_type}" for e in view.events)])
