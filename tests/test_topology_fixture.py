"""The multirole gates' run-wide fixture (figures, skips) and the noise a multirole
Temporal may log while its processes stop, start or die."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fake_stack import RecordingStack
from test_role_disruptions import RoleStack

from temporal_acceptance.checks.logscan import Disturbance, scan
from temporal_acceptance.checks.restart_noise import MULTIROLE_NOISE, RESTART_NOISE
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.fixtures.topology import TopologyFixture, skip_reason
from temporal_acceptance.stack.disruption import DISRUPTIONS

NOW = datetime(2026, 12, 1, 21, tzinfo=UTC)


def _line(text: str, process: str = "history-2") -> LogLine:
    return LogLine(NOW, "temporal", "error", text, process)


def test_multirole_scenarios_skip_on_one_process_saying_how_to_run_them() -> None:
    assert skip_reason(RecordingStack(), ["multirole", "P0"]).startswith(
        "needs topology=multirole (one process per Temporal role); this deployment runs "
        "topology=single — run with -D topology=multirole"
    )
    assert skip_reason(RecordingStack(), ["P0"]) == ""
    assert skip_reason(RoleStack(), ["multirole"]) == ""


def test_figures_are_printed_and_appended_for_later_runs(tmp_path: Path) -> None:
    out = io.StringIO()
    fixture = TopologyFixture(out=out, path=tmp_path / "figures.jsonl", run="r1")
    fixture.record("kill", "shard takeover", 5.4321, shards=7)
    fixture.record("kill", "time to progress", None)
    fixture.close()
    fixture.close()  # nothing new: nothing appended twice
    rows = [json.loads(line) for line in (tmp_path / "figures.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    assert rows[0]["seconds"] == 5.432
    assert rows[0]["shards"] == 7
    assert rows[1]["seconds"] is None
    assert "shard takeover       5.43" in out.getvalue()
    assert "never" in out.getvalue()
    TopologyFixture(out=out, path=tmp_path / "none.jsonl").close()
    assert not (tmp_path / "none.jsonl").exists()


def test_shard_handoff_is_allowed_only_on_a_multirole_temporal_disruption() -> None:
    crash = DISRUPTIONS["one history host is killed"]
    postgres = DISRUPTIONS["PostgreSQL is restarted"]
    handoff = _line('{"msg":"Couldn\'t acquire shard","error":"Failed to update shard. '
                    'Previous range ID: 4; new range ID: 5"}')  # fmt: skip
    owned = _line('{"error":"Shard is owned by:127.0.0.1:18236 but not by 127.0.0.1:18234"}')
    scanner = _line('{"msg":"error starting workflow","wf-type":"temporal-sys-tq-scanner-'
                    'workflow","error":"RST_STREAM"}', "worker")  # fmt: skip
    # a write fenced by the new owner (two history hosts starting together, 2026-12-03)
    fenced = _line('{"msg":"Persistent store operation Failure","store-operation":"create-wf-'
                   'execution","error":"Failed to lock shard. Previous range ID: 10; new range '
                   'ID: 11"}', "history-1")  # fmt: skip
    other = _line('{"msg":"Persistent store operation failure","error":"data corrupted"}')
    lines = {"temporal": [handoff, owned, scanner, fenced, other]}
    since = NOW - timedelta(seconds=1)
    after_crash = [Disturbance(crash.name, since)]
    multirole = RESTART_NOISE + MULTIROLE_NOISE
    result = scan(lines, since, multirole, after_crash, required=())
    assert result.errors == [other]
    assert len(result.allowed) == 4
    single = scan(lines, since, RESTART_NOISE, after_crash, required=())
    assert len(single.errors) == 5  # single: none of it allowed
    after_postgres = [Disturbance(postgres.name, since)]
    assert len(scan(lines, since, multirole, after_postgres, required=()).errors) == 5
    late = [Disturbance(crash.name, since - timedelta(seconds=60))]
    assert len(scan(lines, since, multirole, late, required=()).errors) == 5  # out of window
    whole = [
        Disturbance(DISRUPTIONS["the whole stack is taken down and brought up again"].name, since)
    ]
    assert scan(lines, since, multirole, whole, required=()).errors == [other]


def test_a_cancelled_shard_lock_is_allowed_on_both_sides_after_a_multirole_down_and_up() -> None:
    whole = [Disturbance(DISRUPTIONS["the whole stack is taken down and brought up again"].name,
                         NOW - timedelta(seconds=1))]  # fmt: skip
    since = NOW - timedelta(seconds=1)
    cancelled = (
        "Failed to lock shard with ID: 16. Error: pq: canceling statement due to user request"
    )
    temporal = _line('{"msg":"Persistent store operation failure","error":"' + cancelled + '"}')
    postgres = LogLine(NOW, "postgres", "error", "ERROR:  canceling statement due to user request")
    lines = {"temporal": [temporal], "postgres": [postgres]}
    multirole = RESTART_NOISE + MULTIROLE_NOISE
    assert scan(lines, since, multirole, whole, required=()).errors == []
    assert len(scan(lines, since, RESTART_NOISE, whole, required=()).errors) == 2  # single
    after_postgres = [Disturbance(DISRUPTIONS["PostgreSQL is restarted"].name, since)]
    assert len(scan(lines, since, multirole, after_postgres, required=()).errors) == 2
