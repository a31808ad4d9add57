"""The load gate's arithmetic: a load's figures from its samples, and the figures against the
thresholds of the feature's table.

A load is `count` workflows of one kind, at most `concurrency` in flight at a time. Each
workflow gives one sample: when it was started (seconds after the load began) and how long
it took from the start request to its result (start-to-close latency, as a client sees it).
Throughput is the workflows completed per second of the load's wall time (from the first
start request to the last result). Percentiles interpolate linearly between ranks (the
definition numpy and most dashboards use), so p50 of [1, 2] is 1.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.workload.shared import FIVE_STAGE_LOAD, SHORT_LOAD
from temporal_acceptance.workload.throughput import Timed

KINDS = (SHORT_LOAD, FIVE_STAGE_LOAD)
# A load on a deployment the suite does not own is never unbounded (external target).
EXTERNAL_DEFAULT_COUNT = 20
EXTERNAL_MAX_COUNT = 1000


@dataclass(frozen=True)
class LoadSpec:
    kind: str
    count: int
    concurrency: int
    timer_seconds: float = 0.0  # the five-stage workflow's timer

    def line(self) -> str:
        timer = f" ({self.timer_seconds:g} s timer)" if self.kind == FIVE_STAGE_LOAD else ""
        return f"{self.count} {self.kind} workflows{timer} at a concurrency of {self.concurrency}"


@dataclass(frozen=True)
class Thresholds:
    min_throughput: float | None = None  # workflows per second
    max_p50: float | None = None  # seconds
    max_p95: float | None = None
    max_p99: float | None = None


@dataclass
class LoadFigures:
    spec: LoadSpec
    completed: int
    failed: int
    wall_seconds: float
    throughput: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.completed}/{self.spec.count} completed in {self.wall_seconds:.2f} s: "
            f"{self.throughput:.1f} workflows/s, latency p50 {self.p50:.3f} s, "
            f"p95 {self.p95:.3f} s, p99 {self.p99:.3f} s, max {self.max:.3f} s"
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between ranks; NaN if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0–100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(spec: LoadSpec, samples: Sequence[Timed], wall_seconds: float) -> LoadFigures:
    latencies = [s.latency for s in samples if s.latency is not None]
    errors = sorted({s.error for s in samples if s.latency is None and s.error})
    return LoadFigures(
        spec,
        completed=len(latencies),
        failed=len(samples) - len(latencies),
        wall_seconds=wall_seconds,
        throughput=len(latencies) / wall_seconds if wall_seconds > 0 else 0.0,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        max=max(latencies, default=math.nan),
        errors=errors[:5],
    )


def problems(figures: LoadFigures, limits: Thresholds) -> list[str]:
    """Every threshold the load missed, and every workflow that did not complete."""
    found = []
    what = figures.spec.line()
    if figures.failed:
        first = f"; first errors: {'; '.join(figures.errors)}" if figures.errors else ""
        found.append(f"{figures.failed} of {what} did not complete{first}")
    if limits.min_throughput is not None and not figures.throughput >= limits.min_throughput:
        found.append(
            f"{what}: {figures.throughput:.1f} workflows/s, expected at least "
            f"{limits.min_throughput:g}"
        )
    for name, seen, limit in (
        ("p50", figures.p50, limits.max_p50),
        ("p95", figures.p95, limits.max_p95),
        ("p99", figures.p99, limits.max_p99),
    ):
        if limit is not None and not seen <= limit:  # NaN (nothing completed) fails too
            found.append(f"{what}: latency {name} {seen:.3f} s, expected at most {limit:g} s")
    return found


def _number(row: Mapping[str, str], column: str) -> float | None:
    raw = row.get(column, "").strip()
    if raw in ("", "-"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise UserError(
            f"the load table's {column!r} is {raw!r}, not a number", "write a number or -"
        ) from None
    if value <= 0:
        raise UserError(f"the load table's {column!r} is {raw}", "thresholds must be above 0")
    return value


def parse_row(row: Mapping[str, str]) -> tuple[LoadSpec, Thresholds]:
    """One row of the feature's load table: `load`, `workflows`, `concurrency`, `timer`,
    `at least per second`, `p50 at most`, `p95 at most`, `p99 at most`."""
    kind = row.get("load", "").strip()
    if kind not in KINDS:
        raise UserError(f"unknown load {kind!r} in the load table", f"use one of {KINDS}")
    count, concurrency = _number(row, "workflows"), _number(row, "concurrency")
    if count is None or concurrency is None:
        raise UserError("a load row needs workflows and concurrency", "fill both columns")
    spec = LoadSpec(kind, int(count), int(concurrency), _number(row, "timer") or 0.0)
    limits = Thresholds(
        _number(row, "at least per second"),
        _number(row, "p50 at most"),
        _number(row, "p95 at most"),
        _number(row, "p99 at most"),
    )
    return spec, limits


def scaled_for_external(
    spec: LoadSpec, limits: Thresholds, asked: str
) -> tuple[LoadSpec, Thresholds, str]:
    """The external target runs the load its user sets (`-D load_workflows=N`, default
    small), never more than the table's nor EXTERNAL_MAX_COUNT; the throughput threshold,
    measured on this suite's own 2-core deployment, is not applied to it (latency ones are)."""
    raw = asked.strip() or str(EXTERNAL_DEFAULT_COUNT)
    if not raw.isdigit() or not 0 < int(raw) <= EXTERNAL_MAX_COUNT:
        raise UserError(
            f"load_workflows {raw!r} is not a count from 1 to {EXTERNAL_MAX_COUNT}",
            "set -D load_workflows=N (the external target's load, default "
            f"{EXTERNAL_DEFAULT_COUNT})",
        )
    count = min(int(raw), spec.count)
    scaled = LoadSpec(spec.kind, count, min(spec.concurrency, count), spec.timer_seconds)
    note = (
        f"external target: {count} workflows (of the table's {spec.count}; "
        "-D load_workflows=N sets it), latency thresholds only"
    )
    return scaled, Thresholds(None, limits.max_p50, limits.max_p95, limits.max_p99), note
