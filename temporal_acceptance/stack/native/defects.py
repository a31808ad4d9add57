"""MUTANTS — never deploy. Seeded defects of the native deployment for the gates of the
workflow, visibility, history, schema and log (the security mutants are in seeded.py; the
catalogue is stack/mutants.py; docs/MUTANTS.md says how each is seeded). Never on unless a
run asks for one with `-D mutant=NAME`; those that damage data refuse a stack that holds a
deployment (they run on a state directory of their own).

The native driver calls these at its hook points: the Temporal server's configuration as it
is rendered, the UI's, the databases just before Temporal starts and just after it serves,
and a watcher that freezes the server while a user timer is pending.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, VISIBILITY_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import connect

VISIBILITY_SCHEMA_BEHIND = "visibility-schema-behind"
VISIBILITY_DROPS_CLOSED = "visibility-drops-closed"
HISTORY_DELETED_ON_RESTART = "history-deleted-on-restart"
TABLE_MISSING = "table-missing"
LATE_TIMER = "late-timer"
TEMPORAL_LOG_ELSEWHERE = "temporal-log-elsewhere"
UI_WRONG_FRONTEND = "ui-wrong-frontend"
# Seeded as the stack starts, and (but late-timer) damaging its data or configuration: each
# needs a stack of its own (a new state directory), never one that holds a deployment.
NEEDS_OWN_STACK = (
    VISIBILITY_SCHEMA_BEHIND,
    VISIBILITY_DROPS_CLOSED,
    HISTORY_DELETED_ON_RESTART,
    TABLE_MISSING,
    TEMPORAL_LOG_ELSEWHERE,
    UI_WRONG_FRONTEND,
)
SEEDED = (*NEEDS_OWN_STACK, LATE_TIMER)

# A table the release's schema creates and Temporal needs only for multi-cluster
# replication: without it a one-cluster server starts and runs, and only the tables gate can
# tell (temporal-sql-tool's schema files list it).
MISSING_TABLE = "replication_tasks_dlq"
# Long enough that a 5 s timer pending at the start of the freeze fires far beyond the
# timer gate's limit (2 s late); short enough that the frozen server then recovers.
FREEZE_SECONDS = 10.0

DROP_TABLE = "drop table if exists replication_tasks_dlq"
# Completed runs lose their history rows (the run's tree id is its run id).
DELETE_COMPLETED_HISTORY = (
    "delete from history_node where tree_id in "
    "(select run_id from current_executions where status = 2)"
)
DROP_CLOSED_FUNCTION = """
create or replace function temporal_acceptance_mutant_drop_closed() returns trigger
language plpgsql as $$
begin
  if new.status <> 1 then
    delete from executions_visibility
    where namespace_id = new.namespace_id and run_id = new.run_id;
  end if;
  return null;
end $$"""
DROP_CLOSED_TRIGGER = (
    "drop trigger if exists temporal_acceptance_mutant_drop_closed on executions_visibility",
    "create trigger temporal_acceptance_mutant_drop_closed after insert or update "
    "on executions_visibility for each row "
    "execute function temporal_acceptance_mutant_drop_closed()",
)
SET_SCHEMA_VERSION = "update schema_version set curr_version = %s where db_name = %s"
PENDING_TIMERS = (
    "select workflow_id, encode(run_id, 'hex'), timer_id from timer_info_maps "
    "order by workflow_id, timer_id"
)


def version_behind(version: str) -> str:
    """'1.13' → '1.12': the release's previous schema version (they are consecutive)."""
    major, _, minor = version.partition(".")
    return f"{major}.{max(0, int(minor) - 1)}"


class SeededDefect:
    """The one seeded defect of a native stack (or none); every hook is a no-op unless its
    defect is the one switched on."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.freezer: TimerFreezer | None = None

    def temporal_config(self, config: dict[str, Any], temporal_dir: Path) -> dict[str, Any]:
        if self.name == TEMPORAL_LOG_ELSEWHERE:
            # The server logs to a file of its own, not where the deployment's log is read.
            elsewhere = temporal_dir / "mutant-temporal-log-elsewhere.log"
            config["log"] = {"stdout": False, "level": "info", "outputFile": str(elsewhere)}
        return config

    def ui_frontend(self, frontend: str, history: str) -> str:
        # The UI pointed at the history role's gRPC port instead of the frontend's.
        return history if self.name == UI_WRONG_FRONTEND else frontend

    def before_temporal_starts(self, endpoints: Endpoints, password: Any) -> None:
        if self.name == TABLE_MISSING:
            with connect(endpoints, TEMPORAL_DATABASE, password) as conn:
                conn.execute(DROP_TABLE)
        elif self.name == HISTORY_DELETED_ON_RESTART:
            with connect(endpoints, TEMPORAL_DATABASE, password) as conn:
                conn.execute(DELETE_COMPLETED_HISTORY)
        elif self.name == VISIBILITY_DROPS_CLOSED:
            with connect(endpoints, VISIBILITY_DATABASE, password) as conn:
                conn.execute(DROP_CLOSED_FUNCTION)
                for statement in DROP_CLOSED_TRIGGER:
                    conn.execute(statement)

    def after_temporal_serves(self, endpoints: Endpoints, password: Any, visibility: str) -> None:
        # The server refuses to start on an older schema, so the defect comes after it
        # started: as if the visibility database were restored from a backup taken before
        # the release's last migration.
        if self.name == VISIBILITY_SCHEMA_BEHIND:
            with connect(endpoints, VISIBILITY_DATABASE, password) as conn:
                conn.execute(SET_SCHEMA_VERSION, (version_behind(visibility), VISIBILITY_DATABASE))

    def watch(self, endpoints: Callable[[], Endpoints], freeze: Callable[[float], None]) -> None:
        if self.name == LATE_TIMER and self.freezer is None:
            self.freezer = TimerFreezer(endpoints, freeze)
            self.freezer.start()

    def stop(self) -> None:
        if self.freezer is not None:
            self.freezer.halt.set()
            self.freezer.join(timeout=FREEZE_SECONDS + 5)
            self.freezer = None


class TimerFreezer(threading.Thread):
    """late-timer: whenever a new user timer is pending in Temporal's database, the server
    is frozen (SIGSTOP) for FREEZE_SECONDS — a stalled host, a noisy neighbour — so the timer
    fires late."""

    POLL_SECONDS = 0.1

    def __init__(self, endpoints: Callable[[], Endpoints], freeze: Callable[[float], None]):
        super().__init__(name="late-timer mutant", daemon=True)
        self.endpoints = endpoints
        self.freeze = freeze
        self.halt = threading.Event()
        self.seen: set[tuple[str, str, str]] = set()
        self.freezes = 0

    def pending(self) -> set[tuple[str, str, str]]:
        with contextlib.suppress(psycopg.Error, OSError):
            with connect(self.endpoints(), TEMPORAL_DATABASE, timeout=2) as conn:
                rows = conn.execute(PENDING_TIMERS).fetchall()
            return {(str(a), str(b), str(c)) for a, b, c in rows}
        return set()

    def run(self) -> None:
        self.seen = self.pending()  # timers pending before the mutant began are left alone
        while not self.halt.wait(self.POLL_SECONDS):
            new = self.pending() - self.seen
            if new:
                self.seen |= new
                self.freezes += 1
                self.freeze(FREEZE_SECONDS)
