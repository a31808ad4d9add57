"""A real native stack for integration tests: its own state directory and ports, so it never
touches the stack behave uses. Binaries come from the shared cache (`make check` runs
`temporal-acceptance up` first, which builds them once)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from temporal_acceptance.settings import Settings
from temporal_acceptance.stack.native.stack import NativeStack

PORTS = {"postgres_port": "59532", "temporal_port": "19233", "ui_port": "19080"}


@pytest.fixture(scope="session")
def native_stack() -> Iterator[NativeStack]:
    # PostgreSQL runs as an unprivileged account when we are root: its data must be reachable,
    # so the state lives under /var/tmp with a searchable directory rather than pytest's 0700 tmp.
    state = Path(tempfile.mkdtemp(prefix="tacc-it-", dir="/var/tmp"))
    state.chmod(0o755)
    settings = Settings.load({**PORTS, "state_dir": str(state)}, env={})
    said: list[str] = []
    stack = NativeStack(settings, say=said.append)
    try:
        stack.up()
        yield stack
    finally:
        stack.down(purge=True)
        shutil.rmtree(state, ignore_errors=True)
