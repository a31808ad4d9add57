"""Noise a clean disruption of each service is expected to log: the allowlist of the
persistence gates' log scan (checks/logscan.py judges it; anything else fails).

Every entry is narrowed three ways — the service whose log shows it, the disruption kinds
that cause it, and a window from the start of such a disruption — and says beside it why it
is harmless then. The windows come from measurement (docs/PERSISTENCE.md: the latest such
line seen after its disruption, native and compose, with room to spare); a line outside its
window, or after another kind of disruption, fails the gate.
"""

from __future__ import annotations

import re

from temporal_acceptance.checks.logscan import AllowedError
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.disruption import DISRUPTIONS, Action, Disruption


def kinds(*services: Service, actions: tuple[Action, ...] = tuple(Action)) -> tuple[str, ...]:
    """The disruptions that take one of `services` down with one of `actions` (a down + up
    takes every service down; a restart during a PostgreSQL outage restarts PostgreSQL as
    well as the service)."""
    return tuple(d.name for d in DISRUPTIONS.values() if _takes_down(d, services, actions))


def _takes_down(d: Disruption, services: tuple[Service, ...], actions: tuple[Action, ...]) -> bool:
    if d.action is Action.RESTART_IN_OUTAGE:
        down = {Service.POSTGRES, d.service}
        return bool({Action.RESTART, Action.RESTART_IN_OUTAGE} & set(actions)) and bool(
            down & set(services)
        )
    return d.action in actions and (d.service is None or d.service in services)


def _allow(
    service: Service, pattern: str, during: tuple[str, ...], within: float, reason: str
) -> AllowedError:
    return AllowedError(service.value, re.compile(pattern), reason, during, within)


GRACEFUL = (Action.RESTART, Action.DOWN_UP)

# Temporal's SQL pool loses its connections while PostgreSQL is away, and on Temporal's own
# stop the pool closes before the last task-queue writes are cut off. The server retries
# each such operation; the history/row gates of the same scenario prove nothing was lost.
TEMPORAL_DATABASE_AWAY = _allow(
    Service.TEMPORAL,
    r"no usable database connection found|database connection lost|connect: connection refused"
    r"|unable to refresh database connection pool"
    r"|transaction has already been committed or rolled back"
    # compose: Docker's embedded DNS has no address for a stopped container's name
    r"|dial tcp: lookup postgresql on [0-9.]+:53: no such host",
    kinds(Service.POSTGRES, Service.TEMPORAL),
    30.0,
    "Temporal's database connections drop while PostgreSQL (or Temporal itself) restarts",
)

# Requests that arrive while the server starts (worker polls, the suite's own calls) are
# refused until the frontend is ready and each history shard is owned again.
TEMPORAL_STARTING = _allow(
    Service.TEMPORAL,
    r"Frontend is not healthy yet|shard status unknown",
    kinds(Service.TEMPORAL),
    30.0,
    "requests refused while the frontend starts and history shards are acquired",
)

# While the roles leave and rejoin the membership ring, matching cannot yet resolve who owns
# a task-queue partition or the Nexus endpoints table. A restarted Temporal keeps its
# predecessor's membership entries for up to 20 s (its healthy-host heartbeat cutoff) and
# loads partitions lazily, so the line can come that much after the restart has finished.
TEMPORAL_MEMBERSHIP = _allow(
    Service.TEMPORAL,
    r"Not enough hosts to serve the request",
    kinds(Service.TEMPORAL),
    45.0,
    "the membership ring is incomplete while the server stops, starts and settles",
)

# A graceful stop cancels the operations still in progress. A transaction cancelled so
# loses its connection (database/sql closes it), and its rollback then reports the bad
# connection; PostgreSQL aborts a transaction whose session ends, so nothing of it is kept
# (seen on compose, 1.5 s into a restart, beside matching's cancelled UpdateTaskQueue).
# A history queue's periodic checkpoint of its read position that runs while its shard is
# being closed is refused with "shard closed" (seen once in CI on native); the position is
# checkpointed again by the shard's next owner, which re-reads from the last saved one.
TEMPORAL_SHUTDOWN = _allow(
    Service.TEMPORAL,
    r'context canceled|"msg":"transaction rollback error","error":"driver: bad connection"'
    r'|"msg":"Error updating queue state"[^\n]*"error":"shard closed"',
    kinds(Service.TEMPORAL, actions=GRACEFUL),
    20.0,
    "operations cut short by the graceful stop",
)

# A graceful stop closes the server's SQL pools (the execution store's and the visibility
# store's) while work already under way may still call them: a history queue task loading a
# workflow's state or its events, a visibility task writing its row (1.32.2: the history
# service closes its visibility manager after stopping the shard controller, and the pool of
# workers running queue tasks stops later). Such a call fails at once with Go's "sql: database
# is closed", which database/sql returns only when a connection is asked of a pool already
# closed — before any statement is sent, so nothing of it reached PostgreSQL. The task is not
# acknowledged, and the shard's next owner (the host itself after a restart) runs it again
# (docs/PERSISTENCE.md, "Work cut off by a graceful stop"). Only that error, only after a
# graceful stop of Temporal.
POOL_CLOSED_BY_STOP = _allow(
    Service.TEMPORAL,
    r'"error":"[^"\n]*sql: database is closed',
    kinds(Service.TEMPORAL, actions=GRACEFUL),
    20.0,
    "calls made after a graceful stop closed the server's own SQL pools (never sent; the "
    "task is run again by the shard's next owner)",
)

# While PostgreSQL is away the namespace registry cannot read the namespace, and a visibility
# request in that window (a client listing workflows — the stack's own readiness probe does)
# is answered "Namespace ... is not found", which the visibility layer logs at error level.
# Only this layer's line is allowed: a namespace really missing fails the new-workflow gate.
TEMPORAL_NAMESPACE_UNREADABLE = _allow(
    Service.TEMPORAL,
    r'"error":"Namespace [^"]+ is not found\."[^\n]*visibility/visiblity_manager_metrics\.go',
    kinds(Service.POSTGRES),
    30.0,
    "a visibility request cannot resolve the namespace while PostgreSQL is away",
)

# PostgreSQL's fast shutdown (what a restart uses) ends every client session, and an
# autovacuum worker that happens to be running (it vacuums the table again later; seen on a
# dev stack whose database had grown over days of runs, 2026-12-03).
POSTGRES_FAST_SHUTDOWN = _allow(
    Service.POSTGRES,
    r"terminating (?:connection|autovacuum process) due to administrator command",
    kinds(Service.POSTGRES, actions=GRACEFUL),
    20.0,
    "the fast shutdown of a restart ends Temporal's pooled sessions",
)

# Clients reconnecting (Temporal, the stack's readiness probe) before start-up has finished.
POSTGRES_STARTING = _allow(
    Service.POSTGRES,
    r"the database system is (?:starting up|not yet accepting connections|shutting down)",
    kinds(Service.POSTGRES),
    30.0,
    "connection attempts while PostgreSQL starts or stops",
)

# The stack registers the default namespace on every Temporal start; when it exists the
# insert is rejected and the server answers ALREADY_EXISTS, which the stack expects.
NAMESPACE_REGISTERED_AGAIN = _allow(
    Service.POSTGRES,
    r'duplicate key value violates unique constraint "namespaces_pkey"',
    kinds(Service.TEMPORAL),
    30.0,
    "the default namespace is registered again on each Temporal start",
)

# The compose target's schema job runs on every `up` and creates its databases
# idempotently: PostgreSQL reports the ones that exist, and the job carries on.
DATABASES_CREATED_AGAIN = _allow(
    Service.POSTGRES,
    r'database "(?:temporal|temporal_visibility|acceptance_app)" already exists',
    kinds(Service.TEMPORAL),
    30.0,
    "the schema job of an `up` creates the databases idempotently (compose target)",
)

# -- topology=multirole: shards move between history hosts when one stops, starts or dies ----

# Ownership of a shard moves when the history ring changes: the new owner bumps the shard's
# range id, the old one's writes are refused ("Failed to update shard. Previous range ID",
# or "Failed to lock shard. Previous range ID" for a workflow's own write) and its shard
# closes; two hosts starting together race for the same shard and the loser
# logs that it could not acquire it; requests routed to the old owner are refused with the
# name of the new one; an acquisition cut off when the shard moves on is cancelled,
# "context canceled" or, when the cancel reached PostgreSQL, "canceling statement". This is
# range-id fencing working: the gates of the same scenario prove no history was lost or
# duplicated.
SHARD_HANDOFF = _allow(
    Service.TEMPORAL,
    r"Failed to (?:update|lock) shard\. Previous range ID|Couldn't acquire shard"
    r"|Error acquiring shard"
    r"|Shard is owned by:\S+ but not by|\bshard closed\b|invalid state transition request"
    r"|Failed to lock shard with ID: \d+\. Error: "
    r"(?:context canceled|pq: canceling statement due to user request)",
    kinds(Service.TEMPORAL),
    45.0,
    "shards move between history hosts while one stops, starts or dies (range-id fencing)",
)

# Role processes that stop cut off their own work in progress: matching's task queues shut
# down, the worker role's system workers cannot deregister or start their scanner workflows
# while the frontend is away (each is retried when it is back), and a role started before
# the ring has formed is refused until it has.
ROLE_RESTART = _allow(
    Service.TEMPORAL,
    r"task queue shutting down|Failed to lock task queue\. Error: context canceled"
    r"|Couldn't cleanup task worker|ringpop is not bootstrapped"
    r'|"msg":"error starting workflow"[^\n]*"wf-type":"temporal-sys-',
    kinds(Service.TEMPORAL),
    45.0,
    "role processes stopping or starting cut off their own work, which is retried",
)

# The database's side of a cut-off shard acquisition: the history host cancels its lock
# statement when the shard moves on (the driver sends PostgreSQL a cancel request, which it
# logs). Seen after a down + up of the whole multirole stack, 2026-12-03.
SHARD_LOCK_CANCELLED = _allow(
    Service.POSTGRES,
    r"ERROR:\s+canceling statement due to user request",
    kinds(Service.TEMPORAL),
    45.0,
    "a history host cancels its shard lock when the shard moves to the other host",
)

# Allowed on the multirole topology only (one process per role, two history hosts).
MULTIROLE_NOISE: tuple[AllowedError, ...] = (SHARD_HANDOFF, ROLE_RESTART, SHARD_LOCK_CANCELLED)

# What the persistence gates' log scan allows; anything else at error level fails.
RESTART_NOISE: tuple[AllowedError, ...] = (
    TEMPORAL_DATABASE_AWAY,
    TEMPORAL_STARTING,
    TEMPORAL_MEMBERSHIP,
    TEMPORAL_SHUTDOWN,
    POOL_CLOSED_BY_STOP,
    TEMPORAL_NAMESPACE_UNREADABLE,
    POSTGRES_FAST_SHUTDOWN,
    POSTGRES_STARTING,
    NAMESPACE_REGISTERED_AGAIN,
    DATABASES_CREATED_AGAIN,
)
