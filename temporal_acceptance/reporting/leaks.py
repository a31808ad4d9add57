"""Search what the suite wrote for a secret, in clear text and base64-encoded.

The single-file HTML report embeds every result and attachment as base64, so a plain
search would pass a report that carries the password: the secret is looked for at each of
the three byte alignments base64 can put it in.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
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
    path: Path
    encoding: str  # "clear text" or "base64"

    def line(self) -> str:
        return f"{self.path}: the secret appears ({self.encoding})"


def _files(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (path for path in sorted(root.rglob("*")) if path.is_file())


def scan(roots: Iterable[Path], secret: Secret) -> tuple[list[Leak], int]:
    """Every file under the roots that holds the secret; and how many files were read."""
    patterns = needles(secret)
    leaks = []
    count = 0
    for path in _files(roots):
        count += 1
        data = path.read_bytes()
        for index, needle in enumerate(patterns):
            if needle in data:
                leaks.append(Leak(path, "clear text" if index == 0 else "base64"))
                break
    return leaks, count
