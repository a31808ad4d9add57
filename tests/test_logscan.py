"""Log scan: errors in a window, minus justified allowlist entries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from temporal_acceptance.checks.logscan import ALLOWLIST, AllowedError, scan
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.probes.logs import service_logs
from temporal_acceptance.stack.base import Service

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def line(service: str, level: str, text: str, seconds: int = 0) -> LogLine:
    return LogLine(T + timedelta(seconds=seconds), service, level, text)


def test_errors_are_found_and_allowed_ones_set_apart() -> None:
    harmless = AllowedError("temporal", re.compile("known noise"), "why it is harmless")
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
        [harmless],
    )
    assert [e.text for e in result.errors] == [
        "real trouble",
        "known noise but another service",
        "activity failed",  # for our own worker a warning is a failure
    ]
    assert [(a.text, rule.reason) for a, rule in result.allowed] == [
        ("known noise here", "why it is harmless")
    ]
    assert result.scanned == {"temporal": 3, "worker": 2, "postgres": 1}
    summary = result.summary()
    assert "errors: 3, allowed: 1" in summary
    assert "ALLOWED" in summary
    assert "(why it is harmless)" in summary
    assert result.failure(limit=2).splitlines()[0] == "3 error line(s) in the logs:"
    assert result.failure(limit=2).splitlines()[-1] == "... and 1 more"


def test_every_allowlist_entry_says_why() -> None:
    for entry in ALLOWLIST:
        assert entry.reason.strip()
        assert entry.service in {"temporal", "postgres", "worker"}


def test_service_logs_reads_each_service_in_the_window() -> None:
    asked = []

    class FakeStack:
        def logs(self, service: Service, since: datetime, until: datetime) -> list[LogLine]:
            asked.append((service, since, until))
            return [line(service.value, "info", "x")]

    logs = service_logs(FakeStack(), [Service.TEMPORAL, Service.POSTGRES], T, T)  # type: ignore[arg-type]
    assert list(logs) == ["temporal", "postgres"]
    assert asked == [(Service.TEMPORAL, T, T), (Service.POSTGRES, T, T)]
