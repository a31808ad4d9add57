"""Noise a clean restart of each service is expected to log, each entry with the reason it
is harmless: the allowlists of the persistence gates' log scan (anything else fails)."""

from __future__ import annotations

import re

from temporal_acceptance.checks.logscan import AllowedError
from temporal_acceptance.stack.base import START_ORDER, Service
from temporal_acceptance.stack.disruption import Action, Disruption


def _allow(service: Service, pattern: str, reason: str) -> AllowedError:
    return AllowedError(service.value, re.compile(pattern), reason)


# Temporal's SQL pool loses its connections while PostgreSQL restarts, and on Temporal's own
# shutdown the pool closes before the last task-queue writes are cut off. The server retries
# each such operation; the history/row gates of the same scenario prove nothing was lost.
TEMPORAL_DATABASE_AWAY = _allow(
    Service.TEMPORAL,
    r"no usable database connection found|database connection lost|connect: connection refused"
    r"|unable to refresh database connection pool"
    r"|transaction has already been committed or rolled back"
    # compose: Docker's embedded DNS has no address for a stopped container's name
    r"|dial tcp: lookup postgresql on [0-9.]+:53: no such host",
    "Temporal's database connections drop while PostgreSQL (or Temporal itself) restarts",
)


# Requests that arrive while the server starts (worker polls, the suite's own calls) are
# refused until the frontend is ready and each history shard is owned again.
TEMPORAL_STARTING = _allow(
    Service.TEMPORAL,
    r"Frontend is not healthy yet|shard status unknown",
    "requests refused while the frontend starts and history shards are acquired",
)


# While the roles leave and rejoin the membership ring, matching cannot yet resolve who
# owns a task-queue partition or the Nexus endpoints table.
TEMPORAL_MEMBERSHIP = _allow(
    Service.TEMPORAL,
    r"Not enough hosts to serve the request",
    "the membership ring is incomplete while the server stops and starts",
)


# A graceful stop cancels the operations still in progress.
TEMPORAL_SHUTDOWN = _allow(
    Service.TEMPORAL, r"context canceled", "operations cut short by the graceful stop"
)


# While PostgreSQL is away the namespace registry cannot read the namespace, and a visibility
# request in that window (a client listing workflows — the stack's own readiness probe does)
# is answered "Namespace ... is not found", which the visibility layer logs at error level.
# Only this layer's line is allowed: a namespace really missing fails the new-workflow gate.
TEMPORAL_NAMESPACE_UNREADABLE = _allow(
    Service.TEMPORAL,
    r'"error":"Namespace [^"]+ is not found\."[^\n]*visibility/visiblity_manager_metrics\.go',
    "a visibility request cannot resolve the namespace while PostgreSQL is away",
)


# PostgreSQL's fast shutdown (what a restart uses) ends every client session.
POSTGRES_FAST_SHUTDOWN = _allow(
    Service.POSTGRES,
    r"terminating connection due to administrator command",
    "the fast shutdown of a restart ends Temporal's pooled sessions",
)


# Clients reconnecting (Temporal, the stack's readiness probe) before start-up has finished.
POSTGRES_STARTING = _allow(
    Service.POSTGRES,
    r"the database system is (?:starting up|not yet accepting connections|shutting down)",
    "connection attempts while PostgreSQL starts or stops",
)


# The stack registers the default namespace on every Temporal start; when it exists the
# insert is rejected and the server answers ALREADY_EXISTS, which the stack expects.
NAMESPACE_REGISTERED_AGAIN = _allow(
    Service.POSTGRES,
    r'duplicate key value violates unique constraint "namespaces_pkey"',
    "the default namespace is registered again on each Temporal start",
)


# The compose target's schema job runs on every `up` and creates its databases
# idempotently: PostgreSQL reports the ones that exist, and the job carries on.
DATABASES_CREATED_AGAIN = _allow(
    Service.POSTGRES,
    r'database "(?:temporal|temporal_visibility|acceptance_app)" already exists',
    "the schema job of an `up` creates the databases idempotently (compose target)",
)


# -- topology=multirole: shards move between history hosts when one stops, starts or dies ----

# Ownership of a shard moves when the history ring changes: the new owner bumps the shard's
# range id, the old one's writes are refused ("Failed to update shard. Previous range ID")
# and its shard closes; two hosts starting together race for the same shard and the loser
# logs that it could not acquire it; requests routed to the old owner are refused with the
# name of the new one. This is range-id fencing working: the gates of the same scenario
# prove no history was lost or duplicated.
SHARD_HANDOFF = _allow(
    Service.TEMPORAL,
    r"Failed to update shard\. Previous range ID|Couldn't acquire shard|Error acquiring shard"
    r"|Shard is owned by:\S+ but not by|\bshard closed\b|invalid state transition request"
    r"|Failed to lock shard with ID: \d+\. Error: context canceled",
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
    "role processes stopping or starting cut off their own work, which is retried",
)

MULTIROLE_NOISE = (SHARD_HANDOFF, ROLE_RESTART)


# What may be logged while each service restarts. Anything else at error level fails.
NOISE: dict[Service, tuple[AllowedError, ...]] = {
    Service.POSTGRES: (
        POSTGRES_FAST_SHUTDOWN,
        POSTGRES_STARTING,
        TEMPORAL_DATABASE_AWAY,
        TEMPORAL_NAMESPACE_UNREADABLE,
    ),
    Service.TEMPORAL: (
        TEMPORAL_STARTING,
        TEMPORAL_MEMBERSHIP,
        TEMPORAL_SHUTDOWN,
        TEMPORAL_DATABASE_AWAY,
        NAMESPACE_REGISTERED_AGAIN,
        DATABASES_CREATED_AGAIN,
    ),
    Service.UI: (),
}


# A restart's noise can surface after the restart itself: a restarted Temporal keeps its
# predecessor's membership entries for up to 20 s (its healthy-host heartbeat cutoff), and
# matching loads task-queue partitions lazily, logging "Not enough hosts" when one is loaded
# before the ring has settled. So a scan also allows the noise of disruptions this recent.
LATE_NOISE_SECONDS = 30.0


def allowlist_for(*disruptions: Disruption, multirole: bool = False) -> tuple[AllowedError, ...]:
    """The noise the disrupted service(s) may make; every service's for a down + up; with
    `multirole`, also the shard handoff and role restarts of a Temporal disruption."""
    entries: list[AllowedError] = []
    for disruption in disruptions:
        services = (disruption.service,) if disruption.service else START_ORDER
        if disruption.action is Action.RESTART_IN_OUTAGE:  # PostgreSQL went down too
            services = (*services, Service.POSTGRES)
        noise = [e for service in services for e in NOISE[service]]
        if multirole and Service.TEMPORAL in services:
            noise += MULTIROLE_NOISE
        entries += [e for e in noise if e not in entries]
    return tuple(entries)
