"""Judging a batch of workflows: all completed, each exactly once wherever it is listed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from temporal_acceptance.workload.events import STATUS_COMPLETED, STATUS_NAMES
from temporal_acceptance.workload.shared import CHILD_WORKFLOW_NAME, WORKFLOW_NAME


def not_running(found: dict[str, str]) -> list[str]:
    return [f"{wid}: {status}" for wid, status in found.items() if status != "RUNNING"]


def outcome_problems(outcomes: dict[str, str]) -> list[str]:
    bad = {wid: outcome for wid, outcome in outcomes.items() if outcome != "completed"}
    if not bad:
        return []
    shown = "; ".join(f"{wid}: {outcome}" for wid, outcome in sorted(bad.items())[:10])
    return [f"{len(bad)} of {len(outcomes)} workflows did not complete: {shown}"]


def exactly_once_problems(where: str, expected: Iterable[str], seen: Sequence[str]) -> list[str]:
    """Every expected id is seen exactly once, and nothing else is."""
    wanted = set(expected)
    counts = Counter(seen)
    problems = []
    if lost := sorted(wanted - set(counts)):
        problems.append(f"{where}: {len(lost)} workflows lost: {', '.join(lost[:10])}")
    if twice := sorted(wid for wid, n in counts.items() if n > 1):
        problems.append(
            f"{where}: {len(twice)} workflows duplicated: "
            + ", ".join(f"{wid} ×{counts[wid]}" for wid in twice[:10])
        )
    if strangers := sorted(set(counts) - wanted):
        problems.append(
            f"{where}: {len(strangers)} unexpected workflows: {', '.join(strangers[:10])}"
        )
    return problems


def api_problems(
    listed: Sequence[tuple[str, str]], expected: Sequence[str], what: str
) -> list[str]:
    problems = exactly_once_problems(f"Temporal's list of {what}", expected, [i for i, _ in listed])
    unfinished = [f"{wid} {status}" for wid, status in listed if status != "COMPLETED"]
    if unfinished:
        problems.append(
            f"Temporal lists {len(unfinished)} {what} runs not completed: "
            + ", ".join(unfinished[:10])
        )
    return problems


def visibility_problems(rows: Sequence[tuple[Any, ...]], expected: Sequence[str]) -> list[str]:
    """Each parent and each child once in the visibility table, every one completed."""
    parents = [str(r[0]) for r in rows if r[2] == WORKFLOW_NAME]
    children = [str(r[0]) for r in rows if r[2] == CHILD_WORKFLOW_NAME]
    problems = exactly_once_problems("visibility table (TestWorkflow)", expected, parents)
    problems += exactly_once_problems(
        "visibility table (ChildTestWorkflow)", [f"{wid}-child" for wid in expected], children
    )
    unfinished = [
        f"{r[0]} {STATUS_NAMES.get(int(r[1]), r[1])}" for r in rows if int(r[1]) != STATUS_COMPLETED
    ]
    if unfinished:
        problems.append(
            f"visibility table: {len(unfinished)} runs not completed: {', '.join(unfinished[:10])}"
        )
    return problems


def app_row_problems(app_ids: Sequence[str], expected: Sequence[str]) -> list[str]:
    """The database activity wrote exactly one row per workflow (a duplicated execution
    would have written a second)."""
    return exactly_once_problems("application table", expected, app_ids)
