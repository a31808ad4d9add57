"""Service log lines with timestamps and levels, read back by time window.

Each service writes its own format; this module knows them all so steps and the report can
ask "what did PostgreSQL and Temporal log during this scenario?" A line without its own
timestamp (a continuation, a stack trace) takes the timestamp of the line before it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.core.log_index import LogIndex

# PostgreSQL with log_line_prefix = '%m [%p] ': "2026-11-25 14:30:00.123 UTC [42] LOG:  ..."
_PG = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<tz>[A-Z]{2,5}|[+-]\d\d)\s"
    r"(?:\[\d+\]\s)?(?P<level>[A-Z]+):"
)
# Go's log package (UI server): "2026/11/25 14:30:00 message" (local time).
_GOLOG = re.compile(r"^(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s")
# ISO-8601 at line start (Python worker logs, echo): "2026-11-25T14:30:00.123+00:00 ..."
_ISO = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)")
_LEVEL_WORD = re.compile(r"\b(?P<level>DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL|PANIC|CRITICAL)\b")

_PG_LEVELS = {
    "LOG": "info",
    "STATEMENT": "info",
    "DETAIL": "info",
    "HINT": "info",
    "CONTEXT": "info",
    "WARNING": "warn",
    "ERROR": "error",
    "FATAL": "fatal",
    "PANIC": "fatal",
}


@dataclass(frozen=True)
class LogLine:
    ts: datetime
    service: str
    level: str  # debug, info, warn, error, fatal, or "" when unknown
    text: str
    # Which of the service's processes wrote it ("" = the service has one), e.g. history-1.
    process: str = ""

    def render(self) -> str:
        """The line as written, prefixed by its service (and process); lines without a
        timestamp of their own (continuations) get the one they inherited, so excerpts
        stay ordered."""
        has_own = parse_line(self.text)[0] is not None
        stamp = "" if has_own else f"{self.ts.isoformat(timespec='milliseconds')} "
        source = f"{self.service} {self.process}" if self.process else self.service
        return f"[{source}] {stamp}{self.text}"

    @property
    def is_error(self) -> bool:
        return self.level in ("error", "fatal")


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _normalise_level(word: str) -> str:
    word = word.lower()
    return {"warning": "warn", "critical": "fatal", "panic": "fatal", "dpanic": "fatal"}.get(
        word, word
    )


def _json_time(record: dict[str, object]) -> datetime | None:
    """A JSON line's timestamp: Temporal (zap) writes "ts", the UI server's request log
    (echo) "time" (with nanoseconds, which fromisoformat cuts to microseconds)."""
    for key in ("ts", "time"):
        value = record.get(key)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        if isinstance(value, str):
            try:
                return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                return None
    return None


def parse_line(raw: str) -> tuple[datetime | None, str]:
    """(timestamp or None, level or '') for one raw log line of any known format."""
    stripped = raw.strip()
    if stripped.startswith("{"):
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict) and (ts := _json_time(record)) is not None:
            return ts, _normalise_level(str(record.get("level", "")))
    if match := _PG.match(raw):
        tz = match["tz"]
        ts = datetime.fromisoformat(match["ts"])
        ts = _aware(ts) if tz in ("UTC", "GMT") else ts.astimezone(UTC)
        return ts, _PG_LEVELS.get(match["level"], "")
    if match := _GOLOG.match(raw):
        ts = datetime.strptime(match["ts"].split(".")[0], "%Y/%m/%d %H:%M:%S").astimezone(UTC)
        level = _LEVEL_WORD.search(raw)
        return ts, _normalise_level(level["level"]) if level else ""
    if match := _ISO.match(raw):
        ts = datetime.fromisoformat(match["ts"].replace("Z", "+00:00"))
        ts = ts.astimezone(UTC) if ts.tzinfo else ts.astimezone().astimezone(UTC)
        level = _LEVEL_WORD.search(raw)
        return ts, _normalise_level(level["level"]) if level else ""
    return None, ""


def parse_lines(lines: Iterable[str], service: str, process: str = "") -> Iterator[LogLine]:
    last_ts: datetime | None = None
    last_level = ""
    for raw in lines:
        text = raw.rstrip("\n")
        if not text.strip():
            continue
        ts, level = parse_line(text)
        if ts is None:
            if last_ts is None:
                continue  # preamble before any timestamp: no window can claim it
            ts, level = last_ts, last_level
        last_ts, last_level = ts, level
        yield LogLine(ts, service, level, text, process)


def window(
    lines: Iterable[LogLine], since: datetime | None = None, until: datetime | None = None
) -> list[LogLine]:
    return [
        line
        for line in lines
        if (since is None or line.ts >= _aware(since))
        and (until is None or line.ts <= _aware(until))
    ]


def restamp_trailing(lines: list[LogLine], written: datetime) -> list[LogLine]:
    """Lines at the end of a log without a timestamp of their own (a Go panic's trace after
    the last structured line) were written after the last stamped line and no later than
    the file's last modification: stamp them with that time, so the window they were
    really written in claims them, not the window of the line before them."""
    stamped = len(lines)
    while stamped > 0 and parse_line(lines[stamped - 1].text)[0] is None:
        stamped -= 1
    if stamped == len(lines):
        return lines
    ts = max(_aware(written), lines[stamped - 1].ts) if stamped else _aware(written)
    return lines[:stamped] + [replace(line, ts=ts) for line in lines[stamped:]]


def read_log(
    path: Path,
    service: str,
    since: datetime | None = None,
    until: datetime | None = None,
    process: str = "",
) -> list[LogLine]:
    if not path.is_file():
        return []
    start = _INDEX.start_offset(path, _aware(since)) if since is not None else 0
    with path.open("rb") as raw:
        raw.seek(start)
        with io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as handle:
            lines = list(parse_lines(handle, service, process))
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return window(restamp_trailing(lines, written), since, until)


# Reads for a time window skip what is older (core/log_index.py).
_INDEX = LogIndex(lambda raw: parse_line(raw)[0])


def tail(path: Path, count: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    if not path.is_file():
        return f"(no log at {path})"
    lines = path.read_text(errors="replace").splitlines()[-count:]
    return "\n".join(lines) if lines else f"(empty log {path})"


# A collector's own timestamp in front of the service's line: `docker logs --timestamps`,
# `kubectl logs --timestamps` (RFC 3339, nanoseconds).
_COLLECTOR_STAMP = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s(?P<rest>.*)$"
)


def parse_collected(lines: Iterable[str], service: str) -> Iterator[LogLine]:
    """Lines a log collector printed: its timestamp (when it adds one) dates the line, the
    service's own format gives the level; lines without a timestamp continue the last."""
    last_ts: datetime | None = None
    last_level = ""
    for raw in lines:
        text = raw.rstrip("\n")
        if not text.strip():
            continue
        stamped = _COLLECTOR_STAMP.match(text)
        if stamped and stamped["rest"].strip():
            rest = stamped["rest"]
            own_ts, level = parse_line(rest)
            if not level and own_ts is None:
                word = _LEVEL_WORD.search(rest)
                level = _normalise_level(word["level"]) if word else ""
            ts = _aware(datetime.fromisoformat(stamped["ts"].replace("Z", "+00:00")))
            text = rest
        else:
            parsed_ts, level = parse_line(text)
            if parsed_ts is None:
                if last_ts is None:
                    continue
                parsed_ts, level = last_ts, last_level
            ts = parsed_ts
        last_ts, last_level = ts, level
        yield LogLine(ts, service, level, text)
