"""The compose project's network: which /24 it gets and where the Temporal server sits on it.

Temporal's membership ring remembers hosts by address, and a `down` + `up` onto new
addresses left the restarted roles joining hosts that were gone (docker-compose.yml): so the
subnet and the server's address are fixed per project, and chosen clear of the networks
Docker already has (a network left behind by an interrupted run made `up` fail with
"Pool overlaps with other one on this address space").
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from temporal_acceptance.core.errors import UserError

SUBNET_VARIABLE = "TACC_COMPOSE_SUBNET"
TEMPORAL_ADDRESS_VARIABLE = "TACC_COMPOSE_TEMPORAL_ADDRESS"
SUBNET_POOL = ipaddress.IPv4Network("172.31.240.0/20")  # the 16 /24s the suite picks from
SUBNET_HINT = f"set {SUBNET_VARIABLE} to a free private /24, e.g. 172.31.250.0/24"


def _subnet_from_pool(index: int) -> str:
    return str(ipaddress.IPv4Network((int(SUBNET_POOL.network_address) + 256 * index, 24)))


def _name_index(name: str) -> int:
    return zlib.crc32(name.encode()) % 16


def preferred_subnet(name: str) -> str:
    """The /24 of 172.31.240-255 a project's name hashes to (side-by-side projects mostly
    get subnets of their own)."""
    return _subnet_from_pool(_name_index(name))


def project_network(name: str, subnet: str = "") -> tuple[str, str]:
    """(subnet, Temporal's address): `subnet` as given, else the one the project's name
    hashes to; the address is the subnet's 200th host."""
    subnet = subnet or preferred_subnet(name)
    try:
        network = ipaddress.IPv4Network(subnet)
    except ValueError:
        raise UserError(
            f"{SUBNET_VARIABLE}={subnet!r} is not an IPv4 subnet", SUBNET_HINT
        ) from None
    if network.num_addresses < 256:
        raise UserError(f"{SUBNET_VARIABLE}={subnet} is smaller than a /24", SUBNET_HINT)
    return str(network), str(network.network_address + 200)


def held_subnet(subnet: str, held: Mapping[str, Iterable[str]]) -> str | None:
    """The name of a network in `held` (network name → its subnets) overlapping `subnet`."""
    wanted = ipaddress.ip_network(subnet)
    for network, subnets in held.items():
        for other in subnets:
            try:
                candidate = ipaddress.ip_network(other, strict=False)
            except ValueError:
                continue
            if candidate.version == wanted.version and candidate.overlaps(wanted):
                return network
    return None


def free_subnet(name: str, held: Mapping[str, Iterable[str]]) -> str:
    """The first /24 of the pool, from the one `name` hashes to on, that no network in
    `held` overlaps: a network left behind by another project must not make `up` fail
    with Docker's "Pool overlaps with other one on this address space"."""
    for step in range(16):
        subnet = _subnet_from_pool((_name_index(name) + step) % 16)
        if held_subnet(subnet, held) is None:
            return subnet
    holders = sorted({held_subnet(_subnet_from_pool(i), held) or "" for i in range(16)})
    raise UserError(
        f"every /24 of {SUBNET_POOL} is held by another Docker network "
        f"({', '.join(holders[:4])}{', …' if len(holders) > 4 else ''})",
        "remove the networks left behind (`docker network ls`, `docker network rm NAME`) "
        f"or {SUBNET_HINT}",
    )


def checked_subnet(
    project: str,
    subnet: str,
    source: str,
    record: Path,
    own: Iterable[str],
    others: Mapping[str, Iterable[str]],
) -> str | None:
    """The subnet `up` must move the project to (None: keep `subnet`). `source` says where
    `subnet` came from: "preferred" (the name's hash, unchecked) is replaced by the
    project's own network's subnet or a free one; a "given" or "recorded" one that another
    network holds is one clear error (`record`: where a recorded one is kept)."""
    if source == "preferred":
        return next(iter(own), "") or free_subnet(project, others)
    holder = held_subnet(subnet, others)
    if holder is None:
        return None
    where = SUBNET_VARIABLE if source == "given" else f"{project}'s subnet (recorded in {record})"
    raise UserError(
        f"{where} {subnet} overlaps Docker network {holder!r}",
        f"remove that network if it is left over (`docker network rm {holder}`) or {SUBNET_HINT}",
    )


def on_subnet(project: str, variables: Mapping[str, str], subnet: str) -> dict[str, str]:
    """`variables` moved to `subnet`: the server's address with it, unless one was given."""
    moved = dict(variables)
    old_address = project_network(project, moved[SUBNET_VARIABLE])[1]
    moved[SUBNET_VARIABLE], address = project_network(project, subnet)
    if moved.get(TEMPORAL_ADDRESS_VARIABLE, old_address) == old_address:
        moved[TEMPORAL_ADDRESS_VARIABLE] = address
    return moved
