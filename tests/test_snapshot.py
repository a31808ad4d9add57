"""Schema fingerprints, row counts and application rows: read through a fake connection
(the SQL boundary) and compared, with messages that say what was lost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
import pytest

from temporal_acceptance.checks.snapshot import (
    app_row_differences,
    count_differences,
    fingerprint_differences,
    snapshot_differences,
)
from temporal_acceptance.probes import snapshot as snap
from temporal_acceptance.probes.snapshot import (
    RunScope,
    SchemaFingerprint,
    StoredRows,
    take_snapshot,
)

RUN = bytes(range(16))
NS = bytes(range(16, 32))


def fingerprint(**changes: Any) -> SchemaFingerprint:
    base = SchemaFingerprint(
        "temporal",
        columns={
            "executions.run_id": ("bytea", True, ""),
            "executions.next_event_id": ("bigint", True, ""),
            "shards.range_id": ("bigint", True, "0"),
        },
        indexes={"executions_pkey": "CREATE UNIQUE INDEX executions_pkey ON executions (run_id)"},
        versions={"temporal": "1.18 (min compatible 1.0)"},
    )
    return replace(base, **changes)


def test_an_unchanged_schema_has_no_differences_and_a_stable_digest() -> None:
    assert fingerprint_differences(fingerprint(), fingerprint()) == []
    assert fingerprint().digest() == fingerprint().digest()
    summary = fingerprint().summary()
    assert summary.startswith("temporal: 2 tables, 3 columns, 1 indexes, schema_version temporal ")
    assert summary.endswith(f"1.18 (min compatible 1.0), fingerprint {fingerprint().digest()}")


def test_lost_and_added_tables_columns_indexes_and_versions_are_named() -> None:
    before = fingerprint()
    after = fingerprint(
        columns={
            "executions.run_id": ("bytea", True, ""),
            "executions.next_event_id": ("integer", False, "1"),
            "executions.extra": ("text", False, ""),
            "history_node.data": ("bytea", True, ""),
        },
        indexes={
            "executions_pkey": "CREATE INDEX executions_pkey ON executions (run_id)",
            "new_idx": "CREATE INDEX new_idx ON executions (extra)",
        },
        versions={"temporal": "1.17 (min compatible 1.0)"},
    )
    assert fingerprint_differences(before, after) == [
        "schema changed: temporal tables lost: shards",
        "schema changed: temporal tables added: history_node",
        "schema changed: temporal columns added: executions.extra",
        "schema changed: temporal column executions.next_event_id was bigint not null, "
        "is integer default 1",
        "schema changed: temporal indexes added: new_idx",
        "schema changed: temporal index executions_pkey was 'CREATE UNIQUE INDEX executions_pkey "
        "ON executions (run_id)', is 'CREATE INDEX executions_pkey ON executions (run_id)'",
        "schema version of temporal changed: {'temporal': '1.18 (min compatible 1.0)'} before, "
        "{'temporal': '1.17 (min compatible 1.0)'} after",
    ]


def test_a_lost_column_and_index_are_named() -> None:
    after = fingerprint(columns={"executions.run_id": ("bytea", True, ""),
                                 "shards.range_id": ("bigint", True, "0")}, indexes={})  # fmt: skip
    assert fingerprint_differences(fingerprint(), after) == [
        "schema changed: temporal columns lost: executions.next_event_id",
        "schema changed: temporal indexes lost: executions_pkey",
    ]


def test_an_unreadable_schema_says_when_and_why() -> None:
    gone = SchemaFingerprint("temporal", error='database "temporal" does not exist')
    assert fingerprint_differences(fingerprint(), gone) == [
        'schema changed: temporal could not be read after the disruption: database "temporal" '
        "does not exist"
    ]
    assert fingerprint_differences(gone, fingerprint())[0].startswith(
        "schema changed: temporal could not be read before the disruption"
    )
    assert fingerprint_differences(gone, gone) == []
    assert gone.summary() == 'temporal: unreadable (database "temporal" does not exist)'


def test_counts_that_fell_rose_or_cannot_be_read_are_reported() -> None:
    before = StoredRows(
        counts={"temporal.executions": 10, "temporal.shards": 4, "temporal.namespaces": 2,
                "temporal_visibility.executions_visibility": 10, "temporal.history_node": 90},
    )  # fmt: skip
    after = StoredRows(
        counts={"temporal.executions": 7, "temporal.shards": 5, "temporal.namespaces": 2},
        errors={"temporal_visibility": 'database "temporal_visibility" does not exist'},
    )
    assert count_differences(before, after) == [
        "temporal.executions: 10 rows before, 7 after — 3 rows lost",
        "temporal.shards: 4 rows before, 5 after — 1 rows appeared",
        "rows lost or unreachable: cannot be read after the disruption (database "
        '"temporal_visibility" does not exist); rows before: '
        "temporal_visibility.executions_visibility 10",
        "rows lost or unreachable: cannot be read after the disruption (not read); rows before: "
        "temporal.history_node 90",
    ]


def test_application_rows_lost_changed_or_added_are_named() -> None:
    before = StoredRows(app_rows={1: ("w1", "r1", "p"), 2: ("w2", "r2", "p"), 3: ("w3", "r3", "p")})
    after = StoredRows(
        app_rows={2: ("w2", "r2", "changed"), 3: ("w3", "r3", "p"), 4: ("w", "r", "p")}
    )
    assert app_row_differences(before, after) == [
        "acceptance_app.workload_round_trips: 1 rows lost (row ids 1)",
        "acceptance_app.workload_round_trips: 1 rows changed (row ids 2; row 2 was "
        "('w2', 'r2', 'p'), is ('w2', 'r2', 'changed'))",
        "acceptance_app.workload_round_trips: 1 rows appeared (row ids 4)",
    ]
    gone = StoredRows(errors={"acceptance_app": 'relation "workload_round_trips" does not exist'})
    assert app_row_differences(before, gone) == [
        "acceptance_app.workload_round_trips: 3 rows before, none readable after "
        '(relation "workload_round_trips" does not exist)'
    ]
    many = StoredRows(app_rows={i: ("w", "r", "p") for i in range(25)})
    assert app_row_differences(many, StoredRows())[0].endswith(
        "25 rows lost (row ids 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (15 more))"
    )


# -- reading, through a fake connection ---------------------------------------------------


@dataclass
class FakeResult:
    rows: list[tuple[Any, ...]]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


@dataclass
class FakeDatabase:
    """Answers the snapshot's SQL by what it starts with; records the parameters."""

    name: str
    answers: dict[str, list[tuple[Any, ...]]]
    seen: list[tuple[str, Any]] = field(default_factory=list)

    def execute(self, sql: str, params: Any = ()) -> FakeResult:
        self.seen.append((" ".join(sql.split()), params))
        for key, rows in self.answers.items():
            if key in sql:
                return FakeResult(rows)
        raise psycopg.errors.UndefinedTable(f"no answer for {sql!r}")


def temporal_answers(runs: list[bytes], executions: int = 1) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "select id from namespaces": [(NS,)],
        "from current_executions c join namespaces": [(r,) for r in runs],
        "from namespaces": [(2,)],
        "from shards": [(4,)],
        "from cluster_metadata_info": [(1,)],
        "from executions where": [(executions,)],
        "from current_executions where": [(1,)],
        "from history_tree": [(1,)],
        "from history_node": [(9,)],
        "from pg_class": [("executions", "run_id", "bytea", True, "")],
        "from pg_indexes": [("executions_pkey", "CREATE UNIQUE INDEX ...")],
        "from schema_version": [("temporal", "1.18", "1.0")],
    }


def connector(databases: dict[str, FakeDatabase | Exception]) -> Any:
    @contextmanager
    def connect(name: str) -> Iterator[FakeDatabase]:
        database = databases[name]
        if isinstance(database, Exception):
            raise database
        yield database

    return connect


def healthy_databases(executions: int = 1) -> dict[str, FakeDatabase | Exception]:
    return {
        "temporal": FakeDatabase("temporal", temporal_answers([RUN], executions)),
        "temporal_visibility": FakeDatabase(
            "temporal_visibility",
            {
                "from executions_visibility": [(1,)],
                "from pg_class": [("executions_visibility", "run_id", "varchar(64)", True, "")],
                "from pg_indexes": [],
                "from schema_version": [("temporal_visibility", "1.13", "0.1")],
            },
        ),
        "acceptance_app": FakeDatabase(
            "acceptance_app", {"from workload_round_trips": [(5, "w", "r", "p", 1, "t")]}
        ),
    }


def test_a_snapshot_reads_counts_rows_and_fingerprints_of_the_closed_runs() -> None:
    databases = healthy_databases()
    first = take_snapshot(connector(databases), "default")
    assert first.scope == RunScope("default", NS, (RUN,))
    assert first.rows.counts == {
        "temporal.namespaces": 2,
        "temporal.shards": 4,
        "temporal.cluster_metadata_info": 1,
        "temporal.executions": 1,
        "temporal.current_executions": 1,
        "temporal.history_tree": 1,
        "temporal.history_node": 9,
        "temporal_visibility.executions_visibility": 1,
    }
    assert first.rows.app_rows == {5: ("w", "r", "p", "1", "t")}
    assert first.fingerprints["temporal"].versions == {"temporal": "1.18 (min compatible 1.0)"}
    visibility = databases["temporal_visibility"]
    assert isinstance(visibility, FakeDatabase)
    assert visibility.seen[0][1] == (str(snap._uuid(NS)), [str(snap._uuid(RUN))])
    assert first.to_json()["closed_runs_counted"] == 1
    # The second reading counts exactly the first reading's runs, whatever closed since.
    later = healthy_databases(executions=0)
    temporal = later["temporal"]
    assert isinstance(temporal, FakeDatabase)
    temporal.answers["from current_executions c join namespaces"] = [(RUN,), (b"x" * 16,)]
    second = take_snapshot(connector(later), "default", first.scope)
    assert second.scope == first.scope
    assert snapshot_differences(first, second) == [
        "temporal.executions: 1 rows before, 0 after — 1 rows lost"
    ]


def test_a_database_that_is_gone_is_recorded_not_raised() -> None:
    first = take_snapshot(connector(healthy_databases()), "default")
    gone = psycopg.OperationalError('database "temporal" does not exist')
    databases = healthy_databases()
    databases["temporal"] = gone
    second = take_snapshot(connector(databases), "default", first.scope)
    assert second.rows.errors == {"temporal": 'database "temporal" does not exist'}
    assert second.fingerprints["temporal"].error == 'database "temporal" does not exist'
    problems = snapshot_differences(first, second)
    assert problems[0].startswith(
        'rows lost or unreachable: cannot be read after the disruption (database "temporal" '
        "does not exist); rows before: temporal.namespaces 2, temporal.shards 4"
    )
    assert problems[-1] == (
        'schema changed: temporal could not be read after the disruption: database "temporal" '
        "does not exist"
    )


def test_a_missing_namespace_gives_an_empty_scope() -> None:
    databases = healthy_databases()
    temporal = databases["temporal"]
    assert isinstance(temporal, FakeDatabase)
    temporal.answers["select id from namespaces"] = []
    assert take_snapshot(connector(databases), "nowhere").scope == RunScope("nowhere", None, ())
    databases["temporal"] = psycopg.OperationalError("refused")
    assert take_snapshot(connector(databases), "default").scope == RunScope("default", None, ())
    assert RunScope("x", None, ()).visibility_ids() == ("", [])


@pytest.mark.parametrize("value", [b"\x00" * 16, bytearray(16), memoryview(b"\x01" * 16)])
def test_run_ids_are_shown_as_uuids(value: Any) -> None:
    assert len(str(snap._uuid(value))) == 36
