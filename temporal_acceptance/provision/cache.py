"""The binary cache: one folder per tool and version, filled once, guarded by a file lock."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def entry_dir(cache_dir: Path, tool: str, version: str) -> Path:
    return cache_dir / f"{tool}-{version}"


@contextmanager
def locked(cache_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock so two runs never build the same thing at once."""
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
    lock_path = cache_dir / f".{name}.lock"
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_manifest(directory: Path, data: dict[str, Any]) -> None:
    tmp = directory / "manifest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(directory / "manifest.json")


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
