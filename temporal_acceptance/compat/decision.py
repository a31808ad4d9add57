"""What the deploy command does with a version pair, and the words the user sees.

supported → proceed (one info line); untested → proceed with a warning; unsupported →
refuse (UserError: one line, exit 2, nothing started) unless forced, in which case proceed
with a warning that is also recorded with the deployment for the run's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from temporal_acceptance.compat.matrix import (
    TEMPORAL_SERIES,
    Cell,
    Support,
    lookup,
    recommended_postgres,
    recommended_temporal,
)
from temporal_acceptance.core.errors import UserError

FORCE_FLAG = "--force-version"
MATRIX_DOC = "docs/COMPATIBILITY.md"


class Outcome(StrEnum):
    SUPPORTED = "supported"  # proceeds quietly
    UNTESTED = "untested"  # proceeds with a warning
    FORCED = "forced"  # unsupported, proceeds because forced, warning recorded
    REFUSED = "refused"  # unsupported, nothing is started


@dataclass(frozen=True)
class Decision:
    temporal_version: str
    postgres_major: int
    cell: Cell
    forced: bool = False

    @property
    def outcome(self) -> Outcome:
        if self.cell.support is Support.SUPPORTED:
            return Outcome.SUPPORTED
        if self.cell.support is Support.UNTESTED:
            return Outcome.UNTESTED
        return Outcome.FORCED if self.forced else Outcome.REFUSED

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.REFUSED

    @property
    def pair(self) -> str:
        return f"Temporal {self.temporal_version} on PostgreSQL {self.postgres_major}"

    def advice(self) -> str:
        """What to use instead, as an imperative the user can follow."""
        series = self.cell.temporal_series
        if series not in TEMPORAL_SERIES:
            temporal = recommended_temporal()
            postgres = recommended_postgres(temporal.rsplit(".", 1)[0])
            return f"use Temporal {temporal} with PostgreSQL {postgres}"
        return f"use PostgreSQL {recommended_postgres(series)} (supported with Temporal {series})"

    def message(self) -> str:
        """The line the deploy command prints before it starts anything."""
        cell = self.cell
        if self.outcome is Outcome.SUPPORTED:
            note = f"; note: {cell.note}" if cell.note else ""
            return f"compatibility: {self.pair} is supported — {cell.reason}{note}"
        if self.outcome is Outcome.UNTESTED:
            return (
                f"warning: {self.pair} is untested — {cell.reason}; deploying anyway. "
                f"For a tested pair {self.advice()} (see {MATRIX_DOC})"
            )
        if self.outcome is Outcome.FORCED:
            return (
                f"warning: {self.pair} is unsupported — {cell.reason}; deploying anyway "
                f"because {FORCE_FLAG} was given, and recording this warning with the "
                f"deployment. For a supported deployment {self.advice()}"
            )
        return self.refusal().line()

    @property
    def warning(self) -> str | None:
        """The warning to record with the deployment (None when there is nothing to warn)."""
        return self.message() if self.outcome in (Outcome.UNTESTED, Outcome.FORCED) else None

    def refusal(self) -> UserError:
        return UserError(
            f"{self.pair} is unsupported — {self.cell.reason}",
            f"{self.advice()}, or add {FORCE_FLAG} to deploy it anyway (see {MATRIX_DOC})",
        )

    def as_record(self) -> dict[str, Any]:
        """For stack.json and the report: plain, JSON-ready, no secrets."""
        return {
            "temporal_version": self.temporal_version,
            "postgres_major": self.postgres_major,
            "support": str(self.cell.support),
            "outcome": str(self.outcome),
            "forced": self.forced,
            "reason": self.cell.reason,
            "sources": [source.cite() for source in self.cell.sources],
            "message": self.message(),
            "warning": self.warning,
        }


def decide(temporal_version: str, postgres_major: int, force: bool = False) -> Decision:
    """The decision for a pair; raises UserError for a malformed Temporal version."""
    return Decision(
        temporal_version, postgres_major, lookup(temporal_version, postgres_major), force
    )
