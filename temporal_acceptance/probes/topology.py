"""Who serves what in a cluster of several Temporal processes: the membership rings as the
frontend sees them, which history host owns each shard (the `shards` table: the owner
recorded by the host that last acquired the shard, fenced by its range id), and on which
shard each workflow lives.

Small on purpose: the operator gates (issue 14) read rings and shards too; these are the
observations the topology gates need, with the process behind each identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.membership import Rings, describe_rings
from temporal_acceptance.clients.postgres import QueryLog, QueryResult, connect, query
from temporal_acceptance.clients.protowire import fields, number, text
from temporal_acceptance.probes.workflow_rows import namespace_id
from temporal_acceptance.stack.base import Process, Service, Stack

SHARDS_SQL = "select shard_id, range_id, data from shards order by shard_id"
WORKFLOW_SHARDS_SQL = (
    "select workflow_id, shard_id from current_executions "
    "where namespace_id = decode(replace(%s, '-', ''), 'hex') and workflow_id like %s "
    "order by workflow_id"
)


@dataclass(frozen=True)
class ShardOwner:
    shard: int
    range_id: int
    owner: str  # the owning host's identity (host:gRPC port), as the ring names it

    def line(self) -> str:
        return f"shard {self.shard:>3}  range {self.range_id:>4}  owner {self.owner}"


def identity_of(owner: str) -> str:
    """The host identity in a ShardInfo owner: `<host:port>-<sequence>-<uuid>`."""
    return owner.split("-", 1)[0]


def owner_from(shard: int, range_id: int, data: bytes) -> ShardOwner:
    """A `shards` row's owner, from its ShardInfo blob (1 shard_id, 3 owner)."""
    info = fields(data)
    named = number(info, 1)  # proto3 leaves a zero out: 0 means "not written"
    owner = identity_of(text(info, 3)) if named in (0, shard) else f"(blob of shard {named})"
    return ShardOwner(shard, range_id, owner)


def read_rings(endpoints: Endpoints) -> Rings:
    return describe_rings(endpoints.temporal_address)


def read_shard_owners(endpoints: Endpoints, log: QueryLog | None = None) -> dict[int, ShardOwner]:
    """Each shard's owner and range id. ShardInfo (persistence/v1/executions.proto):
    1 shard_id, 2 range_id, 3 owner."""
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        rows = query(conn, SHARDS_SQL).rows
    owners = {
        int(shard): owner_from(int(shard), int(range_id), bytes(data))
        for shard, range_id, data in rows
    }
    if log is not None:
        rows = [(o.shard, o.range_id, o.owner) for o in owners.values()]
        columns = ["shard_id", "range_id", "owner (from the data blob)"]
        log.add(QueryResult(SHARDS_SQL, (), columns, rows))
    return owners


def read_workflow_shards(
    endpoints: Endpoints, prefix: str, log: QueryLog | None = None
) -> dict[str, int]:
    """The shard of each workflow whose id starts with `prefix` (its current run)."""
    pattern = prefix.replace("_", r"\_") + "%"
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        ns_id = namespace_id(conn, endpoints.namespace, log or QueryLog())
        rows = query(conn, WORKFLOW_SHARDS_SQL, (ns_id, pattern), log).rows
    return {str(workflow_id): int(shard) for workflow_id, shard in rows}


def role_processes_by_identity(stack: Stack) -> dict[str, Process]:
    """The Temporal process behind each ring identity of the deployment."""
    return {stack.ring_identity(p): p for p in stack.processes(Service.TEMPORAL)}
