"""Is a workflow's history what it was? Two readings compared event by event, every field.

A closed workflow's history must come back identical; an in-flight workflow's later history
must start with exactly the events it had before (nothing lost, nothing rewritten).
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.workload.events import brief, event_time

# Enough differing events to see a pattern; the attachments hold both histories in full.
MAX_DIFFERENCES = 5


def changed_fields(old: HistoryEvent, new: HistoryEvent) -> list[str]:
    """The top-level fields of an event that differ between two readings."""
    names = {field.name for field, _ in old.ListFields()} | {
        field.name for field, _ in new.ListFields()
    }
    return sorted(name for name in names if getattr(old, name) != getattr(new, name))


def history_differences(
    before: Sequence[HistoryEvent], after: Sequence[HistoryEvent], *, closed: bool = True
) -> list[str]:
    """What changed between two readings of one history. `closed`: the workflow had closed
    before the first reading, so no event may be added; otherwise `after` may extend
    `before` but must start with exactly its events."""
    if before and not after:
        return [
            f"history lost: {len(before)} events before ({brief(before[0])} … "
            f"{brief(before[-1])}), none after"
        ]
    problems = []
    differing = [(old, new) for old, new in zip(before, after, strict=False) if old != new]
    for old, new in differing[:MAX_DIFFERENCES]:
        fields = ", ".join(changed_fields(old, new))
        problems.append(
            f"history changed: event {old.event_id} was {brief(old)} at "
            f"{event_time(old).isoformat()}, is now {brief(new)} at "
            f"{event_time(new).isoformat()} (fields differing: {fields})"
        )
    if len(differing) > MAX_DIFFERENCES:
        problems.append(f"... and {len(differing) - MAX_DIFFERENCES} more changed events")
    if len(after) < len(before):
        lost = before[len(after) :]
        problems.append(
            f"history truncated: {len(before)} events before, {len(after)} after; "
            f"lost {brief(lost[0])} … {brief(lost[-1])}"
        )
    elif closed and len(after) > len(before):
        added = after[len(before) :]
        problems.append(
            f"history changed: the closed workflow gained {len(added)} events "
            f"({brief(added[0])} … {brief(added[-1])})"
        )
    return problems
