"""What a scenario leaves in the report besides its steps' own attachments: its timings,
and — when it failed — what every service logged while it ran.

Log sources are pluggable: the stack's services are always there, and other drivers (the
worker) add theirs to `Run.extra_log_sources`, so a failed scenario shows the worker's
output next to the servers' without the hooks knowing who is running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from temporal_acceptance.reporting.attach import attach_text
from temporal_acceptance.reporting.config import effective_config_yaml
from temporal_acceptance.stack.base import START_ORDER, Stack
from temporal_acceptance.stack.logs import LogLine

# Go's log package writes whole seconds: a line stamped with a whole second belongs to the
# window if its second does, so the read is widened by a second and then narrowed per line.
WINDOW_SLACK = timedelta(seconds=1)
# Enough to hold a crash and its context; a full service log belongs in the state dir.
MAX_LINES_PER_SOURCE = 400

LogReader = Callable[[datetime | None, datetime | None], list[LogLine]]


@dataclass(frozen=True)
class LogSource:
    """A named log that can be read back by time window (a service, the worker, ...)."""

    name: str
    read: LogReader


def stack_log_sources(stack: Stack) -> list[LogSource]:
    def reader(service: Any) -> LogReader:
        return lambda since, until: stack.logs(service, since, until)

    return [LogSource(service.value, reader(service)) for service in START_ORDER]


@dataclass
class ScenarioWindow:
    """When a scenario ran (UTC), for reading logs of exactly that time."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None

    def close(self) -> ScenarioWindow:
        self.ended = datetime.now(UTC)
        return self

    @property
    def since(self) -> datetime:
        return self.started - WINDOW_SLACK

    @property
    def until(self) -> datetime:
        return (self.ended or datetime.now(UTC)) + WINDOW_SLACK

    def holds(self, line: LogLine) -> bool:
        """Whether a line was logged while the scenario ran (to its timestamp's precision)."""
        ended = self.ended or datetime.now(UTC)
        if line.ts.microsecond == 0:  # a whole-second stamp: compare whole seconds
            return self.started.replace(microsecond=0) <= line.ts <= ended
        return self.started <= line.ts <= ended


def log_excerpt(lines: Sequence[LogLine], limit: int = MAX_LINES_PER_SOURCE) -> str:
    """The lines as text, keeping the last `limit` (the failure is usually at the end)."""
    if not lines:
        return "(nothing logged in this window)"
    shown = lines[-limit:]
    errors = sum(1 for line in lines if line.is_error)
    head = f"{len(lines)} lines, {errors} at error level or above"
    if len(lines) > limit:
        head += f"; the last {limit} shown"
    return head + "\n\n" + "\n".join(line.render() for line in shown)


def attach_logs(sources: Iterable[LogSource], window: ScenarioWindow) -> list[str]:
    """Attach each source's lines of the window; return the attachment names."""
    names = []
    for source in sources:
        name = f"log: {source.name}"
        try:
            lines = [line for line in source.read(window.since, window.until) if window.holds(line)]
            body = log_excerpt(lines)
        except Exception as exc:  # a log that cannot be read must not hide the failure
            body = f"could not read the {source.name} log: {type(exc).__name__}: {exc}"
        span = f"{window.started.isoformat()} → {(window.ended or window.started).isoformat()}"
        attach_text(name, f"{source.name} log while the scenario ran, {span}\n{body}")
        names.append(name)
    return names


def timings_text(steps: Iterable[Any], window: ScenarioWindow) -> str:
    """Each step's duration and status, and the scenario's wall time."""
    rows = [
        f"{float(step.duration or 0.0):8.3f} s  {step.status.name:<9} {step.keyword} {step.name}"
        for step in steps
    ]
    total = ((window.ended or datetime.now(UTC)) - window.started).total_seconds()
    return "\n".join([*rows, f"{total:8.3f} s  scenario wall time (hooks included)"])


def attach_timings(steps: Iterable[Any], window: ScenarioWindow) -> str:
    return attach_text("timings", timings_text(steps, window))


class ReportedRun(Protocol):
    """What the end-of-scenario report needs from the run (harness.Run provides it)."""

    @property
    def stack(self) -> Stack: ...

    def log_sources(self) -> list[LogSource]: ...


def report_scenario_end(run: ReportedRun, scenario: Any, window: ScenarioWindow) -> list[str]:
    """Attach the timings of every scenario and, when it failed or errored, the effective
    configuration and each log source's lines of its time window. Returns what was attached.
    Never raises: evidence that cannot be gathered says so instead of hiding the failure."""
    window.close()
    attach_timings(scenario.all_steps, window)
    attached = ["timings"]
    if not scenario.status.has_failed():
        return attached
    name = "effective configuration (redacted)"
    try:
        attach_text(name, effective_config_yaml(run.stack), "yaml")
    except Exception as exc:
        attach_text(name, f"could not read the configuration: {type(exc).__name__}: {exc}")
    attached.append(name)
    return attached + attach_logs(run.log_sources(), window)
