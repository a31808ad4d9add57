"""The UI's addresses come from its base URL alone (any target), quoted safely."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from temporal_acceptance.clients.ui_urls import UiUrls, visibility_query
from temporal_acceptance.core.errors import UserError

URLS = UiUrls("http://127.0.0.1:8080/", "default")


def test_home_and_list_urls_are_built_from_the_base_url() -> None:
    assert URLS.base_url == "http://127.0.0.1:8080"
    assert URLS.home() == "http://127.0.0.1:8080/"
    assert URLS.workflows() == "http://127.0.0.1:8080/namespaces/default/workflows"


def test_the_list_is_filtered_on_one_workflow_id_as_a_person_types_it() -> None:
    url = URLS.workflows("temporal-ui-abc")
    assert url.startswith("http://127.0.0.1:8080/namespaces/default/workflows?query=")
    assert parse_qs(urlsplit(url).query) == {"query": ['WorkflowId="temporal-ui-abc"']}


def test_quotes_in_a_workflow_id_cannot_break_out_of_the_filter() -> None:
    assert visibility_query('a"b\\c') == 'WorkflowId="a\\"b\\\\c"'


def test_a_run_page_url_quotes_ids_and_names_the_tab() -> None:
    assert URLS.workflow("wf/1 x", "run-1") == (
        "http://127.0.0.1:8080/namespaces/default/workflows/wf%2F1%20x/run-1/history"
    )
    assert URLS.workflow("wf", "r", "timeline").endswith("/workflows/wf/r/timeline")


def test_an_external_ui_behind_a_path_keeps_its_path() -> None:
    urls = UiUrls("https://temporal.example.com/ui", "team-a")
    assert urls.workflows() == "https://temporal.example.com/ui/namespaces/team-a/workflows"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/namespaces/default/workflows/wf/run-1/timeline", True),
        ("/namespaces/default/workflows/wf/run-1/history", True),
        ("/namespaces/default/workflows/wf/run-2/history", False),  # another run
        ("/namespaces/default/workflows/wf-child/run-1/history", False),  # another workflow
        ("/namespaces/other/workflows/wf/run-1/history", False),
        ("/namespaces/default/workflows/wf/run-1", False),  # not a page of the run yet
    ],
)
def test_a_link_is_recognised_as_a_page_of_one_run(url: str, expected: bool) -> None:
    assert URLS.is_workflow_page(url, "wf", "run-1") is expected


@pytest.mark.parametrize("base", ["", "127.0.0.1:8080", "ftp://host/", "http://"])
def test_a_base_url_that_is_not_http_is_a_user_error(base: str) -> None:
    with pytest.raises(UserError, match="not an http"):
        UiUrls(base, "default")
