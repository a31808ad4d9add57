"""Search what a run wrote for the deployment's secrets, in clear text and base64-encoded,
naming the file (or container log) and line — never the secret.

The single-file HTML report embeds every result and attachment as base64, so a plain
search would pass a report that carries a password: each secret is looked for at each of
the three byte alignments base64 can put it in.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.secrets import Secret


def needles(secret: Secret) -> list[bytes]:
    """The secret's bytes, and the base64 characters that encode only the secret's bits at
    each alignment (standard and URL-safe alphabets)."""
    raw = secret.reveal().encode("utf-8")
    found = [raw]
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw)
        first = math.ceil(offset * 8 / 6)
        last = ((offset + len(raw)) * 8) // 6
        core = encoded[first:last]
        found += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return list(dict.fromkeys(n for n in found if len(n) >= 8))


@dataclass(frozen=True)
class Leak:
    where: str  # a file, or a container's log
    line_number: int
    secret: str  # what the secret is ("Temporal's PostgreSQL password"), never its value
    encoding: str  # "clear text" or "base64"

    def line(self) -> str:
        return f"{self.secret} appears in {self.where} line {self.line_number} ({self.encoding})"


def find_leaks(
    where: str, data: bytes, secrets: Mapping[str, Secret], first_line: int = 1
) -> list[Leak]:
    """Every line of `data` holding one of the secrets (once per line and secret)."""
    found: dict[tuple[int, str], Leak] = {}
    for label, secret in secrets.items():
        for index, needle in enumerate(needles(secret)):
            position = data.find(needle)
            while position >= 0:
                line = first_line + data.count(b"\n", 0, position)
                encoding = "clear text" if index == 0 else "base64"
                found.setdefault((line, label), Leak(where, line, label, encoding))
                position = data.find(needle, position + 1)
    return sorted(found.values(), key=lambda leak: (leak.line_number, leak.secret))


def files_under(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (path for path in sorted(root.rglob("*")) if path.is_file())


def read_from(path: Path, offset: int = 0) -> tuple[bytes, int]:
    """What the file holds from byte `offset` on (all of it when it shrank since: rotated or
    truncated), and the line number that part starts at."""
    data = path.read_bytes()
    if offset > len(data):
        offset = 0
    return data[offset:], 1 + data.count(b"\n", 0, offset)


def scan_files(
    paths: Iterable[Path], secrets: Mapping[str, Secret], offsets: Mapping[Path, int] | None = None
) -> tuple[list[Leak], int]:
    """Leaks in each file (from its offset, when given) and how many files were read."""
    leaks: list[Leak] = []
    count = 0
    for path in paths:
        try:
            data, first_line = read_from(path, (offsets or {}).get(path, 0))
        except OSError:
            continue
        count += 1
        leaks += find_leaks(str(path), data, secrets, first_line)
    return leaks, count


def scan(roots: Iterable[Path], secrets: Mapping[str, Secret] | Secret) -> tuple[list[Leak], int]:
    """Every leak in the files under the roots; and how many files were read."""
    named = {"the secret": secrets} if isinstance(secrets, Secret) else dict(secrets)
    return scan_files(files_under(roots), named)
