"""Connection budget: Temporal's pools fit PostgreSQL's limit with room to spare, and what
the deployment really opened stayed under the feature's limit."""

from __future__ import annotations

from temporal_acceptance.probes.connections import ConnectionLimits, ConnectionPeaks
from temporal_acceptance.stack.facts import TemporalFacts


def budget_problems(
    facts: TemporalFacts, limits: ConnectionLimits, others: int, headroom_percent: float
) -> list[str]:
    """Every role's pools plus `others` (the suite, an admin, a migration) need at most
    (100 - headroom)% of the connections an ordinary role may open."""
    if not facts.pools:
        return [f"the pools Temporal is configured with are not known ({facts.source})"]
    pooled = sum(pool.max_conns for pool in facts.pools)
    needed = pooled + others
    allowed = int(limits.available * (100 - headroom_percent) / 100)
    if needed <= allowed:
        return []
    return [
        f"Temporal's pools may open {pooled} connections ({len(facts.pools)} pools: each role "
        f"opens its own to each datastore) and {others} more are kept for other clients: "
        f"{needed} — PostgreSQL allows {limits.available} ({limits.render()}), "
        f"{allowed} with {headroom_percent:g}% headroom. Under load Temporal then fails "
        "with 'sorry, too many clients already': raise max_connections or lower maxConns"
    ]


def peak_problems(peaks: ConnectionPeaks, limit: int) -> list[str]:
    """The sampler saw something, and no database/user pair peaked at or above `limit`."""
    if peaks.samples == 0:
        return [f"no connection sample was taken ({peaks.last_error or 'the sampler never ran'})"]
    return [
        f"{key} peaked at {count} connections, the limit is below {limit}"
        for key, count in sorted(peaks.peak.items())
        if count >= limit
    ]
