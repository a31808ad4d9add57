"""Whether what a UI page showed (probes.ui_views) agrees with what Temporal's API says.

Pure logic: what counts as "the UI shows the history accurately" is unit-tested without a
browser. The browser probes wait until these find no problems, or their time runs out.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.clients.ui_urls import UiUrls
from temporal_acceptance.core.text import excerpt, squeeze
from temporal_acceptance.probes.ui_views import (
    ASCENDING,
    DESCENDING,
    ChildLink,
    HistoryView,
    HomeView,
    ListView,
    WorkflowView,
)
from temporal_acceptance.workload.events import type_name


def home_problems(view: HomeView, namespace: str) -> list[str]:
    """The home page rendered its namespace switcher, showing `namespace`."""
    if view.shows_namespace(namespace):
        return []
    return [f"the UI's home page does not show the namespace {namespace!r}: {view.describe()}"]


def list_problems(view: ListView, workflow_id: str, run_id: str, status: str) -> list[str]:
    """The workflow list has the run's row with `status`."""
    if view.shows(workflow_id, run_id, status):
        return []
    return [
        f"the workflow list does not show {workflow_id} run {run_id} with the status "
        f"{status!r}: it shows {view.describe()}"
    ]


def history_settled_problems(view: HistoryView) -> list[str]:
    """The Event History page shows every event its tab counts, in an order it names."""
    if view.settled():
        return []
    return [f"the event history page did not finish showing its events: {view.describe()}"]


def workflow_page_problems(
    view: WorkflowView, workflow_id: str, status: str, reason: str = ""
) -> list[str]:
    """The page is the workflow's, shows the status, and shows why it closed (if it did)."""
    if not view.rendered():
        return [f"no workflow page: {view.describe()}"]
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
