"""What the UI showed against what the API says: the comparisons behind the UI gates."""

from __future__ import annotations

import pytest
from history_builder import E, HistoryBuilder, full_history
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.history.v1 import ChildWorkflowExecutionStartedEventAttributes, HistoryEvent

from temporal_acceptance.checks import ui_views as views
from temporal_acceptance.clients.ui_urls import UiUrls
from temporal_acceptance.core.text import squeeze
from temporal_acceptance.probes.ui_readers import sort_order, tab_count
from temporal_acceptance.probes.ui_views import (
    ASCENDING,
    DESCENDING,
    ChildLink,
    HistoryView,
    HomeView,
    ListRow,
    ListView,
    ShownEvent,
    WorkflowView,
    child_links,
    render_shown,
)
from temporal_acceptance.workload.events import type_name


def ui_label(event: HistoryEvent) -> str:
    """How the UI spells an event type: 'WorkflowTaskStarted' → 'Workflow Task Started'."""
    name = type_name(event.event_type)
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(name))


def shown(events: list[HistoryEvent], order: str = DESCENDING) -> HistoryView:
    rows = [ShownEvent(e.event_id, ui_label(e)) for e in events]
    if order == DESCENDING:
        rows.reverse()
    return HistoryView(tuple(rows), order, len(rows))


@pytest.mark.parametrize(
    ("ui", "api"),
    [
        ("TIMED OUT", "TimedOut"),
        ("Completed", "COMPLETED"),
        ("Workflow Task Started", "WorkflowTaskStarted"),
    ],
)
def test_spellings_of_the_ui_and_the_api_compare_equal(ui: str, api: str) -> None:
    assert squeeze(ui) == squeeze(api)


@pytest.mark.parametrize("order", [ASCENDING, DESCENDING])
def test_the_whole_history_in_either_order_matches(order: str) -> None:
    events = full_history()
    view = shown(events, order)
    assert view.settled()
    assert views.event_list_problems(view, events) == []


def test_a_missing_event_is_counted_named_and_located() -> None:
    events = full_history()
    view = shown(events[:5] + events[6:])
    problems = views.event_list_problems(view, events)
    assert f"the page shows {len(events) - 1} events, the API serves {len(events)}" in problems
    assert "events the page does not show: [6]" in problems
    assert any(p.startswith("event 6 in recorded order: the API has #6") for p in problems)


def test_the_tab_count_must_match_the_api() -> None:
    events = full_history()
    view = HistoryView(shown(events).events, DESCENDING, len(events) + 2)
    assert views.event_list_problems(view, events) == [
        f"the Event History tab counts {len(events) + 2} events, the API {len(events)}"
    ]


def test_rows_out_of_order_fail_even_when_every_event_is_there() -> None:
    events = full_history()
    rows = list(shown(events, ASCENDING).events)
    rows[2], rows[3] = rows[3], rows[2]
    problems = views.event_list_problems(HistoryView(tuple(rows), ASCENDING, len(rows)), events)
    assert problems[0].startswith("the rows are not in ascending event order")
    assert problems[1].startswith("event 3 in recorded order")


def test_a_wrong_event_type_is_named_with_both_spellings() -> None:
    events = full_history()
    rows = list(shown(events, ASCENDING).events)
    rows[0] = ShownEvent(1, "Workflow Execution Failed")
    problems = views.event_list_problems(HistoryView(tuple(rows), ASCENDING, len(rows)), events)
    assert problems == [
        "event 1 in recorded order: the API has #1 WorkflowExecutionStarted, "
        "the page shows #1 Workflow Execution Failed"
    ]


def test_events_the_api_does_not_have_are_named() -> None:
    events = full_history()
    rows = (*shown(events, ASCENDING).events, ShownEvent(99, "Timer Fired"))
    problems = views.event_list_problems(HistoryView(rows, ASCENDING, None), events)
    assert "events the API does not have: [99]" in problems


def test_a_page_without_a_sort_order_is_not_settled_and_fails() -> None:
    events = full_history()
    view = HistoryView(shown(events, ASCENDING).events, "", len(events))
    assert not view.settled()
    assert "the page names no sort order (seen '')" in views.event_list_problems(view, events)


def test_a_history_still_rendering_is_not_settled_and_says_what_it_shows() -> None:
    partial = HistoryView((ShownEvent(35, "x"), ShownEvent(34, "y")), DESCENDING, 35)
    assert not partial.settled()
    assert partial.describe() == "2 event rows (ids 35…34), the tab counts 35, order descending"
    assert HistoryView(page_text="500 Internal Error").describe() == (
        "no event rows; the page shows: '500 Internal Error'"
    )


def test_the_shown_history_renders_top_to_bottom() -> None:
    text = render_shown(HistoryView((ShownEvent(2, "Timer Fired"),), DESCENDING, 1))
    assert text.splitlines() == ["order: descending; Event History tab: 1", "   2  Timer Fired"]


def test_tab_count_and_sort_order_read_the_ui_texts() -> None:
    assert tab_count("Event History\n35") == 35
    assert tab_count("Event History") is None
    assert sort_order("Descending") == DESCENDING
    assert sort_order("Ascending") == ASCENDING
    assert sort_order("Sort") == ""


def test_the_list_matches_a_run_by_id_and_status_in_any_spelling() -> None:
    view = ListView((ListRow("wf", "run-1", "TIMED OUT"), ListRow("wf", "run-0", "COMPLETED")))
    assert view.shows("wf", "run-1", "Timed out")
    assert not view.shows("wf", "run-1", "Completed")
    assert not view.shows("wf", "run-2", "Timed out")
    assert view.describe() == "rows wf run-1 TIMED OUT, wf run-0 COMPLETED"


def test_a_list_that_has_not_rendered_says_what_the_page_shows() -> None:
    assert not ListView(page_text="Uh oh. There's an error.").rendered()
    assert ListView(empty=True).rendered()
    assert "No Workflows Found" in ListView(empty=True).describe()
    assert "Uh oh" in ListView(page_text="Uh oh. There's an error.").describe()


def test_home_shows_a_namespace_only_once_its_switcher_has_one() -> None:
    home = HomeView("http://ui/namespaces/default/workflows", ("default",))
    assert home.rendered()
    assert home.shows_namespace("default")
    assert not home.shows_namespace("other")
    blank = HomeView("chrome-error://chromewebdata/", (), "This site can't be reached")
    assert not blank.rendered()
    assert "This site can't be reached" in blank.describe()


def page(status: str = "COMPLETED", result: str = "", links: tuple[str, ...] = ()) -> WorkflowView:
    return WorkflowView("http://ui/x", "wf", status, result, links)


def test_a_workflow_page_must_show_its_status_and_the_recorded_reason() -> None:
    assert (
        views.workflow_page_problems(page("FAILED", "... boom ..."), "wf", "Failed", "boom") == []
    )
    problems = views.workflow_page_problems(page("RUNNING", "none"), "wf2", "Failed", "boom")
    assert problems == [
        "the page is headed 'wf', not 'wf2'",
        "the page shows the status 'RUNNING', Temporal says 'Failed'",
        "the page does not show the reason Temporal recorded ('boom'); its result panel "
        "shows 'none'",
    ]


def test_a_workflow_page_without_a_header_is_not_rendered() -> None:
    view = WorkflowView("http://ui/x", "", "", page_text="Loading")
    assert not view.rendered()
    assert view.describe() == "http://ui/x: no workflow header; the page shows: 'Loading'"


def child_started(builder: HistoryBuilder, workflow_id: str, run_id: str) -> None:
    attrs = ChildWorkflowExecutionStartedEventAttributes(
        workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id)
    )
    builder.add(
        E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        child_workflow_execution_started_event_attributes=attrs,
    )


def test_child_links_come_from_the_child_started_events() -> None:
    b = HistoryBuilder()
    b.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    b.child()
    child_started(b, "wf-child", "run-c")
    assert child_links(b.events) == [ChildLink(4, "wf-child", "run-c")]
    assert child_links(full_history()) == []


def test_the_child_page_must_link_back_to_the_parents_run() -> None:
    urls = UiUrls("http://ui", "default")
    child = ChildLink(4, "wf", "run-c")
    good = page(links=("/namespaces/default/workflows/parent/run-p/timeline",))
    assert views.child_page_problems(good, child, "parent", "run-p", urls) == []
    other_run = page(links=("/namespaces/default/workflows/parent/run-x/timeline",))
    problems = views.child_page_problems(other_run, child, "parent", "run-p", urls)
    assert problems == [
        "the child's page has no link to its parent parent run run-p (links to workflows: "
        "['/namespaces/default/workflows/parent/run-x/timeline'])"
    ]
