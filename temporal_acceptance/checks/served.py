"""Does a deployment still serve what it served? Every workflow listed before is listed
again, and each closed one has exactly the history it had (pure; see probes/served.py)."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType

from temporal_acceptance.checks.history_diff import history_differences
from temporal_acceptance.probes.served import ServedData, UiView

# Enough missing or changed workflows to see a pattern; the attachments list them all.
MAX_LISTED = 5


def served_differences(before: ServedData, after: ServedData, where: str = "") -> list[str]:
    """Every way `after` lost or changed what `before` served."""
    at = f" {where}" if where else ""
    if before.error:
        return [f"the workflows served before could not be read, so nothing is proven: "
                f"{before.error}"]  # fmt: skip
    if after.error:
        return [
            f"lost or unreachable{at}: {len(before.workflows)} workflows were served before; "
            f"now they cannot be read: {after.error}"
        ]
    problems = []
    missing = [key for key in before.workflows if key not in after.workflows]
    if missing:
        shown = ", ".join(f"{wid} (run {run})" for wid, run in missing[:MAX_LISTED])
        more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
        problems.append(
            f"workflows lost{at}: {len(missing)} of {len(before.workflows)} are no longer "
            f"listed: {shown}{more}"
        )
    changed = 0
    for key, old in before.workflows.items():
        new = after.workflows.get(key)
        if new is None or not old.closed:
            continue
        differences = history_differences(old.events, new.events)
        if differences:
            changed += 1
            if changed <= MAX_LISTED:
                problems += [f"workflow {old.workflow_id}{at}: {d}" for d in differences]
    if changed > MAX_LISTED:
        problems.append(f"... and {changed - MAX_LISTED} more closed workflows changed{at}")
    return problems


def ui_view_problems(before: ServedData, view: UiView, ui_release: str) -> list[str]:
    """The UI runs `ui_release`, lists every workflow served before, and shows each sampled
    closed one with the same events (id and type, in order) as before."""
    if view.error:
        return [f"the UI does not answer: {view.error}"]
    problems = []
    if view.version != ui_release:
        problems.append(f"the UI server reports version {view.version!r}, not {ui_release}")
    missing = [key for key in before.workflows if key not in view.listed]
    if missing:
        shown = ", ".join(wid for wid, _ in missing[:MAX_LISTED])
        problems.append(
            f"the UI does not list {len(missing)} of the {len(before.workflows)} workflows "
            f"that ran before: {shown}"
        )
    for key, shown_events in view.histories.items():
        expected = [
            (e.event_id, EventType.Name(e.event_type)) for e in before.workflows[key].events
        ]
        if shown_events != expected:
            problems.append(
                f"the UI shows workflow {key[0]} with {len(shown_events)} events "
                f"({_first_difference(expected, shown_events)}); before it had {len(expected)}"
            )
    if not view.histories and any(w.closed for w in before.workflows.values()):
        problems.append("the UI served no history of the workflows that had completed")
    return problems


def _first_difference(expected: list[tuple[int, str]], shown: list[tuple[int, str]]) -> str:
    for index, (want, got) in enumerate(zip(expected, shown, strict=False)):
        if want != got:
            return f"event {index + 1} is {got[1]}, was {want[1]}"
    return "the same events up to the shorter of the two"
