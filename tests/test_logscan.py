"""Log scan: every scanned log wrote something, errors in a window are found (crash traces
without a level too), and an allowlist entry covers a line only for its service, after its
kind of disruption and within its window."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.checks.logscan import (
    ALLOWLIST,
    AllowedError,
    Disturbance,
    counts_as_error,
    scan,
)
from temporal_acceptance.core.logs import LogLine, read_log
from temporal_acceptance.gates.logs import scan_logs
from temporal_acceptance.probes.logs import read_with_lines, service_logs
from temporal_acceptance.stack.base import Service

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RESTART = Disturbance("restart of temporal", T)


def line(service: str, level: str, text: str, seconds: float = 0) -> LogLine:
    return LogLine(T + timedelta(seconds=seconds), service, level, text)


def harmless(within: float = 10.0) -> AllowedError:
    return AllowedError(
        "temporal",
        re.compile("known noise"),
        "why it is harmless",
        ("restart of temporal",),
        within,
    )


def test_errors_are_found_and_allowed_ones_set_apart() -> None:
    result = scan(
        {
            "temporal": [
                line("temporal", "info", "fine"),
                line("temporal", "error", "known noise here", 2),
                line("temporal", "fatal", "real trouble", 1),
            ],
            "worker": [
                line("worker", "info", "fine"),
                line("worker", "warn", "activity failed", 4),
            ],
            "postgres": [line("postgres", "error", "known noise but another service", 3)],
        },
        T,
        [harmless()],
        [RESTART],
    )
    assert [e.text for e in result.errors] == [
        "real trouble",
        "known noise but another service",
        "activity failed",  # for our own worker a warning is a failure
    ]
    assert [(a.text, rule.reason, cause) for a, rule, cause in result.allowed] == [
        ("known noise here", "why it is harmless", RESTART)
    ]
    assert result.scanned == {"temporal": 3, "worker": 2, "postgres": 1}
    summary = result.summary()
    assert "errors: 3, allowed: 1, silent: none" in summary
    assert "(why it is harmless; +2.0 s after the restart of temporal, allowed 10 s)" in summary
    assert result.failure(limit=2).splitlines()[0] == "3 error line(s) in the logs:"
    assert result.failure(limit=2).splitlines()[-1] == "... and 1 more"
    assert result.problems() == [result.failure()]


def test_an_allowed_line_needs_its_disruption_and_its_window() -> None:
    noise = [line("temporal", "error", "known noise", 2)]
    assert len(scan({"temporal": noise}, T, [harmless()], []).errors) == 1  # no disruption
    other = Disturbance("restart of postgres", T)
    assert len(scan({"temporal": noise}, T, [harmless()], [other]).errors) == 1  # another kind
    assert len(scan({"temporal": noise}, T, [harmless(within=1)], [RESTART]).errors) == 1
    assert scan({"temporal": noise}, T, [harmless(within=3)], [RESTART]).errors == []
    late_restart = Disturbance("restart of temporal", T + timedelta(seconds=5))
    assert len(scan({"temporal": noise}, T, [harmless()], [late_restart]).errors) == 1
    assert harmless().window() == "within 10 s of: restart of temporal"


def test_a_log_without_a_line_in_the_window_fails() -> None:
    result = scan({"temporal": [], "postgres": [line("postgres", "info", "ok")]}, T)
    assert result.silent == ["temporal"]
    assert result.problems() == [
        "no lines from temporal since 2026-11-25T12:00:00.000+00:00: is its log being written?"
    ]
    assert scan({"temporal": []}, T, required=()).problems() == []


def test_go_panics_and_fatal_traces_count_without_a_level() -> None:
    trace = [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "goroutine 1 [running]:",
        "fatal error: concurrent map writes",
        "Fatal Python error: PyGILState_Release: thread state must be current",
    ]
    for text in trace:
        assert counts_as_error(line("temporal", "info", text)), text
    for text in ["goroutine 12 [select]:", "created by main.main", "no panic: here"]:
        assert not counts_as_error(line("temporal", "info", text)), text


def test_a_panic_after_the_last_structured_line_lands_in_the_window_it_was_written(
    tmp_path: Path,
) -> None:
    log = tmp_path / "temporal.log"
    log.write_text(
        '{"level":"info","ts":"2026-11-25T11:00:00.000Z","msg":"long ago"}\n'
        "panic: something broke\n"
        "goroutine 1 [running]:\n"
    )
    lines = read_log(log, "temporal", since=datetime.now(UTC) - timedelta(minutes=1))
    assert [x.text for x in lines] == ["panic: something broke", "goroutine 1 [running]:"]
    assert len(scan({"temporal": lines}, T).errors) == 2


def test_the_phase3_allowlist_is_empty_and_every_entry_would_say_why() -> None:
    assert ALLOWLIST == ()


def test_service_logs_reads_each_service_in_the_window() -> None:
    asked = []

    class FakeStack:
        def logs(self, service: Service, since: datetime, until: datetime) -> list[LogLine]:
            asked.append((service, since, until))
            return [line(service.value, "info", "x")]

    logs = service_logs(FakeStack(), [Service.TEMPORAL, Service.POSTGRES], T, T)  # type: ignore[arg-type]
    assert list(logs) == ["temporal", "postgres"]
    assert asked == [(Service.TEMPORAL, T, T), (Service.POSTGRES, T, T)]


def test_logs_are_read_again_until_each_has_a_line_and_the_last_reading_is_kept() -> None:
    calls = {"n": 0}

    def slow(since: datetime, until: datetime) -> list[LogLine]:
        calls["n"] += 1
        return [line("temporal", "info", "marker")] if calls["n"] >= 3 else []

    found = read_with_lines({"temporal": slow}, T, timeout=5)
    assert [x.text for x in found["temporal"]] == ["marker"]
    silent = read_with_lines({"temporal": lambda since, until: []}, T, timeout=0.2)
    assert silent == {"temporal": []}


class FakeWorkflowService:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def describe_task_queue(self, request: Any) -> Any:
        self.asked.append(request.task_queue.name)
        return SimpleNamespace(pollers=[])


def test_the_gate_writes_a_marker_through_each_service_before_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("temporal_acceptance.probes.logs.LINES_TIMEOUT", 0.3)
    stack = RecordingStack()
    now = datetime.now(UTC)
    stack.lines = {Service.TEMPORAL: [LogLine(now, "temporal", "info", "marker line")]}
    client = SimpleNamespace(workflow_service=FakeWorkflowService())
    endpoints = stack.endpoints()  # nothing listens there: PostgreSQL's marker cannot be written
    result, markers = asyncio.run(
        scan_logs(
            stack,
            client,  # type: ignore[arg-type]
            endpoints,
            [Service.TEMPORAL, Service.POSTGRES],
            now - timedelta(seconds=1),
        )
    )
    assert client.workflow_service.asked[0].startswith("temporal-acceptance-log-marker-")
    assert markers["temporal"].startswith("described task queue temporal-acceptance-log-marker-")
    assert markers["postgres"].startswith("could not write a marker: OperationalError")
    assert result.silent == ["postgres"]
    assert "no lines from postgres since" in result.problems()[0]


def stamped(level: str, text: str, seconds: float = 0) -> LogLine:
    """A Temporal JSON line: it carries its own timestamp."""
    at = (T + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    return line("temporal", level, f'{{"level":"{level}","ts":"{at}","msg":"{text}"}}', seconds)


def test_a_continuation_line_is_judged_with_the_entry_it_belongs_to() -> None:
    # Temporal's plain "All services are stopped." inherits the level of the line before it
    lines = [
        stamped("error", "known noise: the pool is closed", 1),
        line("temporal", "error", "All services are stopped.", 1),
        stamped("error", "real trouble", 2),
        line("temporal", "error", "  with a second line", 2),
        stamped("error", "known noise again", 3),
        line("temporal", "error", "panic: boom", 3),
        stamped("info", "fine", 4),
        line("temporal", "info", "continued", 4),
    ]
    result = scan({"temporal": lines}, T, [harmless()], [RESTART])
    assert [e.text for e in result.errors] == [
        lines[2].text,
        "  with a second line",
        "panic: boom",  # a crash trace is never part of an allowed entry
    ]
    assert [a[0].text for a in result.allowed] == [
        lines[0].text,
        "All services are stopped.",
        lines[4].text,
    ]
