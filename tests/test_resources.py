"""The resource sampler: CPU as the tree's CPU time over wall time, memory as resident set,
a restarted process followed under its new pid; the stack's pids; database sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from types import SimpleNamespace

import pytest

from temporal_acceptance.probes import resources
from temporal_acceptance.probes.resources import Reading, ResourceSampler, Series


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _reader(readings: dict[int, Reading]) -> Callable[[Collection[int]], dict[int, Reading]]:
    return lambda pids: {pid: readings[pid] for pid in pids if pid in readings}


def _stat(root: Path, pid: int, ppid: int, utime: int, stime: int, rss_pages: int) -> None:
    # proc(5): pid (comm) state ppid ... utime(14) stime(15) ... rss(24); a comm with ") ("
    rest = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 8 + [str(rss_pages)]
    (root / str(pid)).mkdir()
    (root / str(pid) / "stat").write_text(f"{pid} (odd ) (name) " + " ".join(rest) + " 0 0\n")


def test_each_tree_is_summed_from_one_reading_of_the_process_table(tmp_path: Path) -> None:
    _stat(tmp_path, 10, 1, 100, 50, 10)  # postgres
    _stat(tmp_path, 11, 10, 30, 20, 5)  # one of its backends
    _stat(tmp_path, 12, 11, 1, 1, 1)  # and a grandchild
    _stat(tmp_path, 20, 1, 7, 3, 2)  # another service
    (tmp_path / "30").mkdir()  # a process that exited while the table was read: no stat
    (tmp_path / "self").mkdir()  # not a pid
    trees = resources.read_trees([10, 20, 99], str(tmp_path))
    assert set(trees) == {10, 20}  # 99 is gone
    assert trees[10].cpu_seconds == pytest.approx((150 + 50 + 2) / resources.TICKS)
    assert trees[10].rss_bytes == 16 * resources.PAGE
    assert trees[20] == Reading(10 / resources.TICKS, 2 * resources.PAGE)


def test_cpu_is_tree_time_over_wall_time() -> None:
    clock = Clock()
    readings = {1: Reading(10.0, 100 * resources.MIB)}
    sampler = ResourceSampler(lambda: {"temporal": 1}, reader=_reader(readings), clock=clock)
    sampler.sample()  # the first reading: nothing to divide by yet
    assert sampler.series == {}
    clock.now, readings[1] = 2.0, Reading(11.0, 150 * resources.MIB)
    sampler.sample()
    assert sampler.series["temporal"].points == [(2.0, 50.0, 150.0)]
    summary = sampler.summary()["temporal"]
    assert summary["cpu_percent_max"] == 50.0
    assert summary["rss_mib_max"] == 150.0


def test_a_new_pid_starts_a_new_interval_and_a_gone_process_is_skipped() -> None:
    clock = Clock()
    pids = {"postgres": 1}
    readings: dict[int, Reading] = {1: Reading(5.0, 0), 2: Reading(0.5, 0)}
    sampler = ResourceSampler(lambda: pids, reader=_reader(readings), clock=clock)
    sampler.sample()
    clock.now, pids["postgres"] = 1.0, 2  # restarted: its CPU time began again
    sampler.sample()
    assert "postgres" not in sampler.series  # no negative or mixed interval
    clock.now = 2.0
    readings[2] = Reading(1.0, 0)
    sampler.sample()
    assert sampler.series["postgres"].points == [(2.0, 50.0, 0.0)]
    del readings[2]
    clock.now = 3.0
    sampler.sample()
    assert len(sampler.series["postgres"].points) == 1


def test_the_thread_samples_a_real_process_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        sampler = ResourceSampler(lambda: {"me": os.getpid()}, interval=0.05).start()
        total = 0
        while sampler.series.get("me") is None or len(sampler.series["me"].points) < 2:
            total += sum(range(10000))  # some CPU of our own
        series = sampler.stop()
        trees = resources.read_trees([os.getpid(), child.pid])
    finally:
        child.kill()
        child.wait()
    assert total > 0
    assert trees[os.getpid()].rss_bytes > trees[child.pid].rss_bytes > 0  # ours holds the child
    assert series["me"].points[-1][2] > 1  # MiB: this interpreter and its child
    assert child.pid not in resources.read_trees([child.pid])  # gone
    assert Series("x").summary() == {"samples": 0}


def test_stack_pids_names_every_process_and_the_worker() -> None:
    process = SimpleNamespace(label="temporal history-1")
    other = SimpleNamespace(label="postgres")
    statuses = {id(process): SimpleNamespace(pid=42), id(other): SimpleNamespace(pid=None)}
    stack = SimpleNamespace(
        supports_disruption=True,
        all_processes=lambda: [process, other],
        process_status=lambda p: statuses[id(p)],
    )
    assert resources.stack_pids(stack, 7) == {"temporal history-1": 42, "test worker": 7}  # type: ignore[arg-type]
    outside = SimpleNamespace(supports_disruption=False)
    assert resources.stack_pids(outside) == {}  # type: ignore[arg-type]


def test_database_sizes_reads_each_database() -> None:
    class Cursor:
        def __init__(self) -> None:
            self.description = [SimpleNamespace(name="datname"), SimpleNamespace(name="size")]

        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, sql: str, params: object) -> None:
            assert "has_database_privilege" in sql

        def fetchall(self) -> list[tuple[str, int]]:
            return [("temporal", 9000), ("temporal_visibility", 800)]

    conn = SimpleNamespace(cursor=Cursor)
    assert resources.database_sizes(conn) == {"temporal": 9000, "temporal_visibility": 800}
