"""What a deployment's own configuration says about the things operators get wrong: how many
hosts each Temporal role should have, the history shard count it asks for, the connection
pools of each role and store, the payload size limit, and where PostgreSQL's data must live.

Each target reads these from what it deployed (native: the rendered server config; compose:
the server container's environment, which the server's template renders). A target that
cannot know one (external) leaves it None, and the gate says it compared without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from temporal_acceptance.core.topology import DEFAULT_TOPOLOGY

# Temporal's default for limit.blobSize.error (common/dynamicconfig/constants.go).
DEFAULT_BLOB_SIZE_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True)
class Pool:
    """A connection pool Temporal opens: one per role and datastore."""

    role: str
    store: str
    database: str
    user: str
    max_conns: int

    def line(self) -> str:
        where = f"{self.user}@{self.database}"
        return f"{self.role:<9} {self.store:<20} {where}: maxConns {self.max_conns}"


@dataclass(frozen=True)
class DataLocation:
    """Where PostgreSQL's live data directory must lie: `root` as PostgreSQL sees it (native:
    the state directory; compose: the volume's mount point in the container), and how that
    place is kept (`storage`, e.g. "named volume tacc_postgres-data")."""

    root: str
    storage: str
    persistent: bool
    detail: str = ""


@dataclass(frozen=True)
class TemporalFacts:
    """What the deployment is configured with (None: not known on this target)."""

    topology: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TOPOLOGY))
    history_shards: int | None = None
    pools: tuple[Pool, ...] = ()
    blob_size_limit: int | None = None
    source: str = "not known on this target"

    def users(self) -> set[str]:
        """The PostgreSQL roles Temporal's datastores connect as."""
        return {pool.user for pool in self.pools}

    def render(self) -> str:
        lines = [
            f"read from: {self.source}",
            "expected hosts per role: "
            + ", ".join(f"{role} {count}" for role, count in self.topology.items()),
            f"numHistoryShards in the configuration: {self.history_shards or 'not known'}",
            f"payload (blob) size limit: {self.blob_size_limit or 'not known'} bytes",
            "connection pools:" if self.pools else "connection pools: not known",
        ]
        lines += [f"  {pool.line()}" for pool in self.pools]
        return "\n".join(lines)


def pools_for(
    roles: Mapping[str, int], stores: Mapping[str, tuple[str, str, int]]
) -> tuple[Pool, ...]:
    """Every role process opens its own pool to every datastore (an upper bound: a role that
    never touches a store opens none, but nothing stops it)."""
    return tuple(
        Pool(f"{role}" if count == 1 else f"{role}×{count}", store, database, user, size * count)
        for role, count in roles.items()
        for store, (database, user, size) in stores.items()
    )
