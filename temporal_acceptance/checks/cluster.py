"""Judgments on the cluster as it reports itself: every role healthy by the server's own
answer, each membership ring with the hosts the topology expects and none stale, and the
history shards consistent everywhere and owned again after a restart."""

from __future__ import annotations

from collections.abc import Mapping

from temporal_acceptance.probes.cluster import (
    DEEP_HEALTH,
    HealthReading,
    MembershipReading,
    ShardReading,
)
from temporal_acceptance.probes.database import LIVE_HEARTBEAT_SECONDS

SERVING = "SERVING"


def health_problems(reading: HealthReading) -> list[str]:
    """Every answer SERVING; the deep health check must have been answered at all."""
    problems = [
        f"{what} is {state}, not {SERVING}"
        for what, state in reading.answers.items()
        if state != SERVING
    ]
    if not any(what.startswith(DEEP_HEALTH) for what in reading.answers):
        problems.append(f"{DEEP_HEALTH} was not asked: the history hosts' health is unknown")
    deep = [state for what, state in reading.answers.items() if what.startswith(DEEP_HEALTH)]
    if any(state != SERVING for state in deep):
        problems.append(
            "the frontend can be SERVING while history is not: its own health covers only "
            "itself (look for history errors and persistence latency in the Temporal log)"
        )
    return problems


def ring_problems(reading: MembershipReading, topology: Mapping[str, int]) -> list[str]:
    """Each role's ring has the expected number of hosts; every host the ring can reach has
    a membership heartbeat in PostgreSQL within Temporal's liveness cutoff (else it is a
    stale member the ring still routes to)."""
    if reading.cluster is None:
        return [f"the frontend did not describe the cluster: {reading.error}"]
    problems = []
    for role, expected in topology.items():
        ring = reading.cluster.ring(role)
        members = ring.members if ring else ()
        if len(members) != expected:
            shown = ", ".join(members) or "none"
            problem = (
                f"the {role} ring has {len(members)} host(s) ({shown}), the topology expects "
                f"{expected}"
            )
            if role == "history" and len(members) < expected:
                problem += (
                    " — a history host alone in a ring of its own does not recover by itself "
                    "(temporal#9987): restart it once PostgreSQL is reachable"
                )
            problems.append(problem)
    live = {row.address for row in reading.rows if row.live}
    newest = {row.address: row for row in sorted(reading.rows, key=lambda r: -r.heartbeat_age)}
    for member in reading.cluster.reachable_members:
        if member in live:
            continue
        row = newest.get(member)
        seen = (
            f"its last heartbeat was {row.heartbeat_age:.0f}s ago"
            if row
            else "it has no cluster_membership row"
        )
        problems.append(
            f"the ring still reaches {member}, but {seen} (live means within "
            f"{LIVE_HEARTBEAT_SECONDS}s): a stale member"
        )
    for role, expected in topology.items():
        fresh = [row for row in reading.rows if row.role == role and row.live]
        if not fresh:
            problems.append(
                f"no {role} host has a membership heartbeat in the last "
                f"{LIVE_HEARTBEAT_SECONDS}s (cluster_membership), the topology expects {expected}"
            )
    return problems


def shard_problems(reading: ShardReading) -> list[str]:
    """One shard count everywhere, the shards table holds exactly shards 1..N, and every
    shard is owned by a host of the history ring."""
    problems = []
    if reading.metadata is None:
        return ["cluster_metadata_info holds no cluster metadata: the cluster was never created"]
    count = reading.metadata
    if reading.configured is not None and reading.configured != count:
        problems.append(
            f"the configuration asks for {reading.configured} history shards but the cluster "
            f"was created with {count}: Temporal ignores the change and only logs a warning "
            f"(temporal#4835) — set numHistoryShards back to {count}; a new shard count needs "
            "a new cluster (and a migration of its workflows)"
        )
    if reading.admin is None:
        problems.append(f"DescribeCluster did not answer: {reading.error}")
    elif reading.admin != count:
        problems.append(
            f"the server reports {reading.admin} history shards, cluster metadata says {count}"
        )
    ids = sorted(row.shard_id for row in reading.rows)
    if ids != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(ids))
        extra = sorted(set(ids) - set(range(1, count + 1)))
        problems.append(
            f"the shards table holds {len(ids)} shards, cluster metadata says {count}"
            + (f"; missing: {missing}" if missing else "")
            + (f"; beyond the count: {extra}" if extra else "")
        )
    hosts = reading.history_hosts
    orphans = [
        f"{row.shard_id} ({row.owner or 'no owner'})"
        for row in reading.rows
        if not any(row.owner == host or row.owner.startswith(host + "-") for host in hosts)
    ]
    if orphans and reading.admin is not None:
        problems.append(
            f"shards not owned by a host of the history ring ({', '.join(hosts) or 'empty'}): "
            + ", ".join(orphans)
        )
    return problems


def shard_progress_problems(
    before: Mapping[int, int], after: Mapping[int, int], reacquired: bool
) -> list[str]:
    """After a disruption no shard's range id went back; when the history host restarted
    (`reacquired`), every shard was acquired again, which moves its range id forward."""
    problems = []
    for shard, old in sorted(before.items()):
        new = after.get(shard)
        if new is None:
            problems.append(f"shard {shard} (range_id {old} before) is gone from the shards table")
        elif new < old:
            problems.append(f"shard {shard}'s range_id went back from {old} to {new}")
        elif reacquired and new == old:
            problems.append(
                f"shard {shard} was not acquired again after the restart (range_id still {old})"
            )
    return problems
