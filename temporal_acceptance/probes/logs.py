"""Reading service logs by time window (the log scan of checks.logscan judges them), after
writing a marker through each service so that a log that is written always has a line.

A healthy service does not log on a schedule: an idle Temporal can be silent for minutes,
PostgreSQL logs almost nothing by default. So before a window is read, each service is made
to log once by an ordinary request of the suite's own — PostgreSQL a `RAISE LOG` line,
Temporal the loading of a task queue of its own name, the UI its access-log line for a
health check. A service whose log still shows nothing is not writing where we read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import psycopg
from temporalio.client import Client
from temporalio.service import RPCError

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.clients.temporal import poller_identities
from temporal_acceptance.clients.ui_http import ui_health
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.base import Service, Stack

MARKER = "temporal-acceptance-log-marker"
# A marker shows in its log within milliseconds; this bounds a log that never shows one.
LINES_TIMEOUT = 5.0

# The marker travels as a session setting: SQL text is never built from variables.
RAISE_MARKER = "do $$ begin raise log '%', current_setting('temporal_acceptance.marker'); end $$"

LogReader = Callable[[datetime, datetime], list[LogLine]]


def service_logs(
    stack: Stack, services: Sequence[Service], since: datetime, until: datetime
) -> dict[str, list[LogLine]]:
    return {service.value: stack.logs(service, since, until) for service in services}


async def mark_logs(
    client: Client, endpoints: Endpoints, services: Sequence[Service]
) -> dict[str, str]:
    """Make each service log a line now; per service, what was done (or why it could not
    be: a service that is down has nothing to say, and the scan will tell)."""
    token = f"{MARKER}-{uuid.uuid4().hex[:12]}"
    done: dict[str, str] = {}
    for service in services:
        try:
            if service is Service.POSTGRES:
                with connect(endpoints, TEMPORAL_DATABASE) as conn:
                    conn.execute(
                        "select set_config('temporal_acceptance.marker', %s, false)", (token,)
                    )
                    conn.execute(RAISE_MARKER)
                done[service.value] = f"RAISE LOG '{token}'"
            elif service is Service.TEMPORAL:
                await poller_identities(client, endpoints.namespace, token)
                done[service.value] = f"described task queue {token}"
            else:
                done[service.value] = f"health check: {ui_health(endpoints.ui_url)}"
        except (psycopg.Error, RPCError, OSError) as exc:
            done[service.value] = f"could not write a marker: {type(exc).__name__}: {exc}"
    return done


def read_with_lines(
    readers: Mapping[str, LogReader], since: datetime, timeout: float | None = None
) -> dict[str, list[LogLine]]:
    """Each log's lines from `since` to now, read again (bounded) until every one of them
    has a line; the last reading either way (the scan judges a silent log)."""

    def read() -> dict[str, list[LogLine]]:
        until = datetime.now(UTC)
        return {name: reader(since, until) for name, reader in readers.items()}

    last: dict[str, list[LogLine]] = {}

    def attempt() -> dict[str, list[LogLine]]:
        last.clear()
        last.update(read())
        return last

    try:
        return wait_until(
            attempt,
            what="a line in every scanned log",
            timeout=LINES_TIMEOUT if timeout is None else timeout,
            accept=lambda logs: all(logs.values()),
            describe=lambda logs: f"silent: {[name for name, lines in logs.items() if not lines]}",
            max_delay=0.1,
        )
    except WaitTimeout:
        return dict(last)


def stack_readers(stack: Stack, services: Sequence[Service]) -> dict[str, LogReader]:
    def reader(service: Service) -> LogReader:
        return lambda since, until: stack.logs(service, since, until)

    return {service.value: reader(service) for service in services}
