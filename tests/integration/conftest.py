"""A real native stack for integration tests: its own state directory and ports, so it never
touches the stack behave uses. Binaries come from the shared cache (`make check` runs
`temporal-acceptance up` first, which builds them once)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from temporal_acceptance.core.ports import port_is_free
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.native.stack import NativeStack
from temporal_acceptance.stack.native.temporal import TemporalPorts


def free_ports() -> dict[str, str]:
    """Ports for the test stack that are free right now: several people (or CI and a
    developer) may run these tests at once, so nothing is fixed."""
    for base in range(19233, 29233, 500):
        wanted = {
            "postgres_port": base + 40300,
            "temporal_port": base,
            "ui_port": base + 100,
        }
        derived = TemporalPorts(base).all().values()
        if all(port_is_free(p) for p in [*wanted.values(), *derived]):
            return {key: str(port) for key, port in wanted.items()}
    raise RuntimeError("no free port set for the integration stack between 19233 and 29233")


@pytest.fixture(scope="session")
def native_stack() -> Iterator[NativeStack]:
    # PostgreSQL runs as an unprivileged account when we are root: its data must be reachable,
    # so the state lives under /var/tmp with a searchable directory rather than pytest's 0700 tmp.
    state = Path(tempfile.mkdtemp(prefix="tacc-it-", dir="/var/tmp"))
    state.chmod(0o755)
    settings = Settings.load({**free_ports(), "state_dir": str(state)}, env={})
    said: list[str] = []
    stack = NativeStack(settings, say=said.append)
    try:
        stack.up()
        yield stack
    finally:
        stack.down(purge=True)
        shutil.rmtree(state, ignore_errors=True)
