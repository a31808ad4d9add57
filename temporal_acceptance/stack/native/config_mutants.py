"""MUTANTS — do not use to deploy. Configuration defects operators really ship, seeded into
the native stack's rendered configuration when `-D mutant=NAME` asks for one (catalogue:
stack/mutants.py). Each must make the gate named there fail; switched off, the stack is
brought down and up again with the suite's own configuration.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

MAX_CONNECTIONS_TOO_SMALL = "max-connections-too-small"
SECOND_SHARD_COUNT = "second-shard-count"
TLS_NOT_REQUIRED = "postgres-tls-not-required"
BLOB_LIMIT_ABOVE_GRPC = "blob-limit-above-grpc"
HISTORY_PERSISTENCE_TOO_SLOW = "history-persistence-too-slow"
NAMESPACE_RPS_TOO_LOW = "namespace-rps-too-low"
CONFIG_MUTANTS = (
    MAX_CONNECTIONS_TOO_SMALL,
    SECOND_SHARD_COUNT,
    TLS_NOT_REQUIRED,
    BLOB_LIMIT_ABOVE_GRPC,
    HISTORY_PERSISTENCE_TOO_SLOW,
    NAMESPACE_RPS_TOO_LOW,
)

# Below the pools of Temporal's four roles (4 × (20 + 5)), as on a small managed instance.
SMALL_MAX_CONNECTIONS = 50
# The cluster was created with 4 shards; the configuration now asks for 8 (temporal#4835:
# the server logs a warning and keeps 4).
SECOND_SHARDS = 8
# Above what one gRPC message carries (4 MiB by default): "just under the limit" cannot pass.
GRPC_BREAKING_BLOB_LIMIT = 6 * 1024 * 1024
# History judges its own health by its persistence latency (500 ms by default): a threshold
# no database meets makes history report NOT_SERVING, as a database too slow for it would,
# while the frontend's own gRPC health stays SERVING.
UNREACHABLE_LATENCY_MS = 0.001
# The frontend's per-namespace request rate limit (2400/s by default) at 20/s, as copied
# from a shared development cluster: every start, poll answer and result counts against it,
# so a burst of workflows crawls while a single one still runs.
LOW_NAMESPACE_RPS = 20


def apply_config_mutant(name: str, postgres: Any, temporal: Any) -> None:
    """Change the rendered configuration of PostgreSQL / temporal-server for mutant `name`
    (the TLS mutant is applied where the TLS profile is: NativeStack._apply_tls)."""
    if name == MAX_CONNECTIONS_TOO_SMALL:
        postgres.options = replace(postgres.options, max_connections=SMALL_MAX_CONNECTIONS)
    elif name == SECOND_SHARD_COUNT:
        temporal.history_shards = SECOND_SHARDS
    elif name == BLOB_LIMIT_ABOVE_GRPC:
        temporal.dynamic_extra = {"limit.blobSize.error": [{"value": GRPC_BREAKING_BLOB_LIMIT}]}
    elif name == HISTORY_PERSISTENCE_TOO_SLOW:
        temporal.dynamic_extra = {
            "history.healthPersistenceLatencyFailure": [{"value": UNREACHABLE_LATENCY_MS}]
        }
    elif name == NAMESPACE_RPS_TOO_LOW:
        temporal.dynamic_extra = {"frontend.namespaceRPS": [{"value": LOW_NAMESPACE_RPS}]}
