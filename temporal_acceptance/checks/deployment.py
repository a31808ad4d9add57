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
    if not live:
        return [
            f"Temporal's state is not in this PostgreSQL: no Temporal server role has a "
            f"membership heartbeat in it in the last {cutoff}s (cluster_membership holds none), "
            "so the server that answers keeps its state in another database"
        ]
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


def secrets_problems(text: str, secrets: Mapping[str, Secret]) -> list[str]:
    """`text` holds none of the deployment's secrets (named by what they are, never shown);
    a deployment with no secret known proves nothing."""
    if not secrets:
        return ["the deployment's secrets are unknown: nothing proves the text holds none"]
    return [
        f"it contains {label} in clear text"
        for label, secret in secrets.items()
        if secret.reveal() in text
    ]


def datastore_problems(
    readings: Sequence[DatastoreReading], role: str, database: str, version: str
) -> list[str]:
    """The configuration's `role` store ("default", "visibility") is `database`, reached with
    the configuration's own credentials, at the schema `version` this release expects."""
    if not readings:
        return ["the Temporal configuration lists no datastores"]
    stores = [r for r in readings if r.store.role == role]
    if not stores:
        named = ", ".join(r.store.describe() for r in readings)
        return [f"the Temporal configuration names no {role} store (datastores: {named})"]
    problems = []
    for reading in stores:
        store = reading.store
        if store.database != database:
            problems.append(
                f"the {role} store {store.name} uses database {store.database}, not "
                f"{database}: Temporal's {role} data must live in {database}"
                + (
                    f" (the database it uses records schema {reading.schema_version})"
                    if reading.schema_version
                    else ""
                )
            )
        elif reading.error:
            problems.append(
                f"the {role} store {store.describe()} cannot be reached: {reading.error}"
            )
        elif reading.schema_version != version:
            problems.append(
                f"the {role} store's database {store.database} is at schema version "
                f"{reading.schema_version or 'none'}, this release expects {version}"
            )
    return problems
