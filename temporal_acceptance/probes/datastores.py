"""The connection strings Temporal runs with, tried one by one with the deployment's own
password (each must reach a database holding Temporal's schema: checks.deployment)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import psycopg

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.clients.postgres import connect, try_connect
from temporal_acceptance.probes.database import schema_version
from temporal_acceptance.stack.base import Stack


@dataclass(frozen=True)
class DatastoreReading:
    store: DataStore
    error: str = ""  # why it could not be reached ("" when it was)
    schema_version: str | None = None

    def line(self) -> str:
        seen = self.error or f"ok, schema version {self.schema_version or 'none'}"
        return f"{self.store.describe()} → {seen}"


def read_datastores(stack: Stack, endpoints: Endpoints) -> list[DatastoreReading]:
    readings = []
    for store in stack.datastores():
        target = replace(
            endpoints, postgres_host=store.host, postgres_port=store.port, postgres_user=store.user
        )
        outcome = try_connect(target, store.database)
        if not outcome.ok:
            readings.append(DatastoreReading(store, outcome.error))
            continue
        try:
            with connect(target, store.database) as conn:
                readings.append(DatastoreReading(store, "", schema_version(conn, store.database)))
        except psycopg.Error as exc:
            readings.append(DatastoreReading(store, f"{type(exc).__name__}: {exc}".strip()))
    return readings
