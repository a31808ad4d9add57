"""The AdminService client and the cluster probes against a stand-in gRPC server that
answers with the server's own wire format (field numbers of v1.30.8)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from temporal_acceptance.clients import admin
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.wire import decode, message_class
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.probes.cluster import read_health

HEALTH_SERVICE = "grpc.health.v1.Health"


def _describe(address: str) -> bytes:
    response = message_class("DescribeClusterResponse")(
        server_version="1.30.8", cluster_name="active", history_shard_count=4,
        persistence_store="postgres12", visibility_store="postgres12",
    )  # fmt: skip
    response.membership_info.current_host.identity = address
    response.membership_info.reachable_members.extend(["127.0.0.1:1", "127.0.0.1:2"])
    for role in ("frontend", "history", "matching", "worker"):
        ring = response.membership_info.rings.add(role=role, member_count=1)
        ring.members.add(identity=address)
    return bytes(response.SerializeToString())


class StandIn(grpc.GenericRpcHandler):
    def __init__(self, address: list[str], deep: int, statuses: dict[str, int]) -> None:
        self.address, self.deep, self.statuses = address, deep, statuses

    def service(self, details: Any) -> Any:
        method = details.method
        if method.endswith("/DeepHealthCheck"):
            answer = message_class("DeepHealthCheckResponse")(state=self.deep).SerializeToString()
            return grpc.unary_unary_rpc_method_handler(lambda request, context: answer)
        if method.endswith("/DescribeCluster"):
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: _describe(self.address[0])
            )
        if method == admin.HEALTH_METHOD:

            def check(request: bytes, context: Any) -> bytes:
                service = decode("HealthCheckRequest", request).service
                if service not in self.statuses:
                    context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {service}")
                status = self.statuses[service]
                return bytes(
                    message_class("HealthCheckResponse")(status=status).SerializeToString()
                )

            return grpc.unary_unary_rpc_method_handler(check)
        return None


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    services = {name: 1 for name in admin.ROLE_HEALTH_SERVICES.values()}
    handler = StandIn([""], 1, services)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    handler.address[0] = f"127.0.0.1:{port}"
    server.start()
    try:
        yield handler
    finally:
        server.stop(grace=None)


def _endpoints(address: str) -> Endpoints:
    return Endpoints(address, "default", "http://x", "127.0.0.1", 1, "t", Secret("pw"))


def test_deep_health_and_the_cluster_description(stand_in: StandIn) -> None:
    address = stand_in.address[0]
    assert admin.deep_health(address) == "SERVING"
    stand_in.deep = 3
    assert admin.deep_health(address) == "DECLINED_SERVING"
    cluster = admin.describe_cluster(address)
    assert cluster.history_shard_count == 4
    assert cluster.visibility_store == "postgres12"
    assert cluster.ring("history") == admin.Ring("history", 1, (address,))
    assert cluster.ring("internal-frontend") is None
    assert f"ring history   1 member(s): {address}" in cluster.render()


def test_every_role_asked_where_dialable_and_failures_shown_as_answers(stand_in: StandIn) -> None:
    address = stand_in.address[0]
    reading = read_health(_endpoints(address), dial_roles=True)
    assert set(reading.answers.values()) == {"SERVING"}
    assert f"history gRPC health at {address}" in reading.answers
    stand_in.statuses.pop(admin.ROLE_HEALTH_SERVICES["matching"])
    stand_in.statuses[admin.ROLE_HEALTH_SERVICES["frontend"]] = 2
    reading = read_health(_endpoints(address), dial_roles=False)
    assert reading.answers[f"frontend gRPC health at {address}"] == "NOT_SERVING"
    assert "does not dial" in reading.not_dialled
    assert "matching" not in " ".join(reading.answers)
    reading = read_health(_endpoints(address), dial_roles=True)
    assert reading.answers[f"matching gRPC health at {address}"].startswith("NOT_FOUND: unknown")
    assert "(each role's own gRPC health not asked" not in reading.render()


def test_an_unreachable_frontend_is_an_answer_not_a_crash() -> None:
    reading = read_health(_endpoints("127.0.0.1:9"), dial_roles=True)
    assert all(state.startswith("UNAVAILABLE") for state in reading.answers.values())
    assert any(what.startswith("DescribeCluster") for what in reading.answers)


def test_stored_blobs_decode_by_field_number() -> None:
    shard = message_class("ShardInfo")(shard_id=3, range_id=7, owner="h:7234-3-x")
    decoded = decode("ShardInfo", shard.SerializeToString() + b"\x3a\x00")  # + unknown field 7
    assert (decoded.shard_id, decoded.range_id, decoded.owner) == (3, 7, "h:7234-3-x")
    meta = message_class("ClusterMetadata")(cluster_name="active", history_shard_count=4)
    assert decode("ClusterMetadata", meta.SerializeToString()).history_shard_count == 4
