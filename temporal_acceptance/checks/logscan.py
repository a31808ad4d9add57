"""Errors in service logs during a time window, minus a short list of known-harmless ones.

Every allowlist entry names the service, a pattern and why the line is harmless; anything
else at error level or above fails the scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from temporal_acceptance.core.logs import LogLine


@dataclass(frozen=True)
class AllowedError:
    service: str
    pattern: re.Pattern[str]
    reason: str

    def covers(self, line: LogLine) -> bool:
        return line.service == self.service and bool(self.pattern.search(line.text))


# Keep this list short, and give every entry a reason a reviewer can check. It is empty on
# purpose: the error lines seen on a healthy native stack (Temporal's "Frontend is not
# healthy yet" and "Queue reader unable to retrieve tasks: shard status unknown", PostgreSQL's
# "database ... does not exist" while the schema is created) all come from start-up, before
# any scenario's window opens. Add an entry only for a line seen inside a healthy window.
ALLOWLIST: tuple[AllowedError, ...] = ()

# The lowest level that counts as an error, per service. Our worker logs failed activities
# and failed workflow tasks at WARNING (the SDK's choice) and nothing else at that level
# while it runs: for it a warning is already a failure.
ERROR_LEVELS: dict[str, frozenset[str]] = {
    "worker": frozenset({"warn", "error", "fatal"}),
}
DEFAULT_ERROR_LEVELS = frozenset({"error", "fatal"})


def counts_as_error(line: LogLine) -> bool:
    return line.level in ERROR_LEVELS.get(line.service, DEFAULT_ERROR_LEVELS)


@dataclass(frozen=True)
class ScanResult:
    scanned: dict[str, int]  # lines in the window, per service
    errors: list[LogLine]
    allowed: list[tuple[LogLine, AllowedError]]

    def summary(self) -> str:
        counts = ", ".join(f"{service}: {n} lines" for service, n in self.scanned.items())
        lines = [f"scanned {counts}", f"errors: {len(self.errors)}, allowed: {len(self.allowed)}"]
        lines += [f"ERROR   {line.render()}" for line in self.errors]
        lines += [f"ALLOWED {line.render()}  ({rule.reason})" for line, rule in self.allowed]
        return "\n".join(lines)

    def failure(self, limit: int = 10) -> str:
        shown = [line.render()[:400] for line in self.errors[:limit]]
        more = [f"... and {len(self.errors) - limit} more"] if len(self.errors) > limit else []
        return "\n".join([f"{len(self.errors)} error line(s) in the logs:", *shown, *more])


def scan(
    logs: dict[str, Iterable[LogLine]], allowlist: Sequence[AllowedError] = ALLOWLIST
) -> ScanResult:
    """Sort every error-level line of `logs` (service → lines) into errors and allowed."""
    scanned: dict[str, int] = {}
    errors: list[LogLine] = []
    allowed: list[tuple[LogLine, AllowedError]] = []
    for service, lines in logs.items():
        count = 0
        for line in lines:
            count += 1
            if not counts_as_error(line):
                continue
            rule = next((r for r in allowlist if r.covers(line)), None)
            if rule is None:
                errors.append(line)
            else:
                allowed.append((line, rule))
        scanned[service] = count
    errors.sort(key=lambda line: line.ts)
    return ScanResult(scanned, errors, allowed)
