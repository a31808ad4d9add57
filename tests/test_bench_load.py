"""bench-load's input and its printout (the run itself needs two servers: make bench-load)."""

from __future__ import annotations

import pytest

from temporal_acceptance.checks.performance import LoadSpec, summarise
from temporal_acceptance.cli import bench_load
from temporal_acceptance.cli.main import main
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.workload.throughput import Timed


def test_dynamic_config_pairs_are_yaml_values() -> None:
    parsed = bench_load.parse_dynamic(["matching.numTaskqueueReadPartitions=1", "a.b=true"])
    assert parsed == {
        "matching.numTaskqueueReadPartitions": [{"value": 1}],
        "a.b": [{"value": True}],
    }
    with pytest.raises(UserError, match="is not KEY=VALUE"):
        bench_load.parse_dynamic(["no-value"])


def test_bad_counts_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench-load", "--count", "0"]) == 2
    err = capsys.readouterr().err
    assert "--count 0" in err
    assert "Traceback" not in err


def test_a_side_prints_rounds_cpu_and_its_median() -> None:
    side = bench_load.Side("native (PostgreSQL)", "127.0.0.1:1", "default")
    spec = LoadSpec("short", 2, 2)
    side.rounds = [summarise(spec, [Timed(0, 1.0), Timed(0, 1.0)], w) for w in (1.0, 2.0, 4.0)]
    side.cpu = {
        "temporal": {"cpu_percent_mean": 120.0, "cpu_percent_max": 180.0, "rss_mib_max": 300}
    }
    assert side.throughput == 1.0
    text = "\n".join(side.lines())
    assert "round 3: 2/2 completed in 4.00 s" in text
    assert "temporal: CPU mean 120 %, max 180 %" in text
    assert "where the time went" not in text  # nothing read: nothing said
    side.spent = "10 slowest, 20.0 s in all: waiting for a worker to take a workflow task 90%"
    assert side.lines()[-1] == f"  where the time went (last round): {side.spent}"


def test_no_dev_server_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bench_load.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match="no Temporal CLI"):
        bench_load.dev_server_binary()
    assert 1024 <= bench_load.free_port() <= 65535
