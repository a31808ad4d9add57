"""The page readers and waits in a real Chromium, against stand-in pages that copy the
Temporal UI's structure (its data-testids, table layout and texts) — the UI server is the
boundary faked here. Needs Debian's chromium (`make setup` installs it)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from conftest import LoopRunner
from playwright.async_api import Route

from temporal_acceptance.checks import ui_views as checks
from temporal_acceptance.clients.browser import BrowserMissing, UiSession, find_chromium
from temporal_acceptance.clients.ui_urls import UiUrls
from temporal_acceptance.fixtures.browser import Chromium
from temporal_acceptance.probes import ui_pages as pages
from temporal_acceptance.probes.ui_views import DESCENDING, ChildLink

pytestmark = pytest.mark.browser

BASE = "http://ui.test"
URLS = UiUrls(BASE, "default")
PARENT, PARENT_RUN, CHILD, CHILD_RUN = "wf", "run-p", "wf-child", "run-c"

# Content appears after the page loaded, as the UI renders what it fetched.
LATER = "<script>setTimeout(() => {{ document.body.innerHTML = {body}; }}, 150)</script>"


def rendered_later(body: str) -> str:
    return "<html><body>loading…" + LATER.format(body=json.dumps(body)) + "</body></html>"


HOME = rendered_later('<input data-testid="namespace-switcher" value="default">')


def list_body(rows: list[tuple[str, str, str]]) -> str:
    columns = ["Status", "Workflow ID", "Run ID", "Type"]
    head = "".join(
        f'<th data-testid="workflows-summary-table-header-cell-{c}">{c}</th>' for c in columns
    )
    body = "".join(
        '<tr data-testid="workflows-summary-configurable-table-row">'
        f'<td data-testid="workflows-summary-table-body-cell"><span data-testid="execution-status"'
        f">{status}</span></td>"
        f'<td data-testid="workflows-summary-table-body-cell"><a href="/namespaces/default/'
        f'workflows/{wid}/{rid}/timeline" onclick="return go(this)">{wid}</a></td>'
        f'<td data-testid="workflows-summary-table-body-cell">{rid}</td>'
        '<td data-testid="workflows-summary-table-body-cell">TestWorkflow</td></tr>'
        for status, wid, rid in rows
    )
    empty = "" if rows else "<h2>No Workflows Found</h2>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{empty}"


def list_page(rows: list[tuple[str, str, str]]) -> str:
    return rendered_later(list_body(rows))


def workflow_header(wid: str, status: str, result: str, links: str = "") -> str:
    return (
        f'<span data-testid="execution-status">{status}</span>'
        f'<h1 data-testid="workflow-id-heading">{wid}</h1>{links}'
        f'<div data-testid="input-and-result"><pre>{html.escape(result)}</pre></div>'
    )


EVENTS = [(3, "Workflow Execution Completed"), (2, "Child Workflow Execution Started"),
          (1, "Workflow Execution Started")]  # fmt: skip


def history_page() -> str:
    rows = "".join(
        f'<tr data-testid="event-summary-row" data-eventid="{i}"><td><button aria-label="Expand '
        f'details" onclick="document.getElementById(\'d{i}\').hidden=false">v</button>{i}</td>'
        f"<td>small</td><td>time</td><td><p>{kind}</p></td><td>details</td></tr>"
        f'<tr id="d{i}" hidden><td><a href="/namespaces/default/workflows/{CHILD}/{CHILD_RUN}/'
        f'timeline" onclick="return go(this)">{CHILD}</a></td></tr>'
        for i, kind in EVENTS
    )
    table = (
        "<table><thead><tr><th>Event ID</th><th>Timestamp</th><th>Event Type</th>"
        f"<th>Details</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    tab = f'<a data-testid="history-tab">Event History {len(EVENTS)}</a><button>Descending</button>'
    return rendered_later(workflow_header(PARENT, "COMPLETED", "{}") + tab + table)


# A link routed in the page, as the UI's router does: no new document is loaded.
ROUTER = """<script>
function go(a) {
  history.pushState({}, '', a.getAttribute('href'));
  document.body.innerHTML = %s;
  return false;
}
</script>"""
# As the UI's router does for any link in its page: a click on a link is routed in the page.
APP_ROUTER = """<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (link && !link.hasAttribute('onclick')) { event.preventDefault(); go(link); }
});
</script>"""
CHILD_PAGE = workflow_header(
    CHILD, "COMPLETED", "{}",
    f'<a href="/namespaces/default/workflows/{PARENT}/{PARENT_RUN}/timeline">{PARENT}</a>',
)  # fmt: skip
FAILED_PAGE = workflow_header(PARENT, "FAILED", '{"message": "disk full"}')


class StandInUi:
    """Answers the browser's requests with the stand-in pages; counts page loads."""

    def __init__(self) -> None:
        self.pages: dict[str, Callable[[int], str]] = {}
        self.loads: dict[str, int] = {}
        self.refuse = False
        self.routed_page = ""  # what a link routed in the page shows
        self.routes_links = False  # every link is routed in the page, as the UI's are

    async def handle(self, route: Route) -> None:
        url = route.request.url
        if self.refuse:
            await route.abort("connectionrefused")
            return
        path = url.removeprefix(BASE)
        for prefix, render in self.pages.items():
            if path.startswith(prefix):
                self.loads[prefix] = self.loads.get(prefix, 0) + 1
                router = ROUTER % json.dumps(self.routed_page)
                router += APP_ROUTER if self.routes_links else ""
                body = render(self.loads[prefix]).replace("<html>", "<html>" + router, 1)
                await route.fulfill(status=200, content_type="text/html", body=body)
                return
        await route.fulfill(status=404, content_type="text/html", body="<h1>404 Not Found</h1>")


@pytest.fixture(scope="module")
def chromium(run: LoopRunner) -> Iterator[Chromium]:
    try:
        find_chromium()
    except BrowserMissing as exc:
        pytest.skip(exc.line())
    fixture = Chromium()
    yield fixture
    run(fixture.close())


@pytest.fixture
def ui(chromium: Chromium, run: LoopRunner) -> Iterator[tuple[UiSession, StandInUi]]:
    stand_in = StandInUi()
    session = run(chromium.open_session(URLS))
    shots: list[str] = []
    session.attach = lambda name, data: shots.append(name)
    run(session.context.route(f"{BASE}/**", stand_in.handle))
    yield session, stand_in
    run(session.close())


def set_pages(stand_in: StandInUi, **pages_by_path: Any) -> None:
    for path, page in pages_by_path.items():
        stand_in.pages[path] = page if callable(page) else (lambda _n, p=page: p)


def test_home_is_read_once_rendered(ui: tuple[UiSession, StandInUi], run: LoopRunner) -> None:
    session, stand_in = ui
    set_pages(stand_in, **{"/": HOME})
    view = run(pages.home(session, partial(checks.home_problems, namespace="default")))
    assert view.namespaces == ("default",)
    assert session.screenshots == ["UI: home page"]
    assert stand_in.loads == {"/": 1}


def test_the_list_is_reloaded_until_visibility_shows_the_run(
    ui: tuple[UiSession, StandInUi], run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "RELOAD_AFTER", 0.3)
    session, stand_in = ui
    # Visibility lags: the first load shows the run still running, the second completed.
    rows = {1: [("RUNNING", PARENT, PARENT_RUN)], 2: [("COMPLETED", PARENT, PARENT_RUN)]}
    set_pages(stand_in, **{"/namespaces/default/workflows": lambda n: list_page(rows[min(n, 2)])})
    assert run(pages.workflow_list(session, PARENT)).rows[0].status == "RUNNING"
    wanted = partial(
        checks.list_problems, workflow_id=PARENT, run_id=PARENT_RUN, status="Completed"
    )
    view = run(pages.workflow_list(session, PARENT, wanted))
    assert wanted(view) == []
    assert stand_in.loads == {"/namespaces/default/workflows": 2}
    assert "reload: rendered 0.3 s ago without it" in session.loads[-1]


def test_an_empty_list_is_rendered_but_never_shows_the_run(
    ui: tuple[UiSession, StandInUi], run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_TIMEOUT", 1.0)
    session, stand_in = ui
    set_pages(stand_in, **{"/namespaces/default/workflows": list_page([])})
    assert run(pages.workflow_list(session, PARENT)).empty
    wanted = partial(
        checks.list_problems, workflow_id=PARENT, run_id=PARENT_RUN, status="Completed"
    )
    view = run(pages.workflow_list(session, PARENT, wanted))  # the last view, once time is up
    assert wanted(view) == [
        f"the workflow list does not show {PARENT} run {PARENT_RUN} with the status 'Completed': "
        "it shows an empty list ('No Workflows Found')"
    ]


def test_a_server_that_refuses_is_described_with_the_browsers_error(
    ui: tuple[UiSession, StandInUi], run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_TIMEOUT", 1.0)
    session, stand_in = ui
    stand_in.refuse = True
    view = run(pages.home(session))
    message = checks.home_problems(view, "default")[0]
    assert f"the browser could not load {BASE}/" in message
    assert "connection refused (net::ERR_CONNECTION_REFUSED" in message
    assert f"is the Temporal UI serving at {BASE}?" in message
    assert "retry: the last load failed" in session.loads[-1]


def test_the_history_is_read_with_its_order_and_count(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    set_pages(stand_in, **{f"/namespaces/default/workflows/{PARENT}/": history_page()})
    view = run(pages.event_history(session, PARENT, PARENT_RUN))
    assert view.order == DESCENDING
    assert view.count == 3
    assert [(e.event_id, e.event_type) for e in view.events] == EVENTS
    assert checks.history_settled_problems(view) == []
    assert session.screenshots == [f"UI: event history, {PARENT}"]


def test_the_child_is_reached_by_clicking_without_a_page_load(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    set_pages(stand_in, **{f"/namespaces/default/workflows/{PARENT}/": history_page()})
    stand_in.routed_page = CHILD_PAGE
    run(pages.event_history(session, PARENT, PARENT_RUN))
    child = ChildLink(2, CHILD, CHILD_RUN)
    assert run(pages.follow_child_link(session, child)) == []
    url = f"{BASE}/namespaces/default/workflows/{CHILD}/{CHILD_RUN}/timeline"
    wanted = partial(
        checks.child_page_problems, child=child, parent_id=PARENT, parent_run_id=PARENT_RUN,
        urls=session.urls,
    )  # fmt: skip
    view = run(pages.current_workflow_page(session, "child workflow page", wanted))
    assert view.heading == CHILD
    assert wanted(view) == []
    assert sum(stand_in.loads.values()) == 1  # the click routed in the page
    assert session.loads[-1].endswith(f"followed a link to {url}")


def test_a_missing_child_link_says_where_it_was_looked_for(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    set_pages(stand_in, **{f"/namespaces/default/workflows/{PARENT}/": history_page()})
    run(pages.event_history(session, PARENT, PARENT_RUN))
    session.page.set_default_timeout(500)
    problems = run(pages.follow_child_link(session, ChildLink(9, CHILD, CHILD_RUN)))
    assert problems[0].startswith("cannot open event 9 on http://ui.test/")


def test_a_run_is_opened_from_the_list_and_its_page_read(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    set_pages(
        stand_in, **{"/namespaces/default/workflows": list_page([("FAILED", PARENT, PARENT_RUN)])}
    )
    stand_in.routed_page = FAILED_PAGE
    run(pages.workflow_list(session, PARENT))
    assert run(pages.open_from_list(session, PARENT, PARENT_RUN)) == []
    wanted = partial(
        checks.workflow_page_problems, workflow_id=PARENT, status="Failed", reason="disk full"
    )
    view = run(pages.current_workflow_page(session, "workflow page", wanted))
    assert view.status == "FAILED"
    assert wanted(view) == []
    assert stand_in.loads == {"/namespaces/default/workflows": 1}


def test_a_wrong_status_on_the_page_is_described(
    ui: tuple[UiSession, StandInUi], run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_TIMEOUT", 1.0)
    session, stand_in = ui
    set_pages(stand_in, **{f"/namespaces/default/workflows/{PARENT}/": rendered_later(FAILED_PAGE)})
    run(session.navigate(URLS.workflow(PARENT, PARENT_RUN)))
    wanted = partial(checks.workflow_page_problems, workflow_id=PARENT, status="Completed")
    problems = wanted(run(pages.current_workflow_page(session, "workflow page", wanted)))
    assert "the page shows the status 'FAILED', Temporal says 'Completed'" in problems
    assert not any("is the Temporal UI serving" in p for p in problems)  # it served FAILED


def test_a_page_slower_than_the_reload_delay_is_not_reloaded_before_it_renders(
    ui: tuple[UiSession, StandInUi], run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a slow machine the UI takes seconds to render: reloading it then would start it
    over again and again (it would never show anything)."""
    monkeypatch.setattr(pages, "RELOAD_AFTER", 0.3)
    session, stand_in = ui
    slow = HOME.replace("}, 150)", "}, 1200)")
    set_pages(stand_in, **{"/": slow})
    view = run(pages.home(session, partial(checks.home_problems, namespace="default")))
    assert view.namespaces == ("default",)
    assert stand_in.loads == {"/": 1}


def test_a_page_opened_from_a_page_of_the_ui_is_routed_in_the_app(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    stand_in.routes_links = True
    rows = [("COMPLETED", PARENT, PARENT_RUN)]
    # the longer prefix first: "/" would answer every address
    set_pages(stand_in, **{"/namespaces/default/workflows": list_page(rows), "/": HOME})
    stand_in.routed_page = list_body(rows)
    run(pages.home(session))
    wanted = partial(
        checks.list_problems, workflow_id=PARENT, run_id=PARENT_RUN, status="Completed"
    )
    view = run(pages.workflow_list(session, PARENT, wanted))
    assert wanted(view) == []
    assert stand_in.loads == {"/": 1}  # the list was never loaded: the app routed to it
    assert session.loads[-1].endswith("(open; no page load)")


def test_a_link_the_app_does_not_route_is_loaded_in_full_and_said_so(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    session, stand_in = ui
    rows = [("COMPLETED", PARENT, PARENT_RUN)]
    # the longer prefix first: "/" would answer every address
    set_pages(stand_in, **{"/namespaces/default/workflows": list_page(rows), "/": HOME})
    run(pages.home(session))
    view = run(pages.workflow_list(session, PARENT))
    assert view.rows[0].status == "COMPLETED"
    assert stand_in.loads == {"/namespaces/default/workflows": 1, "/": 1}
    assert session.loads[-1].endswith("(open; the app did not route it: a full load)")


def test_a_kept_session_opens_its_next_scenarios_page_afresh(
    ui: tuple[UiSession, StandInUi], run: LoopRunner
) -> None:
    """The next scenario does not read the page the last one left: the same address is
    loaded again (a person would reload it), and the loads are listed afresh."""
    session, stand_in = ui
    set_pages(stand_in, **{"/": HOME})
    run(pages.home(session))
    session.next_scenario()
    assert session.loads[0].endswith(
        f"browser context kept from the previous scenario, which ended on {BASE}/"
    )
    run(pages.home(session))
    assert stand_in.loads == {"/": 2}
    assert session.loads[-1].endswith(f"load {BASE}/ (open)")
