"""docs/COMPATIBILITY.md, generated: the matrix as the data says it, beside what the suite
observed, with every disagreement between the two flagged.

The output depends only on the data and the observations file (no clock), so a stale
document is detectable: `temporal-acceptance compat report --check`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from temporal_acceptance.compat.matrix import (
    CORRECTIONS,
    END_OF_LIFE,
    MATRIX,
    POSTGRES_MAJORS,
    TEMPORAL_SERIES,
    Cell,
    Support,
    lookup,
    recommended_postgres,
    recommended_temporal,
)
from temporal_acceptance.compat.notes import DEPLOYMENT_NOTES
from temporal_acceptance.compat.observations import CheckOutcome, Observation, Verdict
from temporal_acceptance.core.versions import RELEASE_LINES

DATA_FILE = "temporal_acceptance/compat/matrix.py"
OBSERVATIONS_FILE = "docs/compatibility-observations.json"
MARK = {Support.SUPPORTED: "✅ supported", Support.UNTESTED: "⚠️ untested"}
MARK_UNSUPPORTED = "⛔ unsupported"


class Kind(StrEnum):
    FAILS_BUT_ALLOWED = "observed failing, data allows it"
    WORKS_BUT_UNSUPPORTED = "observed working, data refuses it"
    WORKS_BUT_UNTESTED = "observed working, data calls it untested"


@dataclass(frozen=True)
class Discrepancy:
    cell: Cell
    observation: Observation
    kind: Kind
    resolution: str  # '' while the data still has to be corrected

    @property
    def resolved(self) -> bool:
        return bool(self.resolution)

    def line(self) -> str:
        o = self.observation
        status = f"resolved: {self.resolution}" if self.resolved else "**to correct**"
        failed = "; ".join(f"{c.name}: {c.detail}" for c in o.failed_checks())
        seen = f" ({failed})" if failed else ""
        return (
            f"- Temporal {o.temporal_version} on PostgreSQL {o.postgres_major} — {self.kind}: "
            f"the data says {self.cell.support} ({self.cell.reason}); observed "
            f"{o.verdict}{seen} on {o.observed_on}. {status}"
        )


def discrepancies(observations: Sequence[Observation]) -> list[Discrepancy]:
    found = []
    for obs in observations:
        cell = lookup(obs.temporal_version, obs.postgres_major)
        if obs.verdict is Verdict.FAILS and cell.support is not Support.UNSUPPORTED:
            found.append(Discrepancy(cell, obs, Kind.FAILS_BUT_ALLOWED, ""))
        elif obs.verdict is Verdict.WORKS and cell.support is Support.UNSUPPORTED:
            policy = obs.postgres_major in END_OF_LIFE and "end of life" in cell.reason
            resolution = (
                "kept unsupported: the reason is end of life, not a failure" if policy else ""
            )
            found.append(Discrepancy(cell, obs, Kind.WORKS_BUT_UNSUPPORTED, resolution))
        elif obs.verdict is Verdict.WORKS and cell.support is Support.UNTESTED:
            found.append(Discrepancy(cell, obs, Kind.WORKS_BUT_UNTESTED, ""))
    return found


def _mark(cell: Cell) -> str:
    return MARK.get(cell.support, MARK_UNSUPPORTED)


def _observed(series: str, major: int, observations: Sequence[Observation]) -> str:
    seen = [o for o in observations if o.temporal_series == series and o.postgres_major == major]
    return "<br>".join(f"observed {o.temporal_version}: {o.verdict}" for o in seen) or "—"


def _matrix_table(observations: Sequence[Observation]) -> list[str]:
    header = "| PostgreSQL | " + " | ".join(f"Temporal {s}" for s in TEMPORAL_SERIES) + " |"
    lines = [header, "|---" * (len(TEMPORAL_SERIES) + 1) + "|"]
    for major in POSTGRES_MAJORS:
        cells = []
        for series in TEMPORAL_SERIES:
            cell = MATRIX[(series, major)]
            corrected = " (corrected)" if (series, major) in CORRECTIONS else ""
            cells.append(f"{_mark(cell)}{corrected}<br>{_observed(series, major, observations)}")
        lines.append(f"| {major} | " + " | ".join(cells) + " |")
    return lines


def _checks(obs: Observation) -> str:
    passed = sum(c.outcome is CheckOutcome.PASSED for c in obs.checks)
    return f"{passed}/{len(obs.checks)} passed"


def _observation_table(observations: Sequence[Observation]) -> list[str]:
    if not observations:
        return ["No observations yet: run `make matrix`."]
    lines = [
        "| Temporal | PostgreSQL (live) | binaries | observed on | verdict | checks | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in observations:
        seconds = ", ".join(f"{k} {v:.1f}" for k, v in o.seconds.items()) or "—"
        ui = f" (UI {o.ui_version})" if o.ui_version else ""
        lines.append(
            f"| {o.temporal_version}{ui} | {o.postgres_version or o.postgres_major} | "
            f"{o.postgres_build} | {o.observed_on} | {o.verdict} | {_checks(o)} | {seconds} |"
        )
    names = list(dict.fromkeys(c.name for o in observations for c in o.checks))
    suites = sorted({o.suite for o in observations if o.suite})
    lines += [
        "",
        "The checks, in order (a PostgreSQL major in a check's name is the cell's own):",
        "",
    ]
    lines += [f"{i}. {name}" for i, name in enumerate(_generic(names), start=1)]
    if suites:
        lines += ["", f"Suite that observed: {'; '.join(suites)}."]
    details = [
        f"- Temporal {o.temporal_version} on PostgreSQL {o.postgres_major}, {c.name} "
        f"({c.outcome}): {c.detail}"
        for o in observations
        for c in o.checks
        if c.outcome is not CheckOutcome.PASSED and c.detail
    ]
    if details:
        lines += ["", "What did not pass, and why:", "", *details]
    return lines


def _generic(names: Sequence[str]) -> list[str]:
    """Check names with the major replaced, each once ('… reports major version N')."""
    return list(dict.fromkeys(re.sub(r"major version \d+", "major version N", n) for n in names))


def _unobserved(observations: Sequence[Observation]) -> list[str]:
    seen = {o.temporal_series for o in observations}
    missing = [s for s in TEMPORAL_SERIES if s not in seen]
    if not missing:
        return []
    return [
        "",
        f"Not observed yet: Temporal {', '.join(missing)} (its cells rest on the sources "
        "alone). Observe a line with `make matrix MATRIX_ARGS='-D temporal_version=X.Y.Z'`.",
    ]


def _reasons() -> list[str]:
    lines = []
    for major in POSTGRES_MAJORS:
        groups: dict[tuple[Support, str, str], list[str]] = {}
        for series in TEMPORAL_SERIES:
            cell = MATRIX[(series, major)]
            sources = "; ".join(s.cite() for s in cell.sources)
            groups.setdefault((cell.support, cell.reason, sources), []).append(series)
        for (support, reason, sources), series_list in groups.items():
            cell = MATRIX[(series_list[0], major)]
            note = f" Note: {cell.note}." if cell.note else ""
            lines.append(
                f"- **PostgreSQL {major}**, Temporal {', '.join(series_list)} — {support}: "
                f"{reason}.{note} Sources: {sources}."
            )
    return lines


def _releases() -> list[str]:
    """The release of each line the suite deploys and upgrades through, with its UI."""
    rows = ["| line | release | UI server | why this release |", "|---|---|---|---|"]
    rows += [f"| {r.series} | {r.temporal} | {r.ui} | {r.why} |" for r in RELEASE_LINES]
    return rows


def default_evidence(observations: Sequence[Observation], temporal: str) -> str:
    """What the matrix proves of the default release, in one clause."""
    works = sorted(
        o.postgres_major
        for o in observations
        if o.temporal_version == temporal and o.verdict is Verdict.WORKS
    )
    if works == list(POSTGRES_MAJORS):
        return (
            f"the newest release line, and the matrix observed it pass every check on each "
            f"PostgreSQL major {POSTGRES_MAJORS[0]}–{POSTGRES_MAJORS[-1]}"
        )
    seen = ", ".join(map(str, works)) or "none"
    return f"observed passing every check on PostgreSQL {seen} only: re-run `make matrix`"


def _recommendations(observations: Sequence[Observation]) -> list[str]:
    temporal = recommended_temporal()
    series = temporal.rsplit(".", 1)[0]
    postgres = recommended_postgres(series)
    eol = sorted(END_OF_LIFE)
    eol_text = ", ".join(str(m) for m in eol[:-1]) + f" and {eol[-1]}"
    return [
        f"- Deploy Temporal {temporal} on PostgreSQL {postgres} (the suite's defaults): "
        f"{default_evidence(observations, temporal)}; PostgreSQL {postgres} is also among the "
        "majors Temporal's own pipelines test, and maintained.",
        "- Upgrade one minor release line at a time, both schemas before the new server "
        "starts: `temporal-acceptance upgrade --to X.Y.Z` backs up both databases, updates "
        "the schemas, swaps the release, verifies it and rolls back on failure "
        "(docs/UPGRADES.md). The deploy command refuses a skipped line or a downgrade.",
        f"- PostgreSQL {eol_text} are end of life by the PostgreSQL versioning policy: plan "
        "upgrades away from them, even where Temporal's pipelines still test them.",
        "- An untested pair deploys with a warning; record the @matrix run for it before "
        "relying on it in production.",
        "- `--force-version` deploys an unsupported pair; the warning stays in the "
        "deployment's record (stack.json) and in the run's report.",
    ]


def render(observations: Sequence[Observation]) -> str:
    found = discrepancies(observations)
    lines = [
        "# Compatibility: Temporal server × PostgreSQL",
        "",
        "<!-- Generated by `temporal-acceptance compat report`; do not edit by hand. -->",
        "",
        f"The matrix comes from `{DATA_FILE}`; the observations from `{OBSERVATIONS_FILE}`, "
        "written by the @matrix run (`make matrix`).",
        "",
        "- **supported**: Temporal's own test pipelines cover the PostgreSQL major, or this "
        "suite observed every matrix check pass. Deploys quietly.",
        "- **untested**: a maintained PostgreSQL major outside Temporal's tested set, or a "
        "Temporal release line the matrix does not cover. Deploys with a warning.",
        "- **unsupported**: end of life and outside Temporal's tested set, or observed "
        "failing. The deploy command refuses it (exit 2) unless `--force-version` is given.",
        "",
        "## Matrix",
        "",
        *_matrix_table(observations),
        "",
        "## Discrepancies between the data and the observations",
        "",
        *([d.line() for d in found] or ["None."]),
        "",
        "## Observations",
        "",
        *_observation_table(observations),
        *_unobserved(observations),
        "",
        "## Reasons and sources",
        "",
        *_reasons(),
        "",
        "## Deployment notes",
        "",
        *[f"- {note.text} Source: {note.source}." for note in DEPLOYMENT_NOTES],
        "",
        "## Releases the suite deploys",
        "",
        *_releases(),
        "",
        "## Recommendations",
        "",
        *_recommendations(observations),
        "",
    ]
    return "\n".join(lines)
