"""The log gates: write a marker through each service, read every log of the window once
each has a line (bounded), then judge (checks/logscan.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from temporalio.client import Client

from temporal_acceptance.checks.logscan import (
    ALLOWLIST,
    AllowedError,
    Disturbance,
    ScanResult,
    scan,
)
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.probes.logs import LogReader, mark_logs, read_with_lines, stack_readers
from temporal_acceptance.stack.base import Service, Stack


async def scan_logs(
    stack: Stack,
    client: Client,
    endpoints: Endpoints,
    services: Sequence[Service],
    since: datetime,
    extra: Mapping[str, LogReader] | None = None,
    allowlist: Sequence[AllowedError] = ALLOWLIST,
    disturbances: Sequence[Disturbance] = (),
) -> tuple[ScanResult, dict[str, str]]:
    """The scan of `services` (and `extra` logs, e.g. the worker's) from `since` to now, and
    the markers written (evidence)."""
    markers = await mark_logs(client, endpoints, services)
    readers = {**stack_readers(stack, services), **(extra or {})}
    logs = read_with_lines(readers, since)
    return scan(logs, since, allowlist, disturbances), markers
