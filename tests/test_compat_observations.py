"""Observations as data, the generated document's discrepancies, live version detection."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.compat import observations as obs
from temporal_acceptance.compat.observations import Check, CheckOutcome, Observation, Verdict
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import DEFAULT_TEMPORAL_VERSION
from temporal_acceptance.probes.versions import (
    LiveVersions,
    PostgresVersion,
    VersionDetectionError,
    detect_postgres,
    detect_temporal,
    postgres_version_from,
    temporal_version_from,
)
from temporal_acceptance.reporting.compatibility_doc import Kind, discrepancies, render

PASS = CheckOutcome.PASSED


def observation(
    major: int, *outcomes: CheckOutcome, version: str = "1.30.8", detail: str = ""
) -> Observation:
    checks = tuple(Check(f"check {i}", o, detail) for i, o in enumerate(outcomes))
    return Observation(version, major, f"{major}.1", "npm", "2026-11-25", checks, {"up": 1.0})


# ---------------------------------------------------------------- observations


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ((PASS, PASS), Verdict.WORKS),
        ((PASS, CheckOutcome.FAILED, CheckOutcome.NOT_RUN), Verdict.FAILS),
        ((PASS, CheckOutcome.NOT_RUN), Verdict.INCOMPLETE),
        ((), Verdict.INCOMPLETE),
    ],
)
def test_verdict(outcomes: tuple[CheckOutcome, ...], verdict: Verdict) -> None:
    assert observation(16, *outcomes).verdict is verdict


def test_save_load_round_trip_and_newest_replaces(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "observations.json"
    obs.save(observation(16, PASS), path)
    obs.save(observation(17, PASS), path)
    obs.save(observation(16, CheckOutcome.FAILED, detail="boom"), path)
    loaded = obs.load(path)
    assert [(o.postgres_major, o.verdict) for o in loaded] == [
        (16, Verdict.FAILS),
        (17, Verdict.WORKS),
    ]
    assert loaded[0].checks[0].detail == "boom"
    assert json.loads(path.read_text())["observations"][0]["verdict"] == "fails"


def test_missing_file_is_no_observations(tmp_path: Path) -> None:
    assert obs.load(tmp_path / "absent.json") == []


def test_malformed_observation_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"observations": [{"temporal_version": "1.30.8"}]}))
    with pytest.raises(ValueError, match="malformed observation"):
        obs.load(path)


# ---------------------------------------------------------------- discrepancies


def test_failing_observation_of_an_allowed_pair_must_be_corrected() -> None:
    failing = observation(16, PASS, CheckOutcome.FAILED, detail="schema update failed")
    (found,) = discrepancies([failing])
    assert found.kind is Kind.FAILS_BUT_ALLOWED
    assert not found.resolved
    assert "**to correct**" in found.line()
    assert "schema update failed" in found.line()


def test_working_end_of_life_pair_stays_unsupported() -> None:
    (found,) = discrepancies([observation(12, PASS)])
    assert found.kind is Kind.WORKS_BUT_UNSUPPORTED
    assert found.resolved
    assert "end of life" in found.resolution


def test_working_untested_pair_is_flagged_for_correction() -> None:
    (found,) = discrepancies([observation(17, PASS, version="1.33.0")])
    assert found.kind is Kind.WORKS_BUT_UNTESTED
    assert not found.resolved


def test_agreeing_or_incomplete_observations_are_no_discrepancy() -> None:
    assert discrepancies([observation(16, PASS), observation(18, CheckOutcome.NOT_RUN)]) == []


def test_document_flags_discrepancies_and_lists_failures() -> None:
    text = render([observation(16, PASS, CheckOutcome.FAILED, detail="initdb: no such file")])
    assert "observed failing, data allows it" in text
    assert "What did not pass, and why:" in text
    assert "initdb: no such file" in text
    assert "Not observed yet: Temporal 1.29, 1.31" in text


def test_document_without_observations_says_so() -> None:
    text = render([])
    assert "No observations yet" in text
    assert "## Discrepancies between the data and the observations\n\nNone." in text


# ---------------------------------------------------------------- live detection


def test_postgres_version_must_agree_with_itself() -> None:
    assert postgres_version_from("160014", "16.14", "db").major == 16
    with pytest.raises(VersionDetectionError, match="reports server_version_num 160014 but"):
        postgres_version_from("160014", "17.1", "db")
    with pytest.raises(VersionDetectionError, match="cannot read the PostgreSQL version of db"):
        postgres_version_from("16", "16.14", "db")


def test_temporal_version_is_strict() -> None:
    assert temporal_version_from("1.30.8", "fe") == "1.30.8"
    with pytest.raises(VersionDetectionError, match="reports server version '1.30'"):
        temporal_version_from("1.30", "fe")


class FakeCursor:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.description = [SimpleNamespace(name="server_version_num"), SimpleNamespace(name="v")]

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Any) -> None:
        self.sql = sql

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class FakeConnection:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.rows)


def test_detect_postgres_reads_and_logs_the_query() -> None:
    log = QueryLog()
    found = detect_postgres(FakeConnection([("180004", "18.4")]), "h:1", log)  # type: ignore[arg-type]
    assert found == PostgresVersion(180004, "18.4", 18)
    assert "server_version_num" in log.entries[0].sql
    with pytest.raises(VersionDetectionError, match="returned no version row"):
        detect_postgres(FakeConnection([]), "h:1")  # type: ignore[arg-type]


def test_detect_temporal_asks_the_frontend() -> None:
    async def get_system_info(request: Any) -> Any:
        return SimpleNamespace(server_version="1.31.2")

    client = SimpleNamespace(workflow_service=SimpleNamespace(get_system_info=get_system_info))
    assert asyncio.run(detect_temporal(client, "fe")) == "1.31.2"  # type: ignore[arg-type]


def test_live_versions_compare_with_the_request() -> None:
    live = LiveVersions(PostgresVersion(150018, "15.18", 15), "1.30.8", "db:5", "fe:7")
    settings = Settings.load({"postgres_version": "16", "temporal_version": "1.30.8"}, env={})
    (mismatch,) = live.mismatches(settings)
    assert "PostgreSQL 15.18 at db:5, requested major 16" in mismatch
    same = Settings.load({"postgres_version": "15", "temporal_version": "1.30.8"}, env={})
    assert live.mismatches(same) == []
    (other,) = live.mismatches(Settings.load({"postgres_version": "15"}, env={}))
    assert other == f"Temporal 1.30.8 at fe:7, requested {DEFAULT_TEMPORAL_VERSION}"
    assert "server version 1.30.8" in live.describe(QueryLog())
