"""Reads for a time window skip what is older, and never a line of the window."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from temporal_acceptance.core import logs
from temporal_acceptance.core.log_index import LogIndex
from temporal_acceptance.core.logs import parse_line, parse_lines, read_log, window

T0 = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def pg_line(at: datetime, text: str) -> str:
    return f"{at.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC [7] LOG:  {text}\n"


def parse_time(raw: str) -> datetime | None:
    return parse_line(raw)[0]


@pytest.fixture
def fine_index(monkeypatch: pytest.MonkeyPatch) -> LogIndex:
    """A checkpoint at every stamped line, so every skip is exercised."""
    index = LogIndex(parse_time, checkpoint_bytes=1)
    monkeypatch.setattr(logs, "_INDEX", index)
    return index


def full_read(path: Path, since: datetime) -> list[str]:
    with path.open(errors="replace") as handle:
        return [line.text for line in window(parse_lines(handle, "pg"), since)]


def test_a_window_read_equals_reading_everything(tmp_path: Path, fine_index: LogIndex) -> None:
    # Out of order by up to 3 s (threads), with continuation lines in between.
    rng = random.Random(7)
    log = tmp_path / "postgres.log"
    lines = []
    for n in range(300):
        at = T0 + timedelta(seconds=n / 10 + rng.uniform(-3, 3))
        lines.append(pg_line(at, f"line {n}"))
        if n % 7 == 0:
            lines.append(f"  DETAIL: continuation of {n}\n")
    log.write_text("".join(lines))
    for seconds in (-5, 0, 3.3, 10, 17.25, 29.9, 40):
        since = T0 + timedelta(seconds=seconds)
        assert [line.text for line in read_log(log, "pg", since)] == full_read(log, since)
    assert fine_index.start_offset(log, T0 + timedelta(seconds=20)) > 0


def test_a_read_skips_what_is_older(tmp_path: Path, fine_index: LogIndex) -> None:
    log = tmp_path / "postgres.log"
    log.write_text("".join(pg_line(T0 + timedelta(seconds=n), f"line {n}") for n in range(10)))
    offset = fine_index.start_offset(log, T0 + timedelta(seconds=5))
    with log.open("rb") as handle:
        handle.seek(offset)
        first = handle.readline().decode()
    # the latest line before the offset is older than 5 s; the first one read is line 4 or 5
    assert first.endswith(("line 4\n", "line 5\n"))
    assert fine_index.start_offset(log, T0 - timedelta(seconds=1)) == 0


def test_appended_lines_are_indexed_and_read(tmp_path: Path, fine_index: LogIndex) -> None:
    log = tmp_path / "postgres.log"
    log.write_text("".join(pg_line(T0 + timedelta(seconds=n), f"old {n}") for n in range(5)))
    since = T0 + timedelta(seconds=10)
    assert read_log(log, "pg", since) == []
    with log.open("a") as handle:
        handle.write(pg_line(T0 + timedelta(seconds=11), "new"))
        handle.write(pg_line(T0 + timedelta(seconds=12), "being written").rstrip("\n"))
    texts = [line.text for line in read_log(log, "pg", since)]
    assert [text.split("  ")[-1] for text in texts] == ["new", "being written"]


def test_a_replaced_or_truncated_file_is_indexed_anew(tmp_path: Path, fine_index: LogIndex) -> None:
    log = tmp_path / "postgres.log"
    log.write_text("".join(pg_line(T0 + timedelta(seconds=n), f"first {n}") for n in range(50)))
    since = T0 + timedelta(seconds=1)
    assert fine_index.start_offset(log, T0 + timedelta(seconds=40)) > 0
    log.write_text(pg_line(T0 + timedelta(seconds=2), "after truncation"))
    assert [line.text for line in read_log(log, "pg", since)] == [
        pg_line(T0 + timedelta(seconds=2), "after truncation").rstrip("\n")
    ]
    replacement = tmp_path / "next.log"
    replacement.write_text(pg_line(T0 + timedelta(seconds=3), "replaced"))
    os.replace(replacement, log)
    assert len(read_log(log, "pg", since)) == 1
    log.unlink()
    assert fine_index.start_offset(log, since) == 0
    assert read_log(log, "pg", since) == []
