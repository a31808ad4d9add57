"""CPU and memory of the deployment's processes and of the test worker, sampled in the
background; PostgreSQL's database sizes.

Each watched name stands for a process and everything it started (PostgreSQL's backends
are children of its postmaster; a container's processes are children of its first one, which
the host sees too). CPU is the process tree's user + system time between two samples over the
wall time between them (100 % = one core busy); memory is the tree's resident set.

One sample reads every process's /proc/<pid>/stat once (parent, CPU times, resident set)
and sums each watched tree from that table: asking per tree for its children scanned /proc
once per watched name, and over a run on three stacks that cost a tenth of a core.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from temporal_acceptance.clients.postgres import QueryLog, query
from temporal_acceptance.stack.base import Stack

DEFAULT_INTERVAL = 0.5
MIB = 1024 * 1024


@dataclass(frozen=True)
class Reading:
    cpu_seconds: float  # the tree's user + system time so far
    rss_bytes: int


TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def process_table(proc: str = "/proc") -> dict[int, tuple[int, Reading]]:
    """Every process now: its parent and its own CPU time and resident set (from
    /proc/<pid>/stat; a process that exits while it is read is left out)."""
    table: dict[int, tuple[int, Reading]] = {}
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/stat", "rb") as stat:
                # after the command's closing parenthesis: state, ppid, ... (proc(5))
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        table[int(entry.name)] = (int(fields[1]), Reading(cpu, int(fields[21]) * PAGE))
    return table


def read_trees(pids: Collection[int], proc: str = "/proc") -> dict[int, Reading]:
    """Each of these processes with its descendants, from one reading of the process table;
    a process that is gone has no entry."""
    table = process_table(proc)
    children: dict[int, list[int]] = {}
    for pid, (parent, _reading) in table.items():
        children.setdefault(parent, []).append(pid)
    found: dict[int, Reading] = {}
    for root in pids:
        if root not in table:
            continue
        cpu, rss, todo = 0.0, 0, [root]
        while todo:
            pid = todo.pop()
            reading = table[pid][1]
            cpu, rss = cpu + reading.cpu_seconds, rss + reading.rss_bytes
            todo += children.get(pid, [])
        found[root] = Reading(cpu, rss)
    return found


@dataclass
class Series:
    """One watched name's samples: (seconds since sampling began, CPU %, RSS MiB)."""

    name: str
    points: list[tuple[float, float, float]] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        if not self.points:
            return {"samples": 0}
        cpu = [p[1] for p in self.points]
        rss = [p[2] for p in self.points]
        return {
            "samples": len(self.points),
            "cpu_percent_mean": round(statistics.fmean(cpu), 1),
            "cpu_percent_max": round(max(cpu), 1),
            "rss_mib_mean": round(statistics.fmean(rss), 1),
            "rss_mib_max": round(max(rss), 1),
        }


def usage_line(usage: Mapping[str, float]) -> str:
    """One process's summary as the report and the benchmark print it."""
    return (
        f"CPU mean {usage.get('cpu_percent_mean', 0):.0f} %, max "
        f"{usage.get('cpu_percent_max', 0):.0f} % (100 % = one core); RSS max "
        f"{usage.get('rss_mib_max', 0):.0f} MiB"
    )


class ResourceSampler:
    """Samples each named process tree every `interval` seconds on a thread of its own
    (the run's event loop goes on meanwhile). `pids` is asked on every sample; give it a
    cached mapping (stack_pids asks each service for its status, which is no cheap call)."""

    def __init__(
        self,
        pids: Callable[[], Mapping[str, int]],
        interval: float = DEFAULT_INTERVAL,
        reader: Callable[[Collection[int]], Mapping[int, Reading]] = read_trees,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pids, self._interval, self._read, self._clock = pids, interval, reader, clock
        self.series: dict[str, Series] = {}
        self._last: dict[str, tuple[int, float, Reading]] = {}
        self._began = clock()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        now = self._clock()
        pids = self._pids()
        readings = self._read(set(pids.values()))
        for name, pid in pids.items():
            reading = readings.get(pid)
            if reading is None:
                continue
            last = self._last.get(name)
            self._last[name] = (pid, now, reading)
            if last is None or last[0] != pid or now <= last[1]:
                continue  # the first reading of this process: no interval to divide by yet
            cpu = max(0.0, reading.cpu_seconds - last[2].cpu_seconds) / (now - last[1]) * 100
            series = self.series.setdefault(name, Series(name))
            series.points.append((now - self._began, cpu, reading.rss_bytes / MIB))

    def start(self) -> ResourceSampler:
        self._began = self._clock()
        self.sample()

        def loop() -> None:
            while not self._halt.wait(self._interval):
                self.sample()

        self._thread = threading.Thread(target=loop, name="resource-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, Series]:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sample()
        return self.series

    def summary(self) -> dict[str, dict[str, float]]:
        return {name: series.summary() for name, series in self.series.items()}


def database_sizes(conn: Any, log: QueryLog | None = None) -> dict[str, int]:
    """The size in bytes (pg_database_size) of every non-template database the session's
    role may connect to (the size of the others is not its to read)."""
    result = query(
        conn,
        "select datname, pg_database_size(datname) from pg_database "
        "where not datistemplate and has_database_privilege(datname, 'CONNECT') order by 1",
        (),
        log,
    )
    return {str(row[0]): int(row[1]) for row in result.rows}


def stack_pids(stack: Stack, worker_pid: int | None = None) -> dict[str, int]:
    """Each running process of the deployment by its report name ("postgres", "temporal
    history-1", ...) and the test worker's; none for a deployment the suite cannot see
    (the external target's services run elsewhere). Asks every service its status: call it
    once per sampling, not per sample."""
    found: dict[str, int] = {}
    if stack.supports_disruption:
        for process in stack.all_processes():
            if pid := stack.process_status(process).pid:
                found[process.label] = pid
    if worker_pid:
        found["test worker"] = worker_pid
    return found
