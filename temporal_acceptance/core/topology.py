"""The roles of a Temporal cluster and how many hosts of each a deployment should have."""

from __future__ import annotations

from temporal_acceptance.core.errors import UserError

# The membership rings of a cluster; the default topology is one process serving all four.
ROLES = ("frontend", "history", "matching", "worker")
DEFAULT_TOPOLOGY = {role: 1 for role in ROLES}


def parse_topology(raw: str) -> dict[str, int]:
    """`history=3,matching=2` → hosts per role (the roles not named keep one)."""
    topology = dict(DEFAULT_TOPOLOGY)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        role, _, count = part.partition("=")
        role = role.strip().lower()
        if role not in ROLES or not count.strip().isdigit() or int(count) < 1:
            raise UserError(
                f"topology entry {part!r} is not role=count",
                f"use e.g. topology=history=3,matching=2 with roles {', '.join(ROLES)}",
            )
        topology[role] = int(count)
    return topology
