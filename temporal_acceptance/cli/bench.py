"""Benchmark of the native stack's lifecycle: prints figures, asserts nothing about speed.

`temporal-acceptance bench` brings up a throw-away stack (its own state directory and ports),
measures provisioning, the first `up` (initdb + schema), `down`, a warm `up`, and a restart
and a crash (SIGKILL) + start of each service, then deletes that stack's data.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from temporal_acceptance.core.progress import Say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import START_ORDER, Service, Stack
from temporal_acceptance.stack.native.stack import NativeStack

BENCH_PORTS = {"postgres_port": "59632", "temporal_port": "29233", "ui_port": "29080"}


@dataclass
class Figures:
    rows: list[tuple[str, list[float]]] = field(default_factory=list)

    def measure(self, name: str, action: Callable[[], object], rounds: int = 1) -> None:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
        self.rows.append((name, samples))

    def table(self) -> str:
        width = max(len(name) for name, _ in self.rows)
        lines = [f"{'measurement':<{width}}  median    min      max      n"]
        for name, samples in self.rows:
            lines.append(
                f"{name:<{width}}  {statistics.median(samples):6.2f}s  {min(samples):6.2f}s  "
                f"{max(samples):6.2f}s  {len(samples)}"
            )
        return "\n".join(lines)


def lifecycle(stack: Stack, figures: Figures, rounds: int) -> None:
    figures.measure("first up (initdb + schema)", stack.up)
    figures.measure("down (data kept)", stack.down)
    figures.measure("up, everything cached", stack.up)
    figures.measure("down + up", lambda: (stack.down(), stack.up()), rounds)
    for service in START_ORDER:
        figures.measure(f"restart {service.value}", partial(stack.restart, service), rounds)
        figures.measure(f"kill -9 + start {service.value}", partial(_crash, stack, service), rounds)
        # Starting PostgreSQL again does not wait for Temporal to notice; make sure it has
        # before the next measurement so each figure times one service only.
        stack.start(Service.TEMPORAL)


def _crash(stack: Stack, service: Service) -> None:
    stack.kill(service)
    stack.start(service)


def run_bench(settings: Settings, rounds: int, say: Say) -> str:
    state = Path(tempfile.mkdtemp(prefix="tacc-bench-", dir="/var/tmp"))
    state.chmod(0o755)  # PostgreSQL may run as an unprivileged account and must reach it
    values = {**BENCH_PORTS, "state_dir": str(state)}
    values.update(
        postgres_version=str(settings.postgres_major),
        temporal_version=settings.temporal_version,
        ui_version=settings.ui_version,
        cache_dir=str(settings.cache_dir),
    )
    bench_settings = Settings.load(values, env={})
    stack = NativeStack(bench_settings, say=lambda line: None)
    figures = Figures()
    try:
        figures.measure("provision binaries (cached)", stack.binaries)
        lifecycle(stack, figures, rounds)
    finally:
        stack.down(purge=True)
        shutil.rmtree(state, ignore_errors=True)
    header = (
        f"native stack: Temporal {bench_settings.temporal_version}, UI "
        f"{bench_settings.ui_version}, PostgreSQL {bench_settings.postgres_major}"
    )
    say(header)
    return figures.table()
