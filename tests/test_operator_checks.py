"""The operator gates' judgments (issue 14), on data: deep health, rings, shards, the
connection budget and peaks, TLS, data location, time zone, namespaces, limits."""

from __future__ import annotations

from temporal_acceptance.checks import cluster as checks
from temporal_acceptance.checks import connections, limits, postgres_setup
from temporal_acceptance.clients.admin import ClusterDescription, Ring
from temporal_acceptance.clients.postgres import ConnectionOutcome
from temporal_acceptance.core.topology import DEFAULT_TOPOLOGY
from temporal_acceptance.probes.cluster import (
    HealthReading,
    MemberRow,
    MembershipReading,
    ShardReading,
    ShardRow,
)
from temporal_acceptance.probes.connections import ConnectionLimits, ConnectionPeaks
from temporal_acceptance.probes.postgres_setup import SessionTls
from temporal_acceptance.stack.facts import DataLocation, Pool, TemporalFacts
from temporal_acceptance.workload.limits import PayloadOutcome, SearchAttributeSpace

DEEP = "AdminService DeepHealthCheck at 127.0.0.1:7233"


def test_deep_health_fails_when_history_is_not_serving_though_the_frontend_is() -> None:
    good = HealthReading({"frontend gRPC health at x": "SERVING", DEEP: "SERVING"})
    assert checks.health_problems(good) == []
    bad = HealthReading({"frontend gRPC health at x": "SERVING", DEEP: "NOT_SERVING"})
    problems = checks.health_problems(bad)
    assert problems[0] == f"{DEEP} is NOT_SERVING, not SERVING"
    assert "covers only itself" in problems[1]
    unasked = checks.health_problems(HealthReading({"frontend gRPC health at x": "SERVING"}))
    assert unasked == [
        "AdminService DeepHealthCheck was not asked: the history hosts' health is unknown"
    ]


def _cluster(**members: tuple[str, ...]) -> ClusterDescription:
    rings = tuple(Ring(role, len(hosts), hosts) for role, hosts in members.items())
    reachable = tuple(f"10.0.0.1:{6933 + i}" for i, _ in enumerate(members))
    return ClusterDescription(
        "1.30.8", "active", 4, "postgres12", "postgres12", "h", reachable, rings
    )


def _rows(ages: dict[str, float]) -> list[MemberRow]:
    return [
        MemberRow(role, f"10.0.0.1:{6933 + i}", "s", age)
        for i, (role, age) in enumerate(ages.items())
    ]


ONE_EACH = {role: ("h",) for role in DEFAULT_TOPOLOGY}
FRESH = {role: 3.0 for role in DEFAULT_TOPOLOGY}


def test_rings_as_the_topology_expects_with_live_heartbeats_pass() -> None:
    reading = MembershipReading(_cluster(**ONE_EACH), _rows(FRESH))
    assert checks.ring_problems(reading, DEFAULT_TOPOLOGY) == []


def test_a_history_ring_of_one_in_a_three_host_topology_fails_naming_the_upstream_bug() -> None:
    reading = MembershipReading(_cluster(**ONE_EACH), _rows(FRESH))
    problems = checks.ring_problems(reading, {**DEFAULT_TOPOLOGY, "history": 3})
    assert len(problems) == 1
    assert "the history ring has 1 host(s) (h), the topology expects 3" in problems[0]
    assert "temporal#9987" in problems[0]


def test_a_member_the_ring_still_reaches_without_a_fresh_heartbeat_is_stale() -> None:
    reading = MembershipReading(_cluster(**ONE_EACH), _rows({**FRESH, "matching": 45.0}))
    problems = checks.ring_problems(reading, DEFAULT_TOPOLOGY)
    assert "the ring still reaches 10.0.0.1:6935, but its last heartbeat was 45s ago" in problems[0]
    assert "no matching host has a membership heartbeat in the last 20s" in problems[1]


def test_no_cluster_description_is_a_problem_with_the_reason() -> None:
    reading = MembershipReading(None, [], "UNAVAILABLE: frontend down")
    assert checks.ring_problems(reading, DEFAULT_TOPOLOGY) == [
        "the frontend did not describe the cluster: UNAVAILABLE: frontend down"
    ]


def _shards(
    configured: int | None = 4, ids: range = range(1, 5), owner: str = "h:7234"
) -> ShardReading:
    rows = [ShardRow(i, 2, f"{owner}-{i}-uuid") for i in ids]
    return ShardReading(configured, 4, 4, rows, ("h:7234",))


def test_one_shard_count_everywhere_and_owned_shards_pass() -> None:
    assert checks.shard_problems(_shards()) == []


def test_a_second_shard_count_in_the_configuration_is_an_error_not_a_warning() -> None:
    problems = checks.shard_problems(_shards(configured=8))
    assert problems == [
        "the configuration asks for 8 history shards but the cluster was created with 4: "
        "Temporal ignores the change and only logs a warning (temporal#4835) — set "
        "numHistoryShards back to 4; a new shard count needs a new cluster (and a migration "
        "of its workflows)"
    ]


def test_missing_or_extra_shards_and_orphans_are_named() -> None:
    missing = checks.shard_problems(_shards(ids=range(1, 4)))
    assert missing == ["the shards table holds 3 shards, cluster metadata says 4; missing: [4]"]
    orphaned = checks.shard_problems(_shards(owner="gone:7234"))
    assert (
        "shards not owned by a host of the history ring (h:7234): 1 (gone:7234-1-uuid)"
        in orphaned[0]
    )
    assert checks.shard_problems(ShardReading(4, None, 4, [])) == [
        "cluster_metadata_info holds no cluster metadata: the cluster was never created"
    ]
    assert "DescribeCluster did not answer: boom" in checks.shard_problems(
        ShardReading(None, 4, None, [ShardRow(i, 1, "") for i in range(1, 5)], (), "boom")
    )
    assert checks.shard_problems(ShardReading(None, 4, 8, _shards().rows, ("h:7234",))) == [
        "the server reports 8 history shards, cluster metadata says 4"
    ]


def test_range_ids_must_move_forward_after_a_temporal_restart_and_never_back() -> None:
    before = {1: 3, 2: 3}
    assert checks.shard_progress_problems(before, {1: 4, 2: 5}, reacquired=True) == []
    assert checks.shard_progress_problems(before, {1: 3, 2: 3}, reacquired=False) == []
    assert checks.shard_progress_problems(before, {1: 3, 2: 4}, reacquired=True) == [
        "shard 1 was not acquired again after the restart (range_id still 3)"
    ]
    assert checks.shard_progress_problems(before, {1: 2}, reacquired=False) == [
        "shard 1's range_id went back from 3 to 2",
        "shard 2 (range_id 3 before) is gone from the shards table",
    ]


FACTS = TemporalFacts(
    pools=tuple(Pool(r, "default", "temporal", "t", 20) for r in DEFAULT_TOPOLOGY)
)


def test_the_budget_fits_with_headroom_or_says_what_to_change() -> None:
    roomy = ConnectionLimits(200, 3, 0)
    assert connections.budget_problems(FACTS, roomy, 10, 20) == []
    small = ConnectionLimits(50, 3, 0)
    (problem,) = connections.budget_problems(FACTS, small, 10, 20)
    assert problem.startswith("Temporal's pools may open 80 connections (4 pools")
    assert "90 — PostgreSQL allows 47" in problem
    assert "37 with 20% headroom" in problem
    assert "raise max_connections or lower maxConns" in problem
    assert connections.budget_problems(TemporalFacts(), roomy, 10, 20) == [
        "the pools Temporal is configured with are not known (not known on this target)"
    ]
    assert ConnectionLimits(100, 3, 2).available == 95


def test_connection_peaks_under_the_limit_pass_and_nothing_sampled_fails() -> None:
    peaks = ConnectionPeaks()
    assert connections.peak_problems(peaks, 100) == [
        "no connection sample was taken (the sampler never ran)"
    ]
    peaks.add({"temporal/t": 40, "temporal_visibility/t": 8})
    peaks.add({"temporal/t": 45})
    assert peaks.peak == {"temporal/t": 45, "temporal_visibility/t": 8}
    assert peaks.peak_total == 48
    assert connections.peak_problems(peaks, 100) == []
    assert connections.peak_problems(peaks, 45) == [
        "temporal/t peaked at 45 connections, the limit is below 45"
    ]
    assert "peak of all client connections at once" in peaks.render()


def test_every_temporal_session_encrypted_and_plain_clients_refused() -> None:
    sessions = [SessionTls(1, "temporal", "temporal", True, "TLSv1.3")]
    assert postgres_setup.encryption_problems(sessions, {"temporal"}) == []
    plain = [*sessions, SessionTls(2, "temporal_visibility", "temporal", False, "")]
    (problem,) = postgres_setup.encryption_problems(plain, {"temporal"})
    assert problem.startswith("1 of 2 sessions of 'temporal' are not encrypted: pid 2")
    assert postgres_setup.encryption_problems([], {"temporal"}) == [
        "no session of Temporal's role 'temporal' is connected (pg_stat_activity)"
    ]
    refused = ConnectionOutcome(
        False, error='no pg_hba.conf entry for host "127.0.0.1", no encryption'
    )
    assert postgres_setup.plain_refusal_problems(refused) == []
    assert (
        "accepted a client without TLS"
        in postgres_setup.plain_refusal_problems(ConnectionOutcome(True, "16.4"))[0]
    )
    other = postgres_setup.plain_refusal_problems(ConnectionOutcome(False, error="timeout"))
    assert other == ["the refusal does not say 'no encryption': 'timeout'"]


def test_the_data_directory_must_be_inside_persistent_storage() -> None:
    volume = DataLocation("/var/lib/postgresql", "named volume p_postgres-data", True)
    assert postgres_setup.data_location_problems(volume, "/var/lib/postgresql/18/docker") == []
    outside = postgres_setup.data_location_problems(volume, "/var/lib/pgsql/data")
    assert outside[0].startswith("PostgreSQL's live data_directory is /var/lib/pgsql/data, outside")
    anonymous = DataLocation("/var/lib/postgresql/data", "anonymous volume 1a2b", False, "lost")
    assert postgres_setup.data_location_problems(anonymous, "/var/lib/postgresql/data") == [
        "anonymous volume 1a2b does not persist: lost"
    ]
    assert postgres_setup.data_location_problems(None, "/x") == [
        "where the data must live is not known on this target"
    ]


def test_time_zone_namespaces_and_visibility_store() -> None:
    assert postgres_setup.timezone_problems("", "Etc/UTC") == []
    assert postgres_setup.timezone_problems("Asia/Kolkata", "Asia/Kolkata") == []
    assert postgres_setup.timezone_problems("Asia/Kolkata", "UTC") == [
        "PostgreSQL's timezone is 'UTC', the deployment asked for 'Asia/Kolkata'"
    ]
    found = {"default": 3.0, "temporal-system": 7.0}
    assert postgres_setup.namespace_problems(found, {"default": 3, "temporal-system": 7}) == []
    assert postgres_setup.namespace_problems(
        {"default": 1.0}, {"default": 3, "temporal-system": 7}
    ) == [
        "namespace 'default' keeps closed workflows 1 days, expected 3",
        "namespace 'temporal-system' does not exist (present: ['default'])",
    ]
    assert postgres_setup.visibility_store_problems("postgres12", ("postgres12",)) == []
    assert postgres_setup.visibility_store_problems("", ("postgres12",)) == [
        "the visibility store is 'unknown', not one of postgres12"
    ]


def test_search_attribute_slots_and_the_limit_error() -> None:
    columns = ("Bool01", "Bool02", "Bool03", "Keyword01", "Keyword10", "KeywordList01", "Text01")
    assert limits.slots_per_type(columns) == {"Bool": 3, "Keyword": 2, "KeywordList": 1, "Text": 1}
    wanted = "cannot have more than 3 search attribute of type Text"
    assert (
        limits.limit_problems("Text", 3, "", f"INVALID_ARGUMENT: Unable to create: {wanted}.") == []
    )
    assert limits.limit_problems("Text", 3, "", "") == [
        "attribute 4 of type Text was accepted: no limit enforced"
    ]
    assert "without saying" in limits.limit_problems("Text", 3, "", "UNAVAILABLE: x")[0]
    assert "were refused" in limits.limit_problems("Text", 3, "boom", f"{wanted}")[0]
    assert "unknown" in limits.limit_problems("Text", 0, "", "")[0]


def test_search_attributes_created_and_found() -> None:
    space = SearchAttributeSpace(client=None, namespace="ns")  # type: ignore[arg-type]
    assert limits.created_problems(space, ["Bool"], "INVALID_ARGUMENT: no") == [
        "creating Bool search attributes in ns was refused: INVALID_ARGUMENT: no"
    ]
    assert limits.created_problems(space, ["Bool"], "") == ["not created: Bool"]
    space.created, space.workflow_id = {"TaccBool01": "Bool"}, "wf"
    assert limits.created_problems(space, ["Bool"], "") == []
    assert "did not find wf (it found nothing)" in limits.found_problems(space)[0]
    space.found = ["wf"]
    assert limits.found_problems(space) == []
    assert "TaccBool01: Bool" in space.render()


def test_payloads_under_the_limit_complete_and_over_it_are_refused_at_the_start() -> None:
    assert limits.payload_under_problems(PayloadOutcome(10, result=10), 20) == []
    (problem,) = limits.payload_under_problems(
        PayloadOutcome(10, refusal="refused at start: X"), 20
    )
    assert (
        "just under the configured limit of 20 bytes, did not complete: refused at start: X"
        in problem
    )
    clean = PayloadOutcome(
        30, refusal="refused at start: INVALID_ARGUMENT: Blob data size exceeds limit."
    )
    assert limits.payload_over_problems(clean, 20) == []
    assert "was accepted" in limits.payload_over_problems(PayloadOutcome(30, result=30), 20)[0]
    late = PayloadOutcome(30, refusal="the workflow failed: Blob data size exceeds limit")
    assert "not refused cleanly at its start" in limits.payload_over_problems(late, 20)[0]
    assert clean.line().startswith("input of 30 bytes: refused")
