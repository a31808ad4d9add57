"""Shared fixtures for unit tests: isolated settings, fake binaries, a held port."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest


def write_script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def fake_postgres_bin(tmp_path: Path) -> Path:
    """A bin dir whose `postgres --version` says 16.4; initdb/pg_ctl exist but do nothing."""
    bin_dir = tmp_path / "pgbin"
    write_script(bin_dir / "postgres", 'echo "postgres (PostgreSQL) 16.4"')
    write_script(bin_dir / "initdb", "exit 0")
    write_script(bin_dir / "pg_ctl", "exit 0")
    return bin_dir


@pytest.fixture
def isolated_env(tmp_path: Path, fake_postgres_bin: Path) -> dict[str, str]:
    """Environment for CLI runs that never builds, never touches real state or ports."""
    true = "/bin/true"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TACC_STATE_DIR": str(tmp_path / "state"),
        "TACC_CACHE_DIR": str(tmp_path / "cache"),
        "TACC_TEMPORAL_SERVER_BIN": true,
        "TACC_TEMPORAL_SQL_TOOL_BIN": true,
        "TACC_UI_SERVER_BIN": true,
        "TACC_POSTGRES_BIN_DIR": str(fake_postgres_bin),
        "TACC_POSTGRES_PORT": "59432",
        "TACC_TEMPORAL_PORT": "33033",  # membership ports (-300) must fit a SMALLINT
        "TACC_UI_PORT": "59080",
    }
    return env


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port on 127.0.0.1 held open (listening) for the duration of the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
