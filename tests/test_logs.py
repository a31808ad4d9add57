from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.core.logs import parse_line, parse_lines, read_log, tail, window

TEMPORAL = (
    '{"level":"error","ts":"2026-11-25T14:38:34.599Z","msg":"service failures",'
    '"error":"Frontend is not healthy yet"}'
)
PG = "2026-11-25 14:38:33.585 UTC [16164] FATAL:  the database system is starting up"
UI = "2026/11/25 14:38:34 Loading config; env=acceptance"
WORKER = "2026-11-25T14:38:35.100+00:00 INFO worker started"


def test_parses_each_known_format() -> None:
    assert parse_line(TEMPORAL) == (datetime(2026, 11, 25, 14, 38, 34, 599000, UTC), "error")
    assert parse_line(PG) == (datetime(2026, 11, 25, 14, 38, 33, 585000, UTC), "fatal")
    ts, level = parse_line(UI)
    assert ts is not None
    assert ts.tzinfo is not None
    assert level == ""
    assert parse_line(WORKER) == (datetime(2026, 11, 25, 14, 38, 35, 100000, UTC), "info")
    assert parse_line("   at some.frame(File.java:1)") == (None, "")


def test_numeric_json_timestamps_and_level_names() -> None:
    ts, level = parse_line('{"level":"warning","ts":1764081514.5,"msg":"x"}')
    assert ts == datetime.fromtimestamp(1764081514.5, UTC)
    assert level == "warn"


def test_continuation_lines_inherit_the_previous_timestamp() -> None:
    lines = list(parse_lines(["preamble without time", PG, "DETAIL continuation", ""], "postgres"))
    assert [line.text for line in lines] == [PG, "DETAIL continuation"]
    assert lines[1].ts == lines[0].ts
    assert lines[1].is_error


def test_window_selects_by_time(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_text("\n".join([PG, TEMPORAL, WORKER]) + "\n")
    since = datetime(2026, 11, 25, 14, 38, 34, tzinfo=UTC)
    until = datetime(2026, 11, 25, 14, 38, 35)  # naive means UTC
    picked = read_log(log, "mixed", since, until)
    assert [line.text for line in picked] == [TEMPORAL]
    assert picked[0].render() == f"[mixed] {TEMPORAL}"
    lines = list(parse_lines([PG, "  DETAIL: more"], "pg"))
    assert lines[1].render() == "[pg] 2026-11-25T14:38:33.585+00:00   DETAIL: more"
    assert window(read_log(log, "mixed")) == read_log(log, "mixed")


def test_missing_log_is_empty_and_tail_says_so(tmp_path: Path) -> None:
    assert read_log(tmp_path / "none.log", "x") == []
    assert "no log at" in tail(tmp_path / "none.log")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert "empty log" in tail(empty)
    many = tmp_path / "many.log"
    many.write_text("\n".join(str(i) for i in range(100)))
    assert tail(many, 3) == "97\n98\n99"
