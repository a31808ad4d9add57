"""Which versions a live deployment really runs, read from the servers themselves.

PostgreSQL answers `server_version_num` (160014 for 16.14); Temporal's frontend answers
GetSystemInfo with its server version. Both are parsed strictly: an answer we cannot read is
a detection failure with a message, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect, query
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import (
    major_from_server_version,
    major_from_server_version_num,
    parse_temporal_version,
)


class VersionDetectionError(UserError):
    """A live server answered with something that is not a version we can read."""


@dataclass(frozen=True)
class PostgresVersion:
    version_num: int  # e.g. 160014
    version: str  # e.g. '16.14 (Debian 16.14-1.pgdg120+1)'
    major: int


def postgres_version_from(version_num: str, version: str, where: str) -> PostgresVersion:
    """Parse the two settings PostgreSQL reports; they must agree on the major."""
    try:
        major = major_from_server_version_num(version_num)
        text_major = major_from_server_version(version)
    except ValueError as exc:
        raise VersionDetectionError(
            f"cannot read the PostgreSQL version of {where}: {exc}",
            "check that the endpoint is a PostgreSQL server",
        ) from None
    if major != text_major:
        raise VersionDetectionError(
            f"PostgreSQL at {where} reports server_version_num {version_num} but "
            f"server_version {version!r}",
            "check that the endpoint is a PostgreSQL server",
        )
    return PostgresVersion(int(version_num), version, major)


def detect_postgres(
    conn: psycopg.Connection[Any], where: str, log: QueryLog | None = None
) -> PostgresVersion:
    result = query(
        conn,
        "select current_setting('server_version_num') as server_version_num, "
        "current_setting('server_version') as server_version",
        (),
        log,
    )
    if len(result.rows) != 1:
        raise VersionDetectionError(f"PostgreSQL at {where} returned no version row")
    version_num, version = result.rows[0]
    return postgres_version_from(str(version_num), str(version), where)


def temporal_version_from(reported: str, where: str) -> str:
    try:
        return str(parse_temporal_version(reported))
    except UserError:
        raise VersionDetectionError(
            f"the Temporal frontend at {where} reports server version {reported!r}, "
            "which is not X.Y.Z",
            "check that the endpoint is a Temporal frontend",
        ) from None


async def detect_temporal(client: Client, where: str) -> str:
    response = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    return temporal_version_from(response.server_version, where)


@dataclass(frozen=True)
class LiveVersions:
    """The versions a running deployment's servers report."""

    postgres: PostgresVersion
    temporal: str
    postgres_at: str
    temporal_at: str

    def describe(self, log: QueryLog | None = None) -> str:
        lines = [
            f"PostgreSQL at {self.postgres_at}: {self.postgres.version} "
            f"(server_version_num {self.postgres.version_num}) → major {self.postgres.major}",
            f"Temporal frontend at {self.temporal_at}: server version {self.temporal}",
        ]
        queries = [entry.render() for entry in log.entries] if log else []
        return "\n".join([*lines, *(["", *queries] if queries else [])])

    def mismatches(self, settings: Settings) -> list[str]:
        found = []
        if self.postgres.major != settings.postgres_major:
            found.append(
                f"PostgreSQL {self.postgres.version} at {self.postgres_at}, "
                f"requested major {settings.postgres_major}"
            )
        if self.temporal != settings.temporal_version:
            found.append(
                f"Temporal {self.temporal} at {self.temporal_at}, "
                f"requested {settings.temporal_version}"
            )
        return found


async def live_versions(client: Client, endpoints: Endpoints, log: QueryLog) -> LiveVersions:
    postgres_at = f"{endpoints.postgres_host}:{endpoints.postgres_port}"
    with connect(endpoints, TEMPORAL_DATABASE) as conn:
        postgres = detect_postgres(conn, postgres_at, log)
    temporal = await detect_temporal(client, endpoints.temporal_address)
    return LiveVersions(postgres, temporal, postgres_at, endpoints.temporal_address)
