"""What the Temporal cluster says about itself — deep health, the membership rings, the
history shards — and what PostgreSQL holds about the same (cluster_membership heartbeats,
the shards table, cluster metadata), read side by side so checks can cross-check them.

Everything goes through the deployment's endpoints (the frontend's gRPC port, PostgreSQL),
so a read-only target can be probed the same way; a role's own gRPC address is dialled only
where the stack says the suite may (Stack.role_health_dialable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc

from temporal_acceptance.clients import admin
from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect, query
from temporal_acceptance.clients.wire import decode
from temporal_acceptance.probes.database import LIVE_HEARTBEAT_SECONDS, ROLES

FRONTEND_SERVICES = ("frontend", "operator")
DEEP_HEALTH = "AdminService DeepHealthCheck"
ROLE_SERVICES = ("history", "matching")


@dataclass
class HealthReading:
    """Each health answer, as `what → state` ("SERVING", or the error)."""

    answers: dict[str, str] = field(default_factory=dict)
    not_dialled: str = ""

    def render(self) -> str:
        lines = [f"{what:<58} {state}" for what, state in self.answers.items()]
        if self.not_dialled:
            lines.append(f"(each role's own gRPC health not asked: {self.not_dialled})")
        return "\n".join(lines)


def _ask(answers: dict[str, str], what: str, call: Any) -> None:
    try:
        answers[what] = str(call())
    except grpc.RpcError as exc:
        answers[what] = admin.rpc_failure(exc)


def read_health(endpoints: Endpoints, dial_roles: bool) -> HealthReading:
    """The frontend's own gRPC health (WorkflowService, OperatorService), the AdminService's
    deep health (the frontend asks every history host), and — where allowed — the gRPC
    health of each history and matching host the ring names."""
    address, reading = endpoints.temporal_address, HealthReading()
    answers = reading.answers
    for name in FRONTEND_SERVICES:
        service = admin.ROLE_HEALTH_SERVICES[name]
        what = f"{name} gRPC health at {address}"
        _ask(answers, what, lambda s=service: admin.grpc_health(address, s))
    _ask(answers, f"{DEEP_HEALTH} at {address}", lambda: admin.deep_health(address))
    if not dial_roles:
        reading.not_dialled = "the suite does not dial the hosts of a deployment it does not own"
        return reading
    try:
        cluster = admin.describe_cluster(address)
    except grpc.RpcError as exc:
        reading.answers[f"DescribeCluster at {address}"] = admin.rpc_failure(exc)
        return reading
    for role in ROLE_SERVICES:
        ring = cluster.ring(role)
        members = ring.members if ring else ()
        if not members:
            reading.answers[f"{role} gRPC health"] = "no host in the ring to ask"
        service = admin.ROLE_HEALTH_SERVICES[role]
        for member in members:
            what = f"{role} gRPC health at {member}"
            _ask(answers, what, lambda m=member, s=service: admin.grpc_health(m, s))
    return reading


@dataclass(frozen=True)
class MemberRow:
    role: str
    address: str  # rpc_address:rpc_port (the membership port)
    session_start: str
    heartbeat_age: float  # seconds since the last heartbeat

    @property
    def live(self) -> bool:
        return self.heartbeat_age <= LIVE_HEARTBEAT_SECONDS


@dataclass
class MembershipReading:
    cluster: admin.ClusterDescription | None
    rows: list[MemberRow]
    error: str = ""

    def render(self) -> str:
        head = self.cluster.render() if self.cluster else f"DescribeCluster failed: {self.error}"
        rows = [
            f"{row.role:<9} {row.address:<22} session {row.session_start} "
            f"heartbeat {row.heartbeat_age:.1f}s ago{'' if row.live else ' (stale)'}"
            for row in self.rows
        ]
        return f"{head}\n\ncluster_membership (PostgreSQL):\n" + ("\n".join(rows) or "(no rows)")


# Ages in SQL with both sides in UTC: the result does not depend on the session's time zone.
MEMBERSHIP_SQL = """
select role, rpc_address, rpc_port, session_start,
       extract(epoch from ((now() at time zone 'utc') - last_heartbeat)) as heartbeat_age
from cluster_membership order by role, last_heartbeat desc"""


def membership_rows(endpoints: Endpoints, log: QueryLog) -> list[MemberRow]:
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        result = query(conn, MEMBERSHIP_SQL, (), log)
    return [
        MemberRow(ROLES.get(int(role), f"role-{role}"), f"{host}:{port}", str(start), float(age))
        for role, host, port, start, age in result.rows
    ]


def read_membership(endpoints: Endpoints, log: QueryLog) -> MembershipReading:
    try:
        cluster, error = admin.describe_cluster(endpoints.temporal_address), ""
    except grpc.RpcError as exc:
        cluster, error = None, admin.rpc_failure(exc)
    return MembershipReading(cluster, membership_rows(endpoints, log), error)


@dataclass(frozen=True)
class ShardRow:
    shard_id: int
    range_id: int
    owner: str


@dataclass
class ShardReading:
    """The shard count as the configuration, the cluster metadata, the admin API and the
    shards table each have it, and every shard's range id and owner."""

    configured: int | None
    metadata: int | None
    admin: int | None
    rows: list[ShardRow]
    history_hosts: tuple[str, ...] = ()
    error: str = ""

    def render(self) -> str:
        lines = [
            f"numHistoryShards in the configuration: {self.configured or 'not known here'}",
            f"history_shard_count in cluster_metadata_info: {self.metadata}",
            f"history_shard_count from DescribeCluster: {self.admin or self.error}",
            f"history ring: {', '.join(self.history_hosts) or '(empty)'}",
            f"shards table: {len(self.rows)} rows",
        ]
        lines += [
            f"  shard {r.shard_id:>4}  range_id {r.range_id:>6}  owner {r.owner}" for r in self.rows
        ]
        return "\n".join(lines)

    def range_ids(self) -> dict[int, int]:
        return {row.shard_id: row.range_id for row in self.rows}


def read_shards(endpoints: Endpoints, configured: int | None, log: QueryLog) -> ShardReading:
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        meta = query(
            conn, "select cluster_name, data, data_encoding from cluster_metadata_info", (), log
        )
        shards = query(
            conn, "select shard_id, range_id, data from shards order by shard_id", (), log
        )
    counts = [
        int(decode("ClusterMetadata", bytes(data)).history_shard_count) for _, data, _ in meta.rows
    ]
    rows = [
        ShardRow(int(shard_id), int(range_id), decode("ShardInfo", bytes(data)).owner)
        for shard_id, range_id, data in shards.rows
    ]
    reading = ShardReading(configured, counts[0] if counts else None, None, rows)
    try:
        cluster = admin.describe_cluster(endpoints.temporal_address)
        ring = cluster.ring("history")
        reading.admin, reading.history_hosts = (
            cluster.history_shard_count,
            ring.members if ring else (),
        )
    except grpc.RpcError as exc:
        reading.error = admin.rpc_failure(exc)
    return reading
