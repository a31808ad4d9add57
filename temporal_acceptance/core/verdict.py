"""The suite's one way to fail.

A check returns its problems: a list of sentences, each saying what was expected, what was
seen and where to look. A step hands them to `expect`, which attaches the evidence to the
report (pass or fail: the sprint review sees what was compared) and fails with the
sentences. No check raises to say "this is wrong"; no step asserts on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from temporal_acceptance.core.evidence import attach_json, attach_png, attach_text


@runtime_checkable
class Renderable(Protocol):
    """Evidence that knows how to show itself as text (a query log, a history, ...)."""

    def render(self) -> str: ...


class GateFailed(AssertionError):
    """A gate's problems: behave reports an AssertionError as a failed step (not an error)."""

    def __init__(self, about: str, problems: Sequence[str]) -> None:
        self.about = about
        self.problems = list(problems)
        super().__init__(failure_message(about, problems))


def failure_message(about: str, problems: Sequence[str]) -> str:
    if len(problems) == 1:
        return f"{about}: {problems[0]}"
    return f"{about}:\n" + "\n".join(f"- {problem}" for problem in problems)


def attach_evidence(name: str, data: object) -> None:
    """Attach one piece of evidence by its kind: text, an image, something with a render()
    method, or JSON for anything else (dataclasses and dates through their str())."""
    if isinstance(data, bytes):
        attach_png(name, data)
    elif isinstance(data, str):
        attach_text(name, data)
    elif isinstance(data, Renderable):
        attach_text(name, data.render())
    else:
        attach_json(name, json.loads(json.dumps(data, default=str)))


def expect(
    about: str, problems: Sequence[str], evidence: Mapping[str, object] | None = None
) -> None:
    """Attach the evidence, then fail with the problems if there are any.

    `about` names what was judged ("the history of test-workflow-1f2e"); the failure reads
    "<about>: <problem>" (or a list), so a report reader sees the sentences, not a traceback.
    """
    for name, data in (evidence or {}).items():
        attach_evidence(name, data)
    if problems:
        raise GateFailed(about, problems)
