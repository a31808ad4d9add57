"""Gates of the multirole topology that wait on the cluster before they judge: the rings
holding the topology's processes, a dead history host's shards taken over, the shards
spread again once it is back, and the work that came due while a role was away.

Each wait polls a direct observation (DescribeCluster's rings, the `shards` table, the
workflows' histories), times it from the start of the disruption, and returns what it
last saw with its problems.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
import psycopg

from temporal_acceptance.checks.topology import (
    ownership_text,
    ring_problems,
    spread_problems,
    takeover_problems,
)
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.membership import Rings, rpc_failure
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.topology import parse_topology
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.probes.topology import (
    ShardOwner,
    read_rings,
    read_shard_owners,
    read_workflow_shards,
)
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.disruption import Disruption, DisruptionTiming, perform
from temporal_acceptance.workload.mixed import KINDS, MixedLoad

T = TypeVar("T")
POLL = 0.1  # seconds between readings: takeover and spread are timed to this resolution


@dataclass(frozen=True)
class Cluster:
    """The deployment's Temporal processes as the ring names them."""

    roles: dict[str, str]  # identity → role
    names: dict[str, str]  # identity → process label
    expected: dict[str, int]  # role → hosts the topology runs

    @classmethod
    def of(cls, stack: Stack) -> Cluster:
        processes = stack.processes(Service.TEMPORAL)
        identities = {p.name: stack.ring_identity(p) for p in processes}
        return cls(
            {identities[p.name]: p.role for p in processes},
            {identities[p.name]: p.label for p in processes},
            parse_topology(stack.settings.topology),
        )

    def history_hosts(self, without: str = "") -> dict[str, str]:
        return {i: n for i, n in self.names.items() if self.roles[i] == "history" and i != without}


@dataclass
class Seen:
    """The outcome of a wait: seconds from its start (None: not reached), problems, and
    the last reading as text for the report."""

    seconds: float | None
    problems: list[str]
    evidence: str


def _poll(
    read: Callable[[], T], settled: Callable[[Any], bool], began: float, within: float
) -> tuple[T | None, float | None, str]:
    """Read until `settled` (giving up at twice the limit, so a slow result is measured,
    not cut off): the last reading, seconds from `began` (a monotonic time) when it settled
    (None: never), the last error."""
    error = ""
    try:
        wait_until(
            read,
            what="the cluster to settle",
            timeout=max(1.0, 2 * within - (time.monotonic() - began)),
            accept=settled,
            errors=(grpc.RpcError, psycopg.Error),
            max_delay=POLL,
        )
        took: float | None = time.monotonic() - began
    except WaitTimeout as exc:
        took, error = None, str(exc).split("; last seen: ", 1)[-1][:300]
    try:
        return read(), took, error
    except grpc.RpcError as exc:
        return None, None, rpc_failure(exc)
    except psycopg.Error as exc:
        return None, None, str(exc).strip()


def _began(started_at: datetime | None) -> float:
    """A monotonic time as far back as `started_at` (a disruption's start; None: now)."""
    if started_at is None:
        return time.monotonic()
    return time.monotonic() - (datetime.now(UTC) - started_at).total_seconds()


def late_after(seconds: float | None, within: float, what: str) -> list[str]:
    if seconds is None or seconds <= within:
        return []
    return [f"{what} after {seconds:.1f} s, more than the limit of {within:g} s"]


# -- rings and shards ------------------------------------------------------------------------


def ring_settled(
    stack: Stack, endpoints: Endpoints, started_at: datetime | None, within: float
) -> Seen:
    """Every ring holds exactly the topology's processes of its role."""
    cluster = Cluster.of(stack)

    def settled(rings: Rings) -> bool:
        return not ring_problems(rings, cluster.expected, cluster.roles)

    rings, took, error = _poll(lambda: read_rings(endpoints), settled, _began(started_at), within)
    if rings is None:
        return Seen(None, [f"the frontend did not describe its cluster: {error}"], error)
    problems = ring_problems(rings, cluster.expected, cluster.roles)
    problems += late_after(took, within, "the membership rings held every process")
    return Seen(took, problems, rings.render())


def owners(stack: Stack, endpoints: Endpoints) -> dict[int, ShardOwner]:
    """The shard owners now (each process's ring identity noted while all of them run)."""
    Cluster.of(stack)
    return read_shard_owners(endpoints)


def shards_spread(
    stack: Stack, endpoints: Endpoints, started_at: datetime | None, within: float
) -> Seen:
    """Every shard is owned by a history host of the deployment that is in the ring, and
    each history host owns some."""
    hosts = Cluster.of(stack).history_hosts()

    def read() -> tuple[Rings, dict[int, ShardOwner]]:
        return read_rings(endpoints), read_shard_owners(endpoints)

    def problems_of(seen: tuple[Rings, dict[int, ShardOwner]]) -> list[str]:
        rings, found = seen
        live = {i: n for i, n in hosts.items() if i in rings.members.get("history", ())}
        problems = spread_problems(found, rings.history_shards, live)
        if gone := sorted(set(hosts) - set(live)):
            problems.append(f"history host(s) {', '.join(gone)} not in the history ring")
        return problems

    last, took, error = _poll(read, lambda seen: not problems_of(seen), _began(started_at), within)
    if last is None:
        return Seen(None, [f"could not read the rings and shard owners: {error}"], error)
    problems = problems_of(last) + late_after(took, within, "the shards were spread")
    return Seen(took, problems, ownership_text(last[1], hosts) + "\n\n" + last[0].render())


# -- a history host killed ---------------------------------------------------------------------


@dataclass
class Takeover:
    """A dead history host's shards and who owned them once the wait ended."""

    victim: str  # "temporal history-1 (127.0.0.1:18234)"
    shards: list[int]
    seconds: float | None
    owners: dict[int, ShardOwner]
    survivors: dict[str, str]
    error: str = ""

    @property
    def count(self) -> int:
        return len(self.shards)

    def problems(self, within: float) -> list[str]:
        return takeover_problems(
            self.victim, self.shards, self.owners, self.survivors, self.seconds, within
        )

    @property
    def evidence(self) -> str:
        took = "never" if self.seconds is None else f"{self.seconds:.2f} s after the kill"
        return (
            f"killed: {self.victim}, owning shards {self.shards}\n"
            f"owned by a surviving host: {took}\n"
            + (f"last error: {self.error}\n" if self.error else "")
            + "owners now:\n"
            + ownership_text(self.owners, self.survivors)
        )


def taken_over(
    stack: Stack,
    endpoints: Endpoints,
    timing: DisruptionTiming,
    before: Mapping[int, ShardOwner],
    within: float = 30.0,
) -> Takeover:
    """Wait until the shards the killed process owned `before` are owned by a surviving
    history host; timed from the disruption's start."""
    process = stack.process_named(Service.TEMPORAL, timing.process)
    identity = stack.ring_identity(process)
    shards = sorted(s for s, o in before.items() if o.owner == identity)
    survivors = Cluster.of(stack).history_hosts(without=identity)

    def moved(found: dict[int, ShardOwner]) -> bool:
        return all(s in found and found[s].owner in survivors for s in shards)

    found, took, error = _poll(
        lambda: read_shard_owners(endpoints), moved, _began(timing.started_at), within
    )
    return Takeover(f"{process.label} ({identity})", shards, took, found or {}, survivors, error)


def crash_history_host(
    stack: Stack, endpoints: Endpoints, crash: Disruption
) -> tuple[DisruptionTiming, Takeover]:
    """Kill a history host (`crash`) and wait until the other owns all of its shards."""
    before = owners(stack, endpoints)
    timing = perform(stack, crash)
    return timing, taken_over(stack, endpoints, timing, before)


def placed(stack: Stack, endpoints: Endpoints, load: MixedLoad) -> dict[int, ShardOwner]:
    """Fill in each workflow's shard; the shard owners as they are now (and each process's
    ring identity noted while all of them run: a killed container has no address)."""
    Cluster.of(stack)
    shards = read_workflow_shards(endpoints, load.prefix)
    for parked in load.parked:
        parked.shard = shards.get(parked.workflow_id, 0)
    return read_shard_owners(endpoints)


def placement_text(load: MixedLoad, found: Mapping[int, ShardOwner]) -> str:
    """Per owner: how many workflows of each kind live on its shards."""
    lines = []
    for owner in sorted({o.owner for o in found.values()}):
        shards = {s for s, o in found.items() if o.owner == owner}
        counts = {k: sum(1 for p in load.of_kind(k) if p.shard in shards) for k in KINDS}
        lines.append(f"{owner}: shards {sorted(shards)}; workflows {counts}")
    if unplaced := [p.workflow_id for p in load.parked if not p.shard]:
        lines.append(f"no shard found for {unplaced}")
    return "\n".join(lines)
