"""The load gate's arithmetic, its table, the external target's bounded load, the load
runner's timing and the timing table."""

from __future__ import annotations

import asyncio
import math
from types import SimpleNamespace

import pytest
from temporalio.service import RPCError, RPCStatusCode

from temporal_acceptance.checks import performance as perf
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.probes.resources import Series
from temporal_acceptance.reporting import timings
from temporal_acceptance.reporting.charts import latency_chart, resource_chart
from temporal_acceptance.workload.throughput import Timed, one_workflow, run_load

ROW = {
    "load": "short",
    "workflows": "300",
    "concurrency": "50",
    "timer": "-",
    "at least per second": "12",
    "p50 at most": "3.0",
    "p95 at most": "5",
    "p99 at most": "-",
}


def test_percentile_interpolates_between_ranks() -> None:
    assert perf.percentile([1.0, 2.0], 50) == 1.5
    assert perf.percentile([5.0, 1.0, 3.0], 0) == 1.0
    assert perf.percentile([5.0, 1.0, 3.0], 100) == 5.0
    assert perf.percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    assert math.isnan(perf.percentile([], 50))
    with pytest.raises(ValueError, match="outside"):
        perf.percentile([1.0], 101)


def test_summarise_counts_failures_and_throughput() -> None:
    spec = perf.LoadSpec("short", 4, 2)
    samples = [Timed(0, 1.0), Timed(0, 2.0), Timed(1, 3.0), Timed(1, None, "RPCError: gone")]
    figures = perf.summarise(spec, samples, 4.0)
    assert (figures.completed, figures.failed) == (3, 1)
    assert figures.throughput == 0.75
    assert figures.p50 == 2.0
    assert figures.max == 3.0
    assert figures.errors == ["RPCError: gone"]
    assert "3/4 completed in 4.00 s" in figures.line()
    assert figures.as_json()["spec"]["count"] == 4


def test_problems_name_each_missed_threshold() -> None:
    spec = perf.LoadSpec("short", 2, 2)
    figures = perf.summarise(spec, [Timed(0, 1.0), Timed(0, 9.0)], 10.0)
    found = perf.problems(figures, perf.Thresholds(1.0, 2.0, 3.0, None))
    assert any("0.2 workflows/s, expected at least 1" in p for p in found)
    assert any("latency p50 5.000 s, expected at most 2 s" in p for p in found)
    assert any("p95" in p for p in found)
    assert not any("p99" in p for p in found)
    assert perf.problems(figures, perf.Thresholds(0.1, 6.0, 9.0, 9.0)) == []


def test_nothing_completed_fails_every_latency_threshold() -> None:
    figures = perf.summarise(perf.LoadSpec("short", 1, 1), [Timed(0, None, "x")], 1.0)
    found = perf.problems(figures, perf.Thresholds(None, 1.0, 1.0, 1.0))
    assert found[0].startswith("1 of 1 short workflows at a concurrency of 1 did not complete")
    assert len(found) == 4


def test_parse_row_reads_the_table() -> None:
    spec, limits = perf.parse_row(ROW)
    assert spec == perf.LoadSpec("short", 300, 50, 0.0)
    assert limits == perf.Thresholds(12.0, 3.0, 5.0, None)
    five, _ = perf.parse_row({**ROW, "load": "five-stage", "timer": "1"})
    assert "(1 s timer)" in five.line()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"load": "huge"}, "unknown load"),
        ({"p50 at most": "fast"}, "not a number"),
        ({"p95 at most": "0"}, "above 0"),
        ({"workflows": "-"}, "needs workflows and concurrency"),
    ],
)
def test_parse_row_refuses_bad_cells(change: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        perf.parse_row({**ROW, **change})


def test_external_load_is_bounded_and_set_by_the_user() -> None:
    spec, limits = perf.parse_row(ROW)
    small, kept, note = perf.scaled_for_external(spec, limits, "")
    assert (small.count, small.concurrency) == (perf.EXTERNAL_DEFAULT_COUNT, 20)
    assert kept.min_throughput is None
    assert kept.max_p50 == 3.0
    assert "load_workflows" in note
    with pytest.raises(UserError, match="not a count"):
        perf.scaled_for_external(spec, limits, "5000")
    with pytest.raises(UserError, match="not a count"):
        perf.scaled_for_external(spec, limits, "0")
    assert perf.scaled_for_external(spec, limits, "1000")[0].count == 300  # never above the table


def test_run_load_bounds_concurrency_and_times_failures() -> None:
    in_flight = peak = 0
    calls = 0

    ids: list[str] = []

    async def one(workflow_id: str) -> None:
        nonlocal in_flight, peak, calls
        ids.append(workflow_id)
        calls += 1
        mine = calls
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        if mine == 3:
            raise RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b"")

    progress: list[int] = []
    done = asyncio.run(run_load(one, 10, 3, lambda n, total: progress.append(n), prefix="t"))
    assert peak == 3
    assert len(done.samples) == 10
    assert progress[-1] == 10
    failed = [s for s in done.samples if s.latency is None]
    assert len(failed) == 1
    assert "unavailable" in failed[0].error
    assert all(s.latency is None or s.latency >= 0.01 for s in done.samples)
    assert done.wall_seconds >= 0.03
    # every workflow has an id of its own, kept with its sample (its history can be read)
    assert len(set(ids)) == 10
    assert all(i.startswith("t-") for i in ids)
    assert sorted(s.workflow_id for s in done.samples) == sorted(ids)


def test_one_workflow_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown load kind"):
        one_workflow("huge", SimpleNamespace(), "q", 0.0)  # type: ignore[arg-type]


def test_charts_are_png() -> None:
    figures = perf.summarise(perf.LoadSpec("short", 3, 2), [Timed(0, 1.0), Timed(0.5, 2.0),
                             Timed(1, None, "x")], 3.0)  # fmt: skip
    assert latency_chart(figures, [Timed(0, 1.0), Timed(1, None)]).startswith(b"\x89PNG")
    series = {"postgres": Series("postgres", [(0.5, 10.0, 100.0), (1.0, 20.0, 110.0)])}
    assert resource_chart(series, "t").startswith(b"\x89PNG")


def _scenario(name: str, seconds: float, status: str = "passed") -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        duration=seconds,
        status=SimpleNamespace(name=status),
        feature=SimpleNamespace(name="Persistence"),
        location=f"features/p.feature:{int(seconds)}",
    )


def test_timing_table_is_slowest_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = timings.timings(
        [
            _scenario("fast", 1.0),
            _scenario("slow", 15.3, "failed"),
            _scenario("left out", 0.0, "untested"),
            _scenario("skipped while running", 0.0, "skipped"),
        ]
    )
    assert [r.scenario for r in rows] == ["slow", "fast"]
    text = timings.table(rows, limit=1)
    assert text.splitlines()[1].strip().startswith("15.3  failed")
    assert "16.3  in all, 2 scenarios; 1 more in the files" in text
    path = timings.save(rows, tmp_path / "timings.json")
    assert path.with_suffix(".txt").read_text().count("Persistence") == 2
    assert timings.overview_fact(rows) == {"Slowest scenarios": "slow 15.3 s; fast 1.0 s"}
    assert timings.overview_fact([]) == {}
    long = timings.Timing(1.0, "passed", "F" * 80, "S" * 80, "")
    assert len(long.row(50)) < 80
    assert long.row(50).endswith("…")
