"""Judgments at the deployment's limits: custom search attributes of every type work in a
namespace of their own and the SQL store's per-type limit is enforced with Temporal's own
error; payloads up to the size limit are carried and larger ones refused cleanly."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from temporal_acceptance.workload.limits import PayloadOutcome, SearchAttributeSpace

_KIND = re.compile(r"^([A-Za-z]+?)\d{2}$")
# What Temporal says when a payload is over limit.blobSize.error (frontend).
BLOB_REFUSAL = "Blob data size exceeds limit"


def slots_per_type(columns: Iterable[str]) -> dict[str, int]:
    """Bool01..Bool03, Keyword01..Keyword10, ... → {'Bool': 3, 'Keyword': 10, ...}."""
    counts: Counter[str] = Counter()
    for column in columns:
        match = _KIND.match(column)
        if match:
            counts[match[1]] += 1
    return dict(sorted(counts.items()))


def created_problems(space: SearchAttributeSpace, kinds: Sequence[str], refusal: str) -> list[str]:
    if refusal:
        what = ", ".join(kinds)
        return [f"creating {what} search attributes in {space.namespace} was refused: {refusal}"]
    missing = [kind for kind in kinds if kind not in space.created.values()]
    return [f"not created: {', '.join(missing)}"] if missing else []


def found_problems(space: SearchAttributeSpace) -> list[str]:
    if space.workflow_id in space.found:
        return []
    return [
        f"a list query filtering on every attribute did not find {space.workflow_id} "
        f"(it found {space.found or 'nothing'}): advanced visibility does not index them"
    ]


def limit_problems(kind: str, slots: int, fitting: str, extra: str) -> list[str]:
    """All `slots` attributes of `kind` are accepted; one more gets Temporal's own error."""
    if slots == 0:
        return [f"the visibility store's number of {kind} attributes is unknown (no schema files)"]
    problems = []
    if fitting:
        problems.append(f"{slots} {kind} attributes (the store's limit) were refused: {fitting}")
    wanted = f"cannot have more than {slots} search attribute of type {kind}"
    if not extra:
        problems.append(f"attribute {slots + 1} of type {kind} was accepted: no limit enforced")
    elif wanted not in extra:
        problems.append(
            f"attribute {slots + 1} of type {kind} was refused without saying {wanted!r}: {extra}"
        )
    return problems


def payload_under_problems(outcome: PayloadOutcome, limit: int) -> list[str]:
    if outcome.result == outcome.size:
        return []
    seen = outcome.refusal or f"returned {outcome.result}"
    return [
        f"a workflow input of {outcome.size} bytes, just under the configured limit of {limit} "
        f"bytes, did not complete: {seen}"
    ]


def payload_over_problems(outcome: PayloadOutcome, limit: int) -> list[str]:
    if outcome.result is not None:
        return [
            f"a workflow input of {outcome.size} bytes, over the limit of {limit}, was accepted"
        ]
    if BLOB_REFUSAL not in outcome.refusal or not outcome.refusal.startswith("refused at start"):
        return [
            f"a workflow input of {outcome.size} bytes over the limit was not refused cleanly at "
            f"its start (expected Temporal's {BLOB_REFUSAL!r}): {outcome.refusal}"
        ]
    return []
