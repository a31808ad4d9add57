"""The datastores Temporal runs with, read from its own configuration and tried one by one
exactly as the server connects: its user, its database and the password the configuration
holds (never the suite's copy). Each reading says which store (default, visibility) the
configuration uses it for and the schema version its database records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import DataStore
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.secrets import redact
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


def read_datastore(store: DataStore) -> DatastoreReading:
    address = store.address
    if address is None:
        return DatastoreReading(store, "the configuration holds no password for it")
    try:
        conn: psycopg.Connection[Any]
        with connect(address, store.database) as conn:
            return DatastoreReading(store, "", schema_version(conn, store.database))
    except psycopg.Error as exc:
        text = redact(f"{type(exc).__name__}: {str(exc).strip()}", [address.password])
        return DatastoreReading(store, text)


def read_datastores(stack: Stack) -> list[DatastoreReading]:
    return [read_datastore(store) for store in stack.datastores()]
