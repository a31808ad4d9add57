"""What the @matrix run saw, kept as data (a committed JSON file) beside the matrix.

One observation per (Temporal version, PostgreSQL major): the newest replaces the older.
Writers take a file lock, so parallel matrix stacks can record at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from temporal_acceptance.core.versions import temporal_series

DEFAULT_PATH = Path("docs/compatibility-observations.json")


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"


class Verdict(StrEnum):
    WORKS = "works"  # every check ran and passed
    FAILS = "fails"  # at least one check failed
    INCOMPLETE = "incomplete"  # nothing failed, but some check did not run


@dataclass(frozen=True)
class Check:
    name: str
    outcome: CheckOutcome
    detail: str = ""


@dataclass(frozen=True)
class Observation:
    temporal_version: str
    postgres_major: int
    postgres_version: str  # what the live server reported, or '' if it never answered
    postgres_build: str  # where the binaries came from (npm build, Debian package)
    observed_on: str  # YYYY-MM-DD
    checks: tuple[Check, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    suite: str = ""  # which code made the observation (git revision, or a note)
    ui_version: str = ""  # the UI server the stack ran ('' in observations before 2026-12)

    @property
    def temporal_series(self) -> str:
        return temporal_series(self.temporal_version)

    @property
    def key(self) -> tuple[str, int]:
        return (self.temporal_version, self.postgres_major)

    @property
    def verdict(self) -> Verdict:
        outcomes = {check.outcome for check in self.checks}
        if CheckOutcome.FAILED in outcomes:
            return Verdict.FAILS
        if CheckOutcome.NOT_RUN in outcomes or not self.checks:
            return Verdict.INCOMPLETE
        return Verdict.WORKS

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if c.outcome is CheckOutcome.FAILED]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [{**asdict(c), "outcome": str(c.outcome)} for c in self.checks]
        data["verdict"] = str(self.verdict)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        try:
            checks = tuple(
                Check(c["name"], CheckOutcome(c["outcome"]), c.get("detail", ""))
                for c in data["checks"]
            )
            return cls(
                str(data["temporal_version"]),
                int(data["postgres_major"]),
                str(data["postgres_version"]),
                str(data["postgres_build"]),
                str(data["observed_on"]),
                checks,
                {k: float(v) for k, v in data.get("seconds", {}).items()},
                str(data.get("suite", "")),
                str(data.get("ui_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed observation {data!r}: {exc}") from exc


def load(path: Path = DEFAULT_PATH) -> list[Observation]:
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    return sorted(
        (Observation.from_json(item) for item in data.get("observations", [])),
        key=lambda o: (o.temporal_version, o.postgres_major),
    )


def dump(observations: Sequence[Observation]) -> str:
    ordered = sorted(observations, key=lambda o: (o.temporal_version, o.postgres_major))
    return json.dumps({"observations": [o.to_json() for o in ordered]}, indent=2) + "\n"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # The lock lives outside the repository so it never shows up as an untracked file.
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"tacc-observations-{digest}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(observation: Observation, path: Path = DEFAULT_PATH) -> None:
    """Add or replace the observation for its (Temporal version, PostgreSQL major)."""
    with _locked(path):
        kept = [o for o in load(path) if o.key != observation.key]
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(dump([*kept, observation]))
        tmp.replace(path)
