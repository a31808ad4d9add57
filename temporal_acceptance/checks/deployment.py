"""Phase 2 judgments: services healthy, credentials, schema versions, tables, server roles,
the recorded configuration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.postgres import ConnectionOutcome
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.probes.datastores import DatastoreReading
from temporal_acceptance.stack.base import ServiceStatus


def unhealthy_problems(statuses: Sequence[ServiceStatus]) -> list[str]:
    return [
        f"not running and healthy: {s.line()}" for s in statuses if not (s.running and s.healthy)
    ]


def missing_problems(what: str, expected: Iterable[str], present: Iterable[str]) -> list[str]:
    """Every expected name is present; the message names the missing ones."""
    have = set(present)
    missing = sorted(set(expected) - have)
    if not missing:
        return []
    return [f"{what} missing: {', '.join(missing)} (present: {len(have)})"]


def release_list_problems(what: str, expected: Sequence[str]) -> list[str]:
    """An expectation read from the release's files must not be empty (no files, no proof)."""
    if expected:
        return []
    return [
        f"the {what} this release needs are unknown: its schema files could not be read "
        "(install Go so the suite can fetch the server module's source)"
    ]


def schema_version_problems(
    found: Mapping[str, str | None], wanted: Mapping[str, str]
) -> list[str]:
    return [
        f"{database} is at schema version {found.get(database) or 'none'}, "
        f"this release expects {version}"
        for database, version in wanted.items()
        if found.get(database) != version
    ]


def connection_problems(outcome: ConnectionOutcome, postgres_major: int) -> list[str]:
    if not outcome.ok:
        return [f"PostgreSQL refused the configured credentials: {outcome.error}"]
    major = outcome.server_version.split(".")[0]
    if not major.isdigit() or int(major) != postgres_major:
        return [f"the server is PostgreSQL {outcome.server_version}, expected {postgres_major}"]
    return []


# PostgreSQL's answer to a wrong password (libpq shows it as the server says it).
REFUSED_LOGIN_TEXT = "password authentication failed"


def refusal_problems(outcome: ConnectionOutcome) -> list[str]:
    if outcome.ok:
        return ["PostgreSQL accepted a wrong password: authentication is not enforced"]
    if REFUSED_LOGIN_TEXT not in outcome.error:
        return [f"the refusal does not say {REFUSED_LOGIN_TEXT!r}: {outcome.error!r}"]
    return []


def roles_problems(live: Mapping[str, int], roles: Sequence[str], cutoff: int) -> list[str]:
    missing = [role for role in roles if live.get(role, 0) < 1]
    if not missing:
        return []
    return [
        f"roles without a membership heartbeat in the last {cutoff}s: {missing}; live: {dict(live)}"
    ]


def config_names_problems(text: str, endpoints: Endpoints) -> list[str]:
    expected = {
        "PostgreSQL endpoint": f"{endpoints.postgres_host}:{endpoints.postgres_port}",
        "Temporal frontend": endpoints.temporal_address.rsplit(":", 1)[1],
        "UI": endpoints.ui_url.rsplit(":", 1)[1],
    }
    missing = [f"{what} ({value})" for what, value in expected.items() if value not in text]
    return [f"the recorded configuration does not name: {', '.join(missing)}"] if missing else []


def secret_problems(text: str, secret: Secret, where: str) -> list[str]:
    """`text` must not hold the secret (the message never prints it)."""
    if secret.reveal() in text:
        return [f"{where} contains the PostgreSQL password in clear text"]
    return []


def datastore_problems(readings: Sequence[DatastoreReading]) -> list[str]:
    """Temporal's configuration names datastores, and each reaches Temporal's schema."""
    if not readings:
        return ["the Temporal configuration lists no datastores"]
    problems = [f"{r.store.describe()}: {r.error}" for r in readings if r.error]
    problems += [
        f"{r.store.describe()}: no Temporal schema_version row"
        for r in readings
        if not r.error and r.schema_version is None
    ]
    return problems
