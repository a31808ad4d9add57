"""The load gate's pictures for the report (PNG, matplotlib without a display): each
workflow's latency against when it started, with the load's percentiles, and the CPU and
memory of every process over the load.

matplotlib is imported when a chart is drawn, not with this module: every behave run loads
the steps that use it, and most runs (each share of a run over several stacks, say) draw
nothing — its import alone costs about 0.8 CPU-seconds.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from temporal_acceptance.checks.performance import LoadFigures
from temporal_acceptance.probes.resources import Series
from temporal_acceptance.workload.throughput import Timed

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _pyplot() -> ModuleType:
    import matplotlib  # noqa: PLC0415 (drawn rarely; see the module docstring)

    matplotlib.use("Agg")  # no display: render to memory only
    import matplotlib.pyplot  # noqa: PLC0415

    return matplotlib.pyplot


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    _pyplot().close(figure)
    return buffer.getvalue()


def latency_chart(figures: LoadFigures, samples: Sequence[Timed]) -> bytes:
    """Latency of each completed workflow by its start time; p50/p95/p99 as lines; the
    workflows that did not complete as crosses on the time axis."""
    figure, axes = _pyplot().subplots(figsize=(9, 4.5))
    done = [(s.started, s.latency) for s in samples if s.latency is not None]
    axes.scatter([d[0] for d in done], [d[1] for d in done], s=8, alpha=0.6,
                 label=f"{len(done)} completed")  # fmt: skip
    lost = [s.started for s in samples if s.latency is None]
    if lost:
        axes.scatter(lost, [0] * len(lost), marker="x", color="red", label=f"{len(lost)} failed")
    for name, value, style in (
        ("p50", figures.p50, ":"),
        ("p95", figures.p95, "--"),
        ("p99", figures.p99, "-."),
    ):
        if not math.isnan(value):  # NaN: nothing completed
            axes.axhline(value, linestyle=style, color="black", linewidth=1,
                         label=f"{name} {value:.3f} s")  # fmt: skip
    axes.set_xlabel("started at (s after the load began)")
    axes.set_ylabel("start-to-close latency (s)")
    axes.set_title(f"{figures.spec.line()}: {figures.throughput:.1f} workflows/s")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    return _png(figure)


def resource_chart(series: Mapping[str, Series], title: str) -> bytes:
    """CPU % (100 = one core) and resident memory (MiB) of each process over time."""
    figure, (cpu, memory) = _pyplot().subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, one in sorted(series.items()):
        times = [p[0] for p in one.points]
        cpu.plot(times, [p[1] for p in one.points], label=name, linewidth=1)
        memory.plot(times, [p[2] for p in one.points], label=name, linewidth=1)
    cpu.set_ylabel("CPU % (100 = one core)")
    memory.set_ylabel("resident memory (MiB)")
    memory.set_xlabel("seconds")
    cpu.set_title(title)
    cpu.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    return _png(figure)
