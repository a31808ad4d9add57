"""TODO docstring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.core.text import excerpt, squeeze
from temporal_acceptance.workload.events import type_name

ASCENDING = "ascending"


DESCENDING = "descending"


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

    def rendered(self) -> bool:
        """The table or its tab count is on the page (the UI has fetched the history)."""
        return bool(self.events) or self.count is not None

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


def render_shown(view: HistoryView) -> str:
    """The history table as the page showed it, top to bottom, for the report."""
    head = f"order: {view.order or 'not shown'}; Event History tab: {view.count}"
    return "\n".join([head, *(f"{e.event_id:>4}  {e.event_type}" for e in view.events)])
