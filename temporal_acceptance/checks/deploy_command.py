"""Judging what the deploy command told a user: its exit status, warning or error lines,
the advice, and the decision it recorded with a deployment."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from temporal_acceptance.compat.decision import Decision
from temporal_acceptance.probes.deploy_command import CommandResult

# An instruction in a message: "use PostgreSQL 16 …", "use Temporal 1.30.8 …", "give …".
_ADVICE = re.compile(r"\b(use (PostgreSQL|Temporal)|give) ")


# The outcomes a scenario can expect: (exit status, a warning line, an error line).
OUTCOMES = {
    "proceeds quietly": (0, False, False),
    "proceeds with a warning": (0, True, False),
    "refuses with exit status 2": (2, False, True),
}


def outcome_problems(result: CommandResult, outcome: str) -> list[str]:
    """What contradicts the expected outcome (empty when the command behaved so)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    status, warns, refuses = OUTCOMES[outcome]
    problems = []
    if result.exit_status != status:
        problems.append(f"exit status {result.exit_status}, expected {status}")
    if bool(result.lines("warning:")) != warns:
        problems.append("a warning was printed" if not warns else "no warning was printed")
    errors = result.lines("error:")
    if refuses and len(errors) != 1:
        problems.append(f"expected one 'error:' line, got {len(errors)}")
    if not refuses and errors:
        problems.append(f"unexpected error: {errors[0]}")
    if "Traceback" in result.output:
        problems.append("a traceback was printed")
    return [*problems, f"output was:\n{result.output}"] if problems else []


def advice_problems(result: CommandResult, advice: str) -> list[str]:
    """The advice is in the output; 'none' means the user is given nothing to do."""
    if advice == "none":
        found = _ADVICE.search(result.output)
        return [f"unexpected advice {found[0]!r} in:\n{result.output}"] if found else []
    if advice not in result.output:
        return [f"the advice {advice!r} is missing from:\n{result.output}"]
    return []


def message_problems(result: CommandResult, message: str) -> list[str]:
    if message in result.output:
        return []
    return [f"the user was not told {message!r}; they saw:\n{result.output}"]


def leftover_problems(found: Sequence[str]) -> list[str]:
    return [f"a refused deployment left things behind: {', '.join(found)}"] if found else []


def recorded_decision_problems(
    record: Mapping[str, Any] | None, expected: Decision, where: str
) -> list[str]:
    """The decision recorded with the deployment is the one its live versions call for."""
    if record is None:
        return [f"no compatibility decision is recorded in {where}"]
    wanted = expected.as_record()
    return [
        f"recorded {key} {record.get(key)!r}, expected {wanted[key]!r}"
        for key in ("outcome", "warning", "temporal_version", "postgres_major")
        if record.get(key) != wanted[key]
    ]
