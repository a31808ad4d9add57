"""Upgrade paths between Temporal releases, as data and rules (pure).

Upstream's rule for self-hosted clusters: upgrade one minor release line at a time, and
update both schemas (the main store and visibility) with the new release's
temporal-sql-tool before the new server starts. So, from the release whose schema a
deployment's databases hold:

- the same release, or a newer patch of the same line: no schema step (a patch keeps its
  line's schema); the deploy command may start it;
- the next minor line: an upgrade — `temporal-acceptance upgrade --to X.Y.Z`, which backs up
  both databases, updates the schemas, swaps the release and verifies it, rolling back on
  failure;
- a later line than the next: refused, with the path through each line in between (the
  release of each line comes from core.versions.RELEASE_LINES);
- anything older: refused (the databases already carry the newer schema); going back means
  restoring the backup taken before the upgrade.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import RELEASES, parse_temporal_version

UPGRADE_COMMAND = "temporal-acceptance upgrade --to"
RESTORE_COMMAND = "temporal-acceptance restore --from"


class Step(StrEnum):
    SAME = "same release"
    PATCH = "patch of the same line"
    NEXT_MINOR = "next minor line"
    SKIP = "skips a minor line"
    DOWNGRADE = "downgrade"
    OTHER_MAJOR = "another major version"


@dataclass(frozen=True)
class Hop:
    """One step of an upgrade path: from a release to a release of the next line."""

    from_version: str
    to_version: str

    def __str__(self) -> str:
        return f"{self.from_version} → {self.to_version}"


def classify(current: str, target: str) -> Step:
    """What moving a deployment from `current` to `target` is (both strict X.Y.Z)."""
    now, then = parse_temporal_version(current), parse_temporal_version(target)
    if now == then:
        return Step.SAME
    if now.major != then.major:
        return Step.OTHER_MAJOR
    if then < now:
        return Step.DOWNGRADE
    if then.minor == now.minor:
        return Step.PATCH
    return Step.NEXT_MINOR if then.minor == now.minor + 1 else Step.SKIP


def release_of(major: int, minor: int) -> str:
    """The release the suite deploys for a line, or how to name an unknown one."""
    line = RELEASES.get(f"{major}.{minor}")
    return line.temporal if line else f"{major}.{minor}.x (the newest {major}.{minor} patch)"


def path(current: str, target: str) -> list[Hop]:
    """Every hop from `current` to `target`, one minor line at a time (an empty list for
    the same release; one hop for a patch or the next line). Raises the refusal for a
    downgrade or another major version."""
    step = classify(current, target)
    if step is Step.SAME:
        return []
    if step in (Step.DOWNGRADE, Step.OTHER_MAJOR):
        raise refusal(current, target)
    now, then = parse_temporal_version(current), parse_temporal_version(target)
    stops = [release_of(now.major, minor) for minor in range(now.minor + 1, then.minor)]
    releases = [current, *stops, target]
    return [Hop(a, b) for a, b in itertools.pairwise(releases)]


def _commands(hops: list[Hop]) -> str:
    return ", then ".join(f"`{UPGRADE_COMMAND} {hop.to_version}`" for hop in hops)


def refusal(current: str, target: str, backup: str = "") -> UserError:
    """The one line a refused request gets: what is wrong and the path to take instead."""
    step = classify(current, target)
    if step is Step.DOWNGRADE:
        restore = f"{RESTORE_COMMAND} {backup or '<the backup taken before the upgrade>'}"
        return UserError(
            f"Temporal {target} is older than {current}, whose schema this deployment's "
            "databases hold: a downgrade is refused (an older server on a newer schema is "
            "not a supported deployment)",
            f"stay on {current}, or go back to the data as it was before the upgrade: {restore}",
        )
    if step is Step.OTHER_MAJOR:
        return UserError(
            f"Temporal {current} → {target} changes the major version: the suite knows no "
            "upgrade path for it",
            f"stay on the {parse_temporal_version(current).major}.x releases",
        )
    hops = path(current, target)
    if step is Step.SKIP:
        skipped = [".".join(hop.to_version.split(".")[:2]) for hop in hops[:-1]]
        lines = f"the {', '.join(skipped)} release line" + ("s" if len(skipped) > 1 else "")
        chain = " → ".join([current, *(hop.to_version for hop in hops)])
        return UserError(
            f"Temporal {current} → {target} skips {lines}: Temporal is "
            "upgraded one minor line at a time, each schema update before its server starts",
            f"take the path {chain}: {_commands(hops)}",
        )
    return UserError(
        f"this deployment's databases hold the schema of Temporal {current}; {target} is "
        "the next release line and needs both schemas updated before it starts",
        f"upgrade it: {_commands(hops)} (backs up both databases, updates the schemas, "
        "swaps the release, verifies it and rolls back on failure)",
    )


def deploy_refusal(current: str, target: str, backup: str = "") -> UserError | None:
    """What the deploy command says to `target` on data written by `current`: nothing for
    the same release or a newer patch of its line, else the refusal (a next-minor request
    is sent to the upgrade command)."""
    if classify(current, target) in (Step.SAME, Step.PATCH):
        return None
    return refusal(current, target, backup)


def upgrade_hop(current: str, target: str, backup: str = "") -> Hop:
    """The one hop `upgrade --to target` performs, or the refusal (a skip names the path;
    the same release is refused as nothing to do)."""
    step = classify(current, target)
    if step is Step.SAME:
        raise UserError(f"this deployment already runs Temporal {current}", "nothing to upgrade")
    if step in (Step.PATCH, Step.NEXT_MINOR):
        return Hop(current, target)
    raise refusal(current, target, backup)
