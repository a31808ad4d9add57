"""The log gates' judgment: in a time window, every scanned service wrote something, and
nothing at error level (or a crash trace) that no allowlist entry covers.

- A service with no line at all in the window fails: a log nobody writes hides every error
  ("no lines from temporal since …: is its log being written?"). The gates write a marker
  through each service first (probes/logs.py), so a healthy service always has a line.
- A line at its service's error level fails, and so does a Go panic or fatal trace, which
  the Go runtime writes to stderr without a level ("panic: …", "fatal error: …",
  "goroutine 1 [running]:").
- An allowlist entry covers a line only for its service, after one of its disruption kinds
  and within its time window from the start of that disruption; its reason says why the
  line is harmless then (checks/restart_noise.py holds the persistence gates' entries).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporal_acceptance.core.logs import LogLine, parse_line


@dataclass(frozen=True)
class Disturbance:
    """A disruption the run made to the deployment, and when it began (server-side noise
    is judged against it)."""

    kind: str  # a disruption's name: "restart of postgres", "down + up of the stack", ...
    began: datetime


# Whole-second timestamps (Go's log package) may read up to a second before the event.
CLOCK_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class AllowedError:
    service: str  # the service whose log may show the line
    pattern: re.Pattern[str]
    reason: str  # why the line is harmless in that window, for a reviewer to check
    during: tuple[str, ...] = ()  # the disruption kinds that cause it
    within: float = 0.0  # seconds from the start of such a disruption

    def window(self) -> str:
        kinds = ", ".join(self.during) or "no disruption"
        return f"within {self.within:g} s of: {kinds}"

    def covers(self, line: LogLine, disturbances: Sequence[Disturbance]) -> Disturbance | None:
        """The disturbance whose noise `line` is (the latest one it can belong to), if this
        entry allows it."""
        if line.service != self.service or not self.pattern.search(line.text):
            return None
        limit = timedelta(seconds=self.within)
        causes = [
            d
            for d in disturbances
            if d.kind in self.during and d.began - CLOCK_SLACK <= line.ts <= d.began + limit
        ]
        return max(causes, key=lambda d: d.began, default=None)


# The Phase 3 gate's allowlist is empty on purpose: the error lines seen on a healthy native
# stack (Temporal's "Frontend is not healthy yet" and "Queue reader unable to retrieve tasks:
# shard status unknown", PostgreSQL's "database ... does not exist" while the schema is
# created) all come from start-up, before any scenario's window opens.
ALLOWLIST: tuple[AllowedError, ...] = ()

# The lowest level that counts as an error, per service. Our worker logs failed activities
# and failed workflow tasks at WARNING (the SDK's choice) and nothing else at that level
# while it runs: for it a warning is already a failure.
ERROR_LEVELS: dict[str, frozenset[str]] = {
    "worker": frozenset({"warn", "error", "fatal"}),
}
DEFAULT_ERROR_LEVELS = frozenset({"error", "fatal"})
# What a crashing process writes without a level: the Go runtime's panic and fatal-error
# traces (temporal-server, the UI server) and the Python interpreter's fatal errors.
CRASH_TRACE = re.compile(
    r"^\s*(?:panic: |fatal error: |goroutine \d+ \[running\]|Fatal Python error: )"
)


def counts_as_error(line: LogLine) -> bool:
    if line.level in ERROR_LEVELS.get(line.service, DEFAULT_ERROR_LEVELS):
        return True
    return bool(CRASH_TRACE.match(line.text))


def silent_problem(service: str, since: datetime) -> str:
    stamp = since.isoformat(timespec="milliseconds")
    return f"no lines from {service} since {stamp}: is its log being written?"


@dataclass(frozen=True)
class ScanResult:
    since: datetime
    scanned: dict[str, int]  # lines in the window, per service
    errors: list[LogLine]
    allowed: list[tuple[LogLine, AllowedError, Disturbance]]
    silent: list[str] = field(default_factory=list)  # required services without a line

    def summary(self) -> str:
        counts = ", ".join(f"{service}: {n} lines" for service, n in self.scanned.items())
        lines = [
            f"scanned {counts}",
            f"errors: {len(self.errors)}, allowed: {len(self.allowed)}, "
            f"silent: {', '.join(self.silent) or 'none'}",
        ]
        lines += [f"ERROR   {line.render()}" for line in self.errors]
        for line, rule, cause in self.allowed:
            after = (line.ts - cause.began).total_seconds()
            lines.append(
                f"ALLOWED {line.render()}  ({rule.reason}; {after:+.1f} s after the "
                f"{cause.kind}, allowed {rule.within:g} s)"
            )
        return "\n".join(lines)

    def failure(self, limit: int = 10) -> str:
        shown = [line.render()[:400] for line in self.errors[:limit]]
        more = [f"... and {len(self.errors) - limit} more"] if len(self.errors) > limit else []
        return "\n".join([f"{len(self.errors)} error line(s) in the logs:", *shown, *more])

    def problems(self) -> list[str]:
        """What fails the gate: each silent log, then the error lines."""
        found = [silent_problem(service, self.since) for service in self.silent]
        return found + ([self.failure()] if self.errors else [])


def scan(
    logs: Mapping[str, Iterable[LogLine]],
    since: datetime,
    allowlist: Sequence[AllowedError] = ALLOWLIST,
    disturbances: Sequence[Disturbance] = (),
    required: Collection[str] | None = None,
) -> ScanResult:
    """Sort every error-level line of `logs` (service → lines since `since`) into errors and
    allowed noise; `required` services (default: all given) must have logged a line."""
    scanned: dict[str, int] = {}
    errors: list[LogLine] = []
    allowed: list[tuple[LogLine, AllowedError, Disturbance]] = []
    for service, lines in logs.items():
        count = 0
        # The verdict of the last entry with a timestamp of its own, when it was allowed: a
        # line without one (a continuation: it inherited the entry's level) belongs to that
        # entry — e.g. the plain "All services are stopped." Temporal prints on exit, after
        # its last, allowed, error line. A crash trace never rides on an allowed entry.
        entry: tuple[AllowedError, Disturbance] | None = None
        for line in lines:
            count += 1
            if not counts_as_error(line):
                entry = None  # whatever continues this line inherits a level that is no error
                continue
            own_stamp = parse_line(line.text)[0] is not None  # only error lines are parsed again
            covered = next(
                ((rule, cause) for rule in allowlist if (cause := rule.covers(line, disturbances))),
                None,
            )
            if covered is None and not own_stamp and not CRASH_TRACE.match(line.text):
                covered = entry
            if own_stamp:
                entry = covered
            if covered is None:
                errors.append(line)
            else:
                allowed.append((line, *covered))
        scanned[service] = count
    errors.sort(key=lambda line: line.ts)
    wanted = logs.keys() if required is None else required
    silent = [service for service in wanted if not scanned.get(service)]
    return ScanResult(since, scanned, errors, allowed, silent)
