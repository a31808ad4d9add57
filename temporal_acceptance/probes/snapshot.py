"""What PostgreSQL stores, read before and after a disruption and compared: the schemas of
Temporal's two databases, the rows Temporal keeps for closed workflows and for the cluster
itself, and the application table the test workflow writes.

Row counts are taken over rows nothing may change while the deployment is idle: the
cluster's own tables, and the rows of the workflows that had closed when the first reading
was taken (the second reading counts exactly those runs again). Task tables are left out:
Temporal drains them as it works.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import (
    APP_DATABASE,
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    Endpoints,
)
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.secrets import redact

SCHEMA_DATABASES = (TEMPORAL_DATABASE, VISIBILITY_DATABASE)
STATE_CLOSED = 3  # current_executions.state: the server's WorkflowExecutionState "completed"

COLUMNS_SQL = """
select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       coalesce(pg_get_expr(d.adbin, d.adrelid), '')
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
where n.nspname = 'public' and c.relkind in ('r', 'p')
order by c.relname, a.attnum"""
INDEXES_SQL = "select indexname, indexdef from pg_indexes where schemaname = 'public'"
VERSIONS_SQL = "select db_name, curr_version, min_compatible_version from schema_version"

# Runs started within this window cannot have reached the namespace's retention (3 days
# after closing) and been deleted by Temporal while the snapshot is compared.
CLOSED_RUNS_SQL = """
select c.run_id from current_executions c join namespaces n on n.id = c.namespace_id
where n.name = %s and c.state = %s
  and c.start_time > (now() at time zone 'utc') - interval '2 days'"""
NAMESPACE_ID_SQL = "select id from namespaces where name = %s"
# The cluster's own rows: a restart must neither lose nor add namespaces, shards or metadata.
CLUSTER_COUNTS = {
    "temporal.namespaces": "select count(*) from namespaces",
    "temporal.shards": "select count(*) from shards",
    "temporal.cluster_metadata_info": "select count(*) from cluster_metadata_info",
}
# label → SQL counting the rows of the closed runs (params: namespace id, run ids; a run's
# history tree id is its run id).
CLOSED_RUN_COUNTS = {
    "temporal.executions": "select count(*) from executions "
    "where namespace_id = %(ns)s and run_id = any(%(runs)s)",
    "temporal.current_executions": "select count(*) from current_executions "
    "where namespace_id = %(ns)s and run_id = any(%(runs)s)",
    "temporal.history_tree": "select count(*) from history_tree where tree_id = any(%(runs)s)",
    "temporal.history_node": "select count(*) from history_node where tree_id = any(%(runs)s)",
}
VISIBILITY_COUNT_SQL = (
    "select count(*) from executions_visibility where namespace_id = %s and trim(run_id) = any(%s)"
)
APP_ROWS_SQL = (
    "select row_id, workflow_id, run_id, payload, attempt, written_at "
    "from workload_round_trips order by row_id"
)


def _error(exc: Exception) -> str:
    return redact(" ".join(str(exc).split()) or type(exc).__name__)


# -- schema fingerprint --------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaFingerprint:
    """A database's schema: every column (type, not-null, default), every index (its
    definition) and Temporal's schema_version rows."""

    database: str
    columns: dict[str, tuple[str, bool, str]] = field(default_factory=dict)  # "table.column"
    indexes: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    error: str = ""  # why the schema could not be read

    @property
    def tables(self) -> set[str]:
        return {key.split(".", 1)[0] for key in self.columns}

    def canonical(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "columns": {key: list(value) for key, value in sorted(self.columns.items())},
            "indexes": dict(sorted(self.indexes.items())),
            "schema_version": dict(sorted(self.versions.items())),
            "error": self.error,
        }

    def digest(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def summary(self) -> str:
        if self.error:
            return f"{self.database}: unreadable ({self.error})"
        versions = ", ".join(f"{db} {v}" for db, v in sorted(self.versions.items()))
        return (
            f"{self.database}: {len(self.tables)} tables, {len(self.columns)} columns, "
            f"{len(self.indexes)} indexes, schema_version {versions or 'none'}, "
            f"fingerprint {self.digest()}"
        )


def read_fingerprint(conn: psycopg.Connection[Any], database: str) -> SchemaFingerprint:
    columns = {
        f"{table}.{column}": (str(kind), bool(not_null), str(default))
        for table, column, kind, not_null, default in conn.execute(COLUMNS_SQL).fetchall()
    }
    indexes = {str(name): str(definition) for name, definition in conn.execute(INDEXES_SQL)}
    versions = {
        str(db): f"{current} (min compatible {minimum})"
        for db, current, minimum in conn.execute(VERSIONS_SQL).fetchall()
    }
    return SchemaFingerprint(database, columns, indexes, versions)


# -- stored rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunScope:
    """The closed runs (and their namespace) the row counts cover, fixed at first reading."""

    namespace: str
    namespace_id: bytes | None
    run_ids: tuple[bytes, ...]

    def visibility_ids(self) -> tuple[str, list[str]]:
        """The same scope as the visibility database spells it (uuid text)."""
        ns = str(_uuid(self.namespace_id)) if self.namespace_id else ""
        return ns, [str(_uuid(run_id)) for run_id in self.run_ids]


def _uuid(raw: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=bytes(raw))


@dataclass(frozen=True)
class StoredRows:
    """Row counts by label ("database.table"), the application table's rows by id, and
    what could not be read (label or database → error)."""

    counts: dict[str, int] = field(default_factory=dict)
    app_rows: dict[int, tuple[str, ...]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# -- a whole snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime
    scope: RunScope
    fingerprints: dict[str, SchemaFingerprint]
    rows: StoredRows

    def to_json(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at.isoformat(),
            "namespace": self.scope.namespace,
            "closed_runs_counted": len(self.scope.run_ids),
            "row_counts": self.rows.counts,
            "application_rows": len(self.rows.app_rows),
            "unreadable": self.rows.errors,
            "schema_fingerprints": {
                db: {"digest": fp.digest(), **fp.canonical()}
                for db, fp in self.fingerprints.items()
            },
        }


Connect = Callable[[str], Any]  # database name → an open psycopg connection (a context)


def take_snapshot(connect: Connect, namespace: str, scope: RunScope | None = None) -> Snapshot:
    """Read everything the comparison needs. Without `scope`, the closed runs are those
    closed now; with it (the first reading's), exactly those runs are counted again.
    A database that cannot be read is recorded as such, never raised."""
    taken_at = datetime.now(UTC)
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    fingerprints: dict[str, SchemaFingerprint] = {}
    try:
        with connect(TEMPORAL_DATABASE) as conn:
            scope = scope or _closed_runs(conn, namespace)
            for label, sql in CLUSTER_COUNTS.items():
                counts[label] = _count(conn, sql)
            for label, sql in CLOSED_RUN_COUNTS.items():
                params = {"ns": scope.namespace_id, "runs": list(scope.run_ids)}
                counts[label] = _count(conn, sql, params)
            fingerprints[TEMPORAL_DATABASE] = read_fingerprint(conn, TEMPORAL_DATABASE)
    except psycopg.Error as exc:
        errors[TEMPORAL_DATABASE] = _error(exc)
    scope = scope or RunScope(namespace, None, ())
    try:
        with connect(VISIBILITY_DATABASE) as conn:
            ns_id, run_ids = scope.visibility_ids()
            label = "temporal_visibility.executions_visibility"
            counts[label] = _count(conn, VISIBILITY_COUNT_SQL, (ns_id, run_ids))
            fingerprints[VISIBILITY_DATABASE] = read_fingerprint(conn, VISIBILITY_DATABASE)
    except psycopg.Error as exc:
        errors[VISIBILITY_DATABASE] = _error(exc)
    app_rows: dict[int, tuple[str, ...]] = {}
    try:
        with connect(APP_DATABASE) as conn:
            app_rows = {
                int(row[0]): tuple(str(value) for value in row[1:])
                for row in conn.execute(APP_ROWS_SQL).fetchall()
            }
    except psycopg.Error as exc:
        errors[APP_DATABASE] = _error(exc)
    for database in SCHEMA_DATABASES:
        if database not in fingerprints:
            fingerprints[database] = SchemaFingerprint(database, error=errors[database])
    return Snapshot(taken_at, scope, fingerprints, StoredRows(counts, app_rows, errors))


def _closed_runs(conn: psycopg.Connection[Any], namespace: str) -> RunScope:
    row = conn.execute(NAMESPACE_ID_SQL, (namespace,)).fetchone()
    if row is None:
        return RunScope(namespace, None, ())
    runs = conn.execute(CLOSED_RUNS_SQL, (namespace, STATE_CLOSED)).fetchall()
    return RunScope(namespace, bytes(row[0]), tuple(bytes(r[0]) for r in runs))


def _count(conn: psycopg.Connection[Any], sql: str, params: Any = ()) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def snapshot_of(endpoints: Endpoints, scope: RunScope | None = None) -> Snapshot:
    """take_snapshot against the deployment's PostgreSQL."""

    return take_snapshot(lambda database: connect(endpoints, database), endpoints.namespace, scope)
