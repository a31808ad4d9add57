"""Judging two readings of what PostgreSQL stores: the first must be complete, and nothing
may differ in the second (histories, row counts, application rows, schemas)."""

from __future__ import annotations

from temporal_acceptance.checks.history_diff import history_differences
from temporal_acceptance.checks.snapshot import (
    app_row_differences,
    count_differences,
    fingerprint_differences,
)
from temporal_acceptance.probes.stored import StoredReading


def reading_problems(reading: StoredReading) -> list[str]:
    """The first reading must be complete, or the comparison would prove nothing."""
    problems = []
    if reading.api_error or not reading.api_events:
        problems.append(
            f"Temporal did not serve the witness's history: {reading.api_error or 'empty'}"
        )
    if reading.stored_error or not reading.stored_events:
        problems.append(
            f"PostgreSQL holds no history for the witness: {reading.stored_error or 'no rows'}"
        )
    problems += [f"{what}: {error}" for what, error in reading.snapshot.rows.errors.items()]
    return problems


def history_changes(before: StoredReading, after: StoredReading) -> list[str]:
    """The witness's history, through Temporal and in PostgreSQL, is what it was."""
    wid = before.witness.workflow_id
    problems = []
    if after.api_error:
        problems.append(
            f"history lost through Temporal: workflow {wid} had {len(before.api_events)} events "
            f"before; after the disruption Temporal answers {after.api_error}"
        )
    else:
        problems += [f"workflow {wid} through Temporal: {p}"
                     for p in history_differences(before.api_events, after.api_events)]  # fmt: skip
    if after.stored_error:
        problems.append(
            f"history lost in PostgreSQL: workflow {wid} had {len(before.stored_events)} stored "
            f"events before; after the disruption they cannot be read: {after.stored_error}"
        )
    else:
        changes = history_differences(before.stored_events, after.stored_events)
        problems += [f"workflow {wid} in PostgreSQL: {p}" for p in changes]
    return problems


def row_changes(before: StoredReading, after: StoredReading) -> list[str]:
    """Temporal's row counts (closed runs, the cluster's own rows) are what they were."""
    return count_differences(before.snapshot.rows, after.snapshot.rows)


def app_row_changes(before: StoredReading, after: StoredReading) -> list[str]:
    return app_row_differences(before.snapshot.rows, after.snapshot.rows)


def schema_changes(before: StoredReading, after: StoredReading) -> list[str]:
    return [
        problem
        for database, fingerprint in before.snapshot.fingerprints.items()
        for problem in fingerprint_differences(fingerprint, after.snapshot.fingerprints[database])
    ]


def stored_differences(before: StoredReading, after: StoredReading) -> list[str]:
    """Everything that changed between the readings, each naming what was lost or altered."""
    return (
        history_changes(before, after)
        + row_changes(before, after)
        + app_row_changes(before, after)
        + schema_changes(before, after)
    )
