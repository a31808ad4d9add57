"""Labels from tags and failure categories: the mapping the sprint review relies on."""

from __future__ import annotations

import json
import re

import pytest

from temporal_acceptance.reporting.categories import (
    CATEGORIES,
    OTHER,
    categories_json,
    categorize,
    category_names,
)
from temporal_acceptance.reporting.labels import (
    NO_PHASE,
    labels_for,
    phase_of,
    phase_title,
    plevel_of,
)


@pytest.mark.parametrize(
    ("plevel", "severity"),
    [("P0", "blocker"), ("P1", "critical"), ("P2", "normal"), ("P3", "minor")],
)
def test_plevels_map_to_allure_severities(plevel: str, severity: str) -> None:
    assert labels_for([plevel, "phase3"], "F", "R").severity == severity


def test_epic_is_the_phase_with_its_sprint_name() -> None:
    labels = labels_for(["@phase2", "@P0"], "Deployment validation", "Schema is created")
    assert labels.pairs() == [
        ("epic", "Phase 2 — Deployment validation"),
        ("feature", "Deployment validation"),
        ("story", "Schema is created"),
        ("severity", "blocker"),
    ]
    assert labels.plevel == "P0"


def test_every_phase_of_the_plan_has_a_title() -> None:
    assert [phase_title(n) for n in (1, 4, 6, 7)] == [
        "Phase 1 — Test workflow creation",
        "Phase 4 — Persistence testing",
        "Phase 6 — Compatibility validation",
        "Phase 7 — Documentation",
    ]
    assert phase_title(9) == "Phase 9"


def test_the_most_severe_plevel_and_earliest_phase_win() -> None:
    assert plevel_of(["P2", "P0", "slow"]) == "P0"
    assert phase_of(["phase4", "phase2"]) == 2


def test_untagged_scenarios_are_visible_as_such() -> None:
    labels = labels_for(["slow"], "Feature", None)
    assert (labels.epic, labels.story, labels.severity, labels.plevel) == (
        NO_PHASE,
        "Feature",
        "normal",
        None,
    )


def test_tags_that_only_look_like_levels_are_ignored() -> None:
    assert plevel_of(["P10", "Px", "priority0"]) is None
    assert phase_of(["phase", "phaseX", "phase2b"]) is None


# Real messages of each kind (from psycopg, Temporal's SDK, the suite's own assertions).
MESSAGES = {
    "Connection": [
        'psycopg.OperationalError: connection failed: connection to server at "127.0.0.1", '
        "port 55432 failed: Connection refused",
        "AssertionError: PostgreSQL refused the configured credentials: "
        'FATAL:  password authentication failed for user "temporal"',
        "RuntimeError: Failed client connect: Server connection error: tonic::transport::Error",
        "AssertionError: the Temporal UI at http://127.0.0.1:8080 does not answer: timed out",
        "timed out after 30s waiting for the frontend; last seen: ConnectionRefusedError: x",
    ],
    "Storage": [
        "AssertionError: history is truncated after the restart: 15 events, had 17",
        "psycopg.errors.SerializationFailure: could not serialize access due to concurrent update",
        "AssertionError: workflow state did not persist across the restart",
    ],
    "Version compatibility": [
        "AssertionError: schema versions (found, expected): temporal: '1.17' vs '1.18'",
        "AssertionError: server is PostgreSQL 15.3, expected major 16",
        'UserError: update-schema failed: syntax error at or near "GENERATED"',
    ],
    "Configuration": [
        "UserError: port 7233 is in use — set TACC_TEMPORAL_PORT",
        "KeyError: environment variable POSTGRES_PWD is not set",
        "AssertionError: the recorded configuration does not name: UI (8080)",
        "AssertionError: the Temporal UI at http://127.0.0.1:8080/healthz did not answer OK",
    ],
    "Performance": [
        "WaitTimeout: timed out after 5s waiting for the workflow to complete; last seen: RUNNING",
        "psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already",
        "AssertionError: p95 latency 2.4 s exceeds the threshold of 1 s",
        "RPCError: DEADLINE_EXCEEDED",
    ],
    OTHER: ["KeyError: 'result'", "AttributeError: 'NoneType' object has no attribute 'id'"],
}


@pytest.mark.parametrize(
    ("expected", "message"),
    [(category, message) for category, messages in MESSAGES.items() for message in messages],
)
def test_failures_are_filed_under_the_plans_categories(expected: str, message: str) -> None:
    assert categorize("failed", message) == expected
    assert categorize("broken", message) == expected


def test_the_trace_decides_when_the_message_does_not() -> None:
    trace = "Traceback...\nConnectionResetError: [Errno 104] Connection reset by peer"
    assert categorize("broken", "OSError: [Errno 104]", trace) == "Connection"


def test_passed_and_skipped_results_have_no_category() -> None:
    assert categorize("passed", "Connection refused") is None
    assert categorize("skipped", "") is None


def test_categories_json_is_what_allure_reads() -> None:
    entries = categories_json()
    json.dumps(entries)  # serialisable
    assert [e["name"] for e in entries if "traceRegex" not in e] == category_names()
    assert entries[-1] == {
        "name": OTHER,
        "description": entries[-1]["description"],
        "matchedStatuses": ["failed", "broken"],
    }
    for entry in entries:
        assert entry["matchedStatuses"] == ["failed", "broken"]
        for key in ("messageRegex", "traceRegex"):
            if key in entry:
                assert entry[key].startswith("[\\s\\S]*")
                assert "(?i" not in entry[key], "JavaScript (Allure 3) rejects inline flags"


def _allure_category(message: str, trace: str = "") -> str:
    """Allure's own rule: the first category any of whose entries fully matches."""
    for entry in categories_json():
        message_ok = "messageRegex" in entry and re.fullmatch(entry["messageRegex"], message)
        trace_ok = "traceRegex" in entry and re.fullmatch(entry["traceRegex"], trace)
        if message_ok or trace_ok or set(entry) == {"name", "description", "matchedStatuses"}:
            return str(entry["name"])
    return "none"


@pytest.mark.parametrize(
    "message", [m for messages in MESSAGES.values() for m in messages] + ["multi\nline refused"]
)
def test_full_match_readers_agree_with_the_search_semantics(message: str) -> None:
    assert _allure_category(message) == categorize("failed", message)


def test_category_names_are_unique_and_in_the_plans_order() -> None:
    names = [category.name for category in CATEGORIES]
    assert len(names) == len(set(names))
    assert set(names) == {
        "Connection",
        "Storage",
        "Version compatibility",
        "Configuration",
        "Performance",
    }
