"""The shapes a Temporal deployment can take: which roles run in which processes, and how
many hosts of each role its membership rings must show.

`single` is one temporal-server process serving all four roles (the suite's default, and
upstream's development setup). `multirole` is the production shape — the Helm chart's and
upstream's multi-role compose examples: one process per role, history scaled to two hosts.
An external deployment may also be described as `role=count,...` (e.g. `history=3`), which
only sets the expected hosts per role: the suite deploys `single` or `multirole` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporal_acceptance.core.errors import UserError

# The membership rings of a cluster, in the order the suite starts their processes.
ROLES = ("frontend", "history", "matching", "worker")
SINGLE = "single"
MULTIROLE = "multirole"
TOPOLOGIES = (SINGLE, MULTIROLE)
DEFAULT_TOPOLOGY = {role: 1 for role in ROLES}
_HOSTS = {SINGLE: DEFAULT_TOPOLOGY, MULTIROLE: {**DEFAULT_TOPOLOGY, "history": 2}}
# History shards of a cluster the suite creates. They are fixed when the cluster is first
# created (a later change is ignored by the server): one host needs few; two hosts need
# enough that consistent hashing gives each of them a share (16 over 2 hosts leaves one
# empty with a probability of 2 in 65536).
HISTORY_SHARDS = {SINGLE: 4, MULTIROLE: 16}


@dataclass(frozen=True)
class RoleProcess:
    """One temporal-server process of a topology: its name (unique in the deployment, used
    for its log, pid file and the feature's words) and the role it serves ("" = all)."""

    name: str
    role: str
    index: int = 1  # the n-th host of its role

    @property
    def label(self) -> str:
        return "the Temporal server" if not self.role else f"the {self.name} process"


def role_processes(name: str) -> tuple[RoleProcess, ...]:
    """The temporal-server processes of a topology, in the order the suite starts them:
    the data path (history, matching) before the frontend that routes to it, and the
    worker role, a client of the frontend, last."""
    if parse_topology_name(name) == SINGLE:
        return (RoleProcess("temporal", ""),)
    return (
        RoleProcess("history-1", "history", 1),
        RoleProcess("history-2", "history", 2),
        RoleProcess("matching", "matching"),
        RoleProcess("frontend", "frontend"),
        RoleProcess("worker", "worker"),
    )


def parse_topology_name(raw: str) -> str:
    """`single` or `multirole` (the topologies the suite can deploy)."""
    name = raw.strip().lower() or SINGLE
    if name not in TOPOLOGIES:
        raise UserError(
            f"unknown topology {raw!r}",
            f"use one of: {', '.join(TOPOLOGIES)} (the native and compose targets deploy these)",
        )
    return name


def parse_topology(raw: str) -> dict[str, int]:
    """Hosts per role: `single`/`multirole`, or `history=3,matching=2` (roles not named
    keep one; describes an external deployment)."""
    if raw.strip().lower() in ("", *TOPOLOGIES):
        return dict(_HOSTS[parse_topology_name(raw)])
    topology = dict(DEFAULT_TOPOLOGY)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        role, _, count = part.partition("=")
        role = role.strip().lower()
        if role not in ROLES or not count.strip().isdigit() or int(count) < 1:
            raise UserError(
                f"topology entry {part!r} is not role=count",
                f"use single, multirole, or e.g. history=3,matching=2 (roles: {', '.join(ROLES)})",
            )
        topology[role] = int(count)
    return topology
