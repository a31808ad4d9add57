"""Every way two snapshots of PostgreSQL differ: schema fingerprints, row counts (fewer is
data lost, more is data that appeared) and the application's rows."""

from __future__ import annotations

from temporal_acceptance.clients.endpoints import (
    APP_DATABASE,
)
from temporal_acceptance.probes.snapshot import SchemaFingerprint, Snapshot, StoredRows
from temporal_acceptance.workload.shared import APP_TABLE


def _set_changes(what: str, before: set[str], after: set[str]) -> list[str]:
    problems = []
    if lost := sorted(before - after):
        problems.append(f"{what} lost: {', '.join(lost)}")
    if gained := sorted(after - before):
        problems.append(f"{what} added: {', '.join(gained)}")
    return problems


def fingerprint_differences(before: SchemaFingerprint, after: SchemaFingerprint) -> list[str]:
    """Every way the schema changed between two readings, each as one line."""
    db = before.database
    if before.error or after.error:
        if before.error == after.error:
            return []
        which = "after" if after.error else "before"
        return [f"schema changed: {db} could not be read {which} the disruption: "
                f"{after.error or before.error}"]  # fmt: skip
    problems = [f"schema changed: {db} {line}" for line in
                _set_changes("tables", before.tables, after.tables)]  # fmt: skip
    common = before.tables & after.tables
    kept = {k for k in before.columns if k.split(".", 1)[0] in common}
    new = {k for k in after.columns if k.split(".", 1)[0] in common}
    problems += [f"schema changed: {db} {line}" for line in _set_changes("columns", kept, new)]
    for key in sorted(kept & new):
        if before.columns[key] != after.columns[key]:
            problems.append(
                f"schema changed: {db} column {key} was {_column(before.columns[key])}, "
                f"is {_column(after.columns[key])}"
            )
    problems += [
        f"schema changed: {db} {line}"
        for line in _set_changes("indexes", set(before.indexes), set(after.indexes))
    ]
    for name in sorted(set(before.indexes) & set(after.indexes)):
        if before.indexes[name] != after.indexes[name]:
            problems.append(
                f"schema changed: {db} index {name} was {before.indexes[name]!r}, "
                f"is {after.indexes[name]!r}"
            )
    if before.versions != after.versions:
        problems.append(
            f"schema version of {db} changed: {before.versions or 'none'} before, "
            f"{after.versions or 'none'} after"
        )
    return problems


def _column(spec: tuple[str, bool, str]) -> str:
    kind, not_null, default = spec
    return kind + (" not null" if not_null else "") + (f" default {default}" if default else "")


def count_differences(before: StoredRows, after: StoredRows) -> list[str]:
    """Each count that changed: fewer rows is data lost, more is data that appeared. Counts
    that cannot be read any more are grouped by the reason, with what they held before."""
    problems = []
    unreadable: dict[str, list[str]] = {}
    for label, count in before.counts.items():
        if label not in after.counts:
            error = after.errors.get(label) or after.errors.get(label.split(".")[0], "not read")
            unreadable.setdefault(error, []).append(f"{label} {count}")
        elif after.counts[label] < count:
            problems.append(
                f"{label}: {count} rows before, {after.counts[label]} after — "
                f"{count - after.counts[label]} rows lost"
            )
        elif after.counts[label] > count:
            problems.append(
                f"{label}: {count} rows before, {after.counts[label]} after — "
                f"{after.counts[label] - count} rows appeared"
            )
    for error, held in unreadable.items():
        problems.append(
            f"rows lost or unreachable: cannot be read after the disruption ({error}); "
            f"rows before: {', '.join(held)}"
        )
    return problems


def app_row_differences(before: StoredRows, after: StoredRows) -> list[str]:
    """The application table's rows: none lost, none changed, none added."""
    where = f"{APP_DATABASE}.{APP_TABLE}"
    if APP_DATABASE in after.errors and APP_DATABASE not in before.errors:
        return [
            f"{where}: {len(before.app_rows)} rows before, none readable after "
            f"({after.errors[APP_DATABASE]})"
        ]
    problems = []
    if lost := sorted(set(before.app_rows) - set(after.app_rows)):
        problems.append(f"{where}: {len(lost)} rows lost (row ids {_ids(lost)})")
    kept = set(before.app_rows) & set(after.app_rows)
    if changed := sorted(k for k in kept if before.app_rows[k] != after.app_rows[k]):
        first = changed[0]
        problems.append(
            f"{where}: {len(changed)} rows changed (row ids {_ids(changed)}; row {first} was "
            f"{before.app_rows[first]}, is {after.app_rows[first]})"
        )
    if added := sorted(set(after.app_rows) - set(before.app_rows)):
        problems.append(f"{where}: {len(added)} rows appeared (row ids {_ids(added)})")
    return problems


def _ids(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, ids[:limit]))
    return shown + (f", … ({len(ids) - limit} more)" if len(ids) > limit else "")


def snapshot_differences(before: Snapshot, after: Snapshot) -> list[str]:
    problems = count_differences(before.rows, after.rows)
    problems += app_row_differences(before.rows, after.rows)
    for database, fingerprint in before.fingerprints.items():
        problems += fingerprint_differences(fingerprint, after.fingerprints[database])
    return problems
