"""The slow tiers run only when the tags name them.

pyproject.toml's `default_tags` keeps the tiers that bring up stacks of their own or load the
deployment for minutes (@matrix, @upgrade, @load) out of a plain run. behave drops
`default_tags` as soon as `--tags` is given, so `--tags=@P0` would run the matrix's and the
upgrades' P0s too (other stacks, minutes). Here a tier is left out of any selection whose
tags do not name it: `--tags=@P0` is the default set's blockers; `--tags=@upgrade`,
`--tags="@P0 and @matrix"` or `--tags="{config.tags} or @load"` ask for a tier by name.
(@multirole needs a multirole deployment and skips itself elsewhere, saying why.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

SLOW_TIERS = ("matrix", "upgrade", "load")


class TagSelection(Protocol):
    def check(self, tags: Iterable[str]) -> bool: ...


def _text(tags: str | Sequence[str] | None) -> str:
    return tags if isinstance(tags, str) else " ".join(tags or ())


def left_out(tags: str | Sequence[str] | None) -> tuple[str, ...]:
    """The slow tiers the tag options do not name (`@name` or `name`, in any expression)."""
    text = _text(tags)
    return tuple(
        tier for tier in SLOW_TIERS if not re.search(rf"(?<![\w@-])@?{tier}(?![\w-])", text)
    )


class WithoutTiers:
    """behave's tag selection, less the scenarios of tiers it did not name."""

    def __init__(self, selection: TagSelection, tiers: tuple[str, ...]) -> None:
        self.selection, self.tiers = selection, tiers

    def check(self, tags: Iterable[str]) -> bool:
        tags = list(tags)
        return not any(tier in tags for tier in self.tiers) and self.selection.check(tags)

    def __str__(self) -> str:
        return f"{self.selection} (slow tiers not named, left out: {self.note()})"

    def note(self) -> str:
        return ", ".join(f"@{tier}" for tier in self.tiers)


def narrowed(tags: str | Sequence[str] | None, selection: Any) -> Any:
    """The selection a run uses: behave's own when it names every slow tier (as the
    default tags do), else one that leaves the unnamed tiers out."""
    tiers = left_out(tags)
    return WithoutTiers(selection, tiers) if tiers else selection
