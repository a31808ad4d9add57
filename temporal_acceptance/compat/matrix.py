"""The Temporal × PostgreSQL compatibility matrix, as data.

One rule places every cell, so a reader can check any of them against its sources:

- supported: Temporal's own test pipeline covers this PostgreSQL major (Temporal docs,
  "Dependency versions"), or this suite observed the pair passing every matrix check;
- unsupported: the PostgreSQL major is end of life AND outside Temporal's tested set, or
  this suite observed the pair failing;
- untested: everything else (a maintained major newer than what Temporal tests, or a
  Temporal release line the matrix does not cover). It deploys, with a warning.

Corrections from conclusive observations go into CORRECTIONS (with the observation as
their source), never into the rule: the generated docs/COMPATIBILITY.md shows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from temporal_acceptance.core.versions import (
    DEFAULT_POSTGRES_MAJOR,
    DEFAULT_TEMPORAL_VERSION,
    SUPPORTED_POSTGRES_MAJORS,
    temporal_series,
)


class Support(StrEnum):
    SUPPORTED = "supported"
    UNTESTED = "untested"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Source:
    title: str
    url: str

    def cite(self) -> str:
        return f"{self.title} <{self.url}>"


TEMPORAL_DOCS = Source(
    "Temporal docs, Persistence, Dependency versions: Temporal's test pipelines use "
    "PostgreSQL 13.18, 14.15, 15.10 and 16.6; SQL visibility needs PostgreSQL 12 or later",
    "https://docs.temporal.io/temporal-service/persistence#dependency-versions",
)
POSTGRES_POLICY = Source(
    "PostgreSQL versioning policy: a major is supported for five years, then its final "
    "minor release ends it",
    "https://www.postgresql.org/support/versioning/",
)
UPSTREAM_CI = Source(
    "temporalio/temporal develop/github/docker-compose.yml at v1.29.1, v1.30.8 and v1.31.4: "
    "the server's CI database is postgres:13.5",
    "https://github.com/temporalio/temporal/blob/v1.31.4/develop/github/docker-compose.yml",
)


def observed_source(date: str) -> Source:
    return Source(f"observed by this suite on {date}", "docs/compatibility-observations.json")


# Release lines the matrix covers; each is deployable by the suite (built from the Go proxy).
TEMPORAL_SERIES = ("1.29", "1.30", "1.31", "1.32")
POSTGRES_MAJORS = tuple(SUPPORTED_POSTGRES_MAJORS)
# The majors Temporal's docs name as tested (13.18, 14.15, 15.10, 16.6).
UPSTREAM_TESTED = (13, 14, 15, 16)
# End-of-life dates from the PostgreSQL versioning policy (final minor release).
END_OF_LIFE = {
    12: "2024-11-21 (final release 12.22)",
    13: "2025-11-13 (final release 13.23)",
    14: "2026-11-12 (scheduled final release, five years after 14.0)",
}
# The oldest major whose features (stored generated columns) Temporal's visibility schema uses.
MINIMUM_POSTGRES = 12


@dataclass(frozen=True)
class Cell:
    temporal_series: str
    postgres_major: int
    support: Support
    reason: str
    sources: tuple[Source, ...]
    note: str = ""

    @property
    def pair(self) -> str:
        return f"Temporal {self.temporal_series} on PostgreSQL {self.postgres_major}"


def _by_rule(series: str, major: int) -> Cell:
    """The cell the rule in the module docstring gives, before any correction."""
    eol = END_OF_LIFE.get(major)
    if major < MINIMUM_POSTGRES:
        return Cell(
            series,
            major,
            Support.UNSUPPORTED,
            f"Temporal's visibility schema needs PostgreSQL {MINIMUM_POSTGRES} or later "
            "(stored generated columns)",
            (TEMPORAL_DOCS,),
        )
    if major in UPSTREAM_TESTED:
        note = f"PostgreSQL {major} is end of life since {eol}: plan an upgrade" if eol else ""
        return Cell(
            series,
            major,
            Support.SUPPORTED,
            f"Temporal's test pipelines cover PostgreSQL {major}",
            (TEMPORAL_DOCS, UPSTREAM_CI),
            note,
        )
    if eol:
        return Cell(
            series,
            major,
            Support.UNSUPPORTED,
            f"PostgreSQL {major} is end of life since {eol} and Temporal's test pipelines "
            f"do not cover it (they use {UPSTREAM_TESTED[0]}–{UPSTREAM_TESTED[-1]})",
            (POSTGRES_POLICY, TEMPORAL_DOCS),
        )
    return Cell(
        series,
        major,
        Support.UNTESTED,
        f"PostgreSQL {major} is newer than the majors Temporal's test pipelines use "
        f"({UPSTREAM_TESTED[0]}–{UPSTREAM_TESTED[-1]})",
        (TEMPORAL_DOCS,),
    )


def _observed_working(series: str, version: str, major: int, date: str) -> Cell:
    return Cell(
        series,
        major,
        Support.SUPPORTED,
        f"this suite deployed Temporal {version} on PostgreSQL {major}: schema, server, UI "
        "and the 5-stage test workflow all pass (Temporal's own pipelines do not test it)",
        (observed_source(date), TEMPORAL_DOCS),
        "supported on this suite's evidence: re-run `make matrix` after upgrading either side",
    )


# Cells changed by a conclusive observation of this suite (see docs/COMPATIBILITY.md).
# Keyed by (Temporal release line, PostgreSQL major); the source must be the observation.
# 2026-12-01, `make matrix` for each line's release (with the UI that goes with it): every
# check passed on PostgreSQL 12–18 for 1.29.2, 1.30.8, 1.31.2 and 1.32.2. Only the untested
# cells change: 12 stays unsupported (end of life, not a failure).
OBSERVED_RELEASES = (("1.29", "1.29.2"), ("1.30", "1.30.8"), ("1.31", "1.31.2"), ("1.32", "1.32.2"))
CORRECTIONS: dict[tuple[str, int], Cell] = {
    (series, major): _observed_working(series, version, major, "2026-12-01")
    for series, version in OBSERVED_RELEASES
    for major in (17, 18)
}


def _build() -> dict[tuple[str, int], Cell]:
    cells = {(s, m): _by_rule(s, m) for s in TEMPORAL_SERIES for m in POSTGRES_MAJORS}
    cells.update(CORRECTIONS)
    return cells


MATRIX: dict[tuple[str, int], Cell] = _build()


def lookup(temporal_version: str, postgres_major: int) -> Cell:
    """The cell for a Temporal release (X.Y.Z, strictly parsed) and a PostgreSQL major."""
    series = temporal_series(temporal_version)
    cell = MATRIX.get((series, postgres_major))
    if cell is not None:
        return cell
    by_rule = _by_rule(series, postgres_major)
    if by_rule.support is Support.UNSUPPORTED:
        return by_rule  # an end-of-life or too-old PostgreSQL is unsupported on any release
    if series not in TEMPORAL_SERIES:
        return Cell(
            series,
            postgres_major,
            Support.UNTESTED,
            f"Temporal {series} is not in the compatibility matrix "
            f"(it covers {', '.join(TEMPORAL_SERIES)})",
            by_rule.sources,
        )
    return Cell(
        series,
        postgres_major,
        Support.UNTESTED,
        f"PostgreSQL {postgres_major} is newer than any major the matrix covers "
        f"({POSTGRES_MAJORS[0]}–{POSTGRES_MAJORS[-1]})",
        by_rule.sources,
    )


def recommended_postgres(series: str) -> int:
    """The PostgreSQL major to suggest instead: the suite's default when supported for this
    line, else the newest supported one."""
    supported = [
        m
        for m in POSTGRES_MAJORS
        if MATRIX.get((series, m), _by_rule(series, m)).support is Support.SUPPORTED
    ]
    if DEFAULT_POSTGRES_MAJOR in supported or not supported:
        return DEFAULT_POSTGRES_MAJOR
    return max(supported)


def recommended_temporal() -> str:
    return DEFAULT_TEMPORAL_VERSION
