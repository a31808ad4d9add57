"""Reading service logs by time window (the log scan of checks.logscan judges them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.stack.base import Service, Stack


def service_logs(
    stack: Stack, services: Sequence[Service], since: datetime, until: datetime
) -> dict[str, list[LogLine]]:
    return {service.value: stack.logs(service, since, until) for service in services}
