"""The operator probes against a real native stack: the admin API, membership rows, shards
and metadata blobs, connection limits and a live sample, session encryption, namespaces."""

from __future__ import annotations

import pytest

from temporal_acceptance.checks.cluster import health_problems, ring_problems, shard_problems
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.clients.temporal import connect, run_sync
from temporal_acceptance.gates.cluster import healthy
from temporal_acceptance.probes.cluster import read_health, read_membership, read_shards
from temporal_acceptance.probes.connections import ConnectionSampler, read_limits
from temporal_acceptance.probes.namespaces import read_retention
from temporal_acceptance.probes.postgres_setup import (
    plain_connection,
    read_session_tls,
    read_setting,
)
from temporal_acceptance.stack.native.stack import NativeStack

pytestmark = pytest.mark.integration


def test_the_cluster_reports_itself_healthy_whole_and_sharded(native_stack: NativeStack) -> None:
    endpoints, facts = native_stack.endpoints(), native_stack.temporal_facts()
    # right after a start deep health says NOT_SERVING for a few seconds: the gate waits
    settled = healthy(endpoints, native_stack.role_health_dialable, 30)
    assert settled.problems == [], settled.reading.render()
    assert health_problems(read_health(endpoints, dial_roles=False)) == []
    membership = read_membership(endpoints, QueryLog())
    assert membership.cluster is not None
    assert {row.role for row in membership.rows} >= {"frontend", "history", "matching", "worker"}
    shards = read_shards(endpoints, facts.history_shards, log := QueryLog())
    assert shard_problems(shards) == [], shards.render()
    assert len(shards.range_ids()) == 4
    assert "cluster_metadata_info" in log.render()
    # the ring's heartbeats are judged against a settled deployment by the gate (it waits)
    assert isinstance(ring_problems(membership, facts.topology), list)


def test_postgres_limits_sessions_and_a_live_sample(native_stack: NativeStack) -> None:
    endpoints = native_stack.endpoints()
    limits = read_limits(endpoints, QueryLog())
    assert limits.max_connections == 200
    sessions = read_session_tls(endpoints, QueryLog())
    assert any(s.user == endpoints.postgres_user for s in sessions)
    assert not any(s.ssl for s in sessions)  # no TLS profile on this stack
    assert plain_connection(endpoints).ok
    # superuser-only: Temporal's own role is not allowed to read it, the admin role is
    assert read_setting(endpoints, "data_directory", QueryLog()) == ""
    assert read_setting(native_stack.admin_address(), "data_directory", QueryLog()).startswith(
        str(native_stack.settings.state_dir)
    )
    sampler = ConnectionSampler(endpoints, interval=0.05).start()
    peaks = sampler.stop()
    assert peaks.gaps == 0


def test_namespaces_with_their_retention(native_stack: NativeStack) -> None:
    endpoints = native_stack.endpoints()

    async def retention() -> dict[str, float]:
        return await read_retention(await connect(endpoints.temporal_address, "default"))

    assert run_sync(retention) == {"default": 3.0, "temporal-system": 7.0}
