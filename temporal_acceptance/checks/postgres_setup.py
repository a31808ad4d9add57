"""PostgreSQL as operators must set it up: TLS on every connection of Temporal's roles and
no plain client let in (the TLS profile), the live data directory on persistent storage,
and the time zone the deployment asked for."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import PurePosixPath

from temporal_acceptance.clients.postgres import ConnectionOutcome
from temporal_acceptance.probes.postgres_setup import SessionTls
from temporal_acceptance.stack.facts import DataLocation

# What PostgreSQL answers a client that hostssl-only pg_hba.conf does not let in.
NO_ENCRYPTION = "no encryption"


def encryption_problems(sessions: Sequence[SessionTls], users: Collection[str]) -> list[str]:
    """Temporal's sessions (those of the roles its datastores use) exist, and every one of
    them is encrypted."""
    theirs = [s for s in sessions if s.user in users]
    user = ", ".join(sorted(users))
    if not theirs:
        return [f"no session of Temporal's role {user!r} is connected (pg_stat_activity)"]
    plain = [s for s in theirs if not s.ssl]
    if not plain:
        return []
    shown = ", ".join(f"pid {s.pid} ({s.database})" for s in plain[:5])
    return [
        f"{len(plain)} of {len(theirs)} sessions of {user!r} are not encrypted: {shown} — "
        "set the datastores' sql.tls (enabled, caFile, enableHostVerification) and accept "
        "only hostssl in pg_hba.conf"
    ]


def plain_refusal_problems(outcome: ConnectionOutcome) -> list[str]:
    if outcome.ok:
        return [
            "PostgreSQL accepted a client without TLS: pg_hba.conf lets plain TCP in "
            "(use hostssl lines only, no host lines)"
        ]
    if NO_ENCRYPTION not in outcome.error:
        return [f"the refusal does not say {NO_ENCRYPTION!r}: {outcome.error!r}"]
    return []


def data_location_problems(location: DataLocation | None, data_directory: str) -> list[str]:
    if location is None:
        return ["where the data must live is not known on this target"]
    problems = []
    if not location.persistent:
        problems.append(f"{location.storage} does not persist: {location.detail}")
    inside = PurePosixPath(data_directory).is_relative_to(PurePosixPath(location.root))
    if not inside:
        problems.append(
            f"PostgreSQL's live data_directory is {data_directory}, outside {location.root} "
            f"({location.storage}): its data is lost with the container or the disk it is on"
        )
    return problems


def timezone_problems(expected: str, seen: str) -> list[str]:
    if not expected or expected == seen:
        return []
    return [f"PostgreSQL's timezone is {seen!r}, the deployment asked for {expected!r}"]


def namespace_problems(found: dict[str, float], expected: dict[str, float]) -> list[str]:
    """Each expected namespace exists with its retention (in days)."""
    problems = []
    for name, days in expected.items():
        if name not in found:
            problems.append(f"namespace {name!r} does not exist (present: {sorted(found)})")
        elif abs(found[name] - days) > 1e-6:
            problems.append(
                f"namespace {name!r} keeps closed workflows {found[name]:g} days, expected {days:g}"
            )
    return problems


def visibility_store_problems(store: str, supported: tuple[str, ...]) -> list[str]:
    if store in supported:
        return []
    return [f"the visibility store is {store or 'unknown'!r}, not one of {', '.join(supported)}"]
