"""PostgreSQL's connection limits and who holds its connections: the settings that bound
them, and a sampler that records the peak per database and user while a scenario runs.

The sampler keeps one connection of its own (named like every suite session, so it is left
out of the counts) and polls pg_stat_activity in a background thread; while PostgreSQL is
down it records the gap and reconnects.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import APPLICATION_NAME, TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import QueryLog, connect, query

# What limits client connections (reserved_connections exists from PostgreSQL 16 on).
LIMIT_SETTINGS = ("max_connections", "superuser_reserved_connections", "reserved_connections")
COUNT_SQL = """
select coalesce(datname, '-') as database, coalesce(usename, '-') as "user", count(*) as connections
from pg_stat_activity
where backend_type = 'client backend' and application_name <> %s
group by 1, 2 order by 1, 2"""
SAMPLE_INTERVAL = 0.2


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    superuser_reserved: int
    reserved: int

    @property
    def available(self) -> int:
        """Connections an ordinary role (Temporal's) can open."""
        return self.max_connections - self.superuser_reserved - self.reserved

    def render(self) -> str:
        return (
            f"max_connections {self.max_connections}, superuser_reserved_connections "
            f"{self.superuser_reserved}, reserved_connections {self.reserved} → "
            f"{self.available} for ordinary roles"
        )


def read_limits(endpoints: Endpoints, log: QueryLog) -> ConnectionLimits:
    with connect(endpoints, TEMPORAL_DATABASE) as conn:  # every role may read these
        result = query(
            conn,
            "select name, setting from pg_settings where name = any(%s) order by name",
            (list(LIMIT_SETTINGS),),
            log,
        )
    values = {name: int(setting) for name, setting in result.rows}
    return ConnectionLimits(
        values["max_connections"],
        values.get("superuser_reserved_connections", 0),
        values.get("reserved_connections", 0),
    )


def count_connections(conn: psycopg.Connection[Any], log: QueryLog | None = None) -> dict[str, int]:
    """Client connections per `database/user`, the suite's own left out."""
    result = query(conn, COUNT_SQL, (APPLICATION_NAME,), log)
    return {f"{db}/{user}": int(count) for db, user, count in result.rows}


@dataclass
class ConnectionPeaks:
    """The highest count seen per database/user and in total, and how the sampling went."""

    peak: dict[str, int] = field(default_factory=dict)
    peak_total: int = 0
    samples: int = 0
    gaps: int = 0  # samples that could not be taken (PostgreSQL down or restarting)
    seconds: float = 0.0
    last_error: str = ""

    def add(self, counts: dict[str, int]) -> None:
        self.samples += 1
        for key, count in counts.items():
            self.peak[key] = max(self.peak.get(key, 0), count)
        self.peak_total = max(self.peak_total, sum(counts.values()))

    def render(self) -> str:
        lines = [
            f"{self.samples} samples over {self.seconds:.1f}s (every {SAMPLE_INTERVAL}s), "
            f"{self.gaps} while PostgreSQL could not be reached"
            + (f" (last: {self.last_error})" if self.last_error else ""),
            f"peak of all client connections at once (the suite's own left out): {self.peak_total}",
        ]
        lines += [f"  {key:<40} peak {count}" for key, count in sorted(self.peak.items())]
        return "\n".join(lines)


class ConnectionSampler:
    """Samples pg_stat_activity until stopped; `peaks` holds what it saw."""

    def __init__(
        self,
        endpoints: Endpoints,
        interval: float = SAMPLE_INTERVAL,
        opener: Callable[[], Any] | None = None,
    ) -> None:
        self.interval = interval
        self.peaks = ConnectionPeaks()
        self._open = opener or (lambda: connect(endpoints, TEMPORAL_DATABASE, timeout=2))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connection-sampler", daemon=True)
        self._started = 0.0

    def start(self) -> ConnectionSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> ConnectionPeaks:
        self._stop.set()
        self._thread.join(timeout=10)
        self.peaks.seconds = time.monotonic() - self._started
        return self.peaks

    def _run(self) -> None:
        conn: Any = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = self._open()
                self.peaks.add(count_connections(conn))
            except psycopg.Error as exc:
                self.peaks.gaps += 1
                self.peaks.last_error = str(exc).strip().splitlines()[0][:200]
                _closed(conn)
                conn = None
            self._stop.wait(self.interval)
        _closed(conn)


def _closed(conn: Any) -> None:
    if conn is not None:
        with contextlib.suppress(psycopg.Error):
            conn.close()
