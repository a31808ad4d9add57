"""Temporal's AdminService and the gRPC health of each role, as the server itself answers.

The Python SDK ships no AdminService stubs, so this is a small grpcio client over the
messages of clients/wire.py (only the fields the suite reads). Chosen over building `tdbg`
and parsing its JSON: no Go build (minutes of CPU on a shared machine), one process per
call less, and the answer is the server's own message, not a CLI's rendering of it.
The frontend serves the AdminService on its gRPC port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc

from temporal_acceptance.clients.grpc_channels import channel_to
from temporal_acceptance.clients.wire import HEALTH_STATES, SERVING_STATUS, message_class

ADMIN_SERVICE = "temporal.server.api.adminservice.v1.AdminService"
HEALTH_METHOD = "/grpc.health.v1.Health/Check"
# The grpc.health.v1 service names each role registers (service/*/handler.go).
ROLE_HEALTH_SERVICES = {
    "frontend": "temporal.api.workflowservice.v1.WorkflowService",
    "admin": ADMIN_SERVICE,
    "operator": "temporal.api.operatorservice.v1.OperatorService",
    "history": "temporal.api.workflowservice.v1.HistoryService",
    "matching": "temporal.api.workflowservice.v1.MatchingService",
}
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Ring:
    role: str
    member_count: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class ClusterDescription:
    """What DescribeCluster says about the cluster: membership per role, shard count."""

    server_version: str
    cluster_name: str
    history_shard_count: int
    persistence_store: str
    visibility_store: str
    current_host: str
    reachable_members: tuple[str, ...]
    rings: tuple[Ring, ...] = field(default_factory=tuple)

    def ring(self, role: str) -> Ring | None:
        return next((ring for ring in self.rings if ring.role == role), None)

    def render(self) -> str:
        lines = [
            f"server {self.server_version}, cluster {self.cluster_name!r}, "
            f"history shards {self.history_shard_count}",
            f"persistence {self.persistence_store}, visibility {self.visibility_store}",
            f"answered by {self.current_host}; reachable members: "
            f"{', '.join(self.reachable_members) or '(none)'}",
        ]
        for ring in self.rings:
            lines.append(
                f"ring {ring.role:<9} {ring.member_count} member(s): "
                f"{', '.join(ring.members) or '(none)'}"
            )
        return "\n".join(lines)


def _unary(channel: grpc.Channel, path: str, request: str, response: str) -> Any:
    request_type, response_type = message_class(request), message_class(response)
    return channel.unary_unary(
        path,
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_type.FromString,
    ), request_type


def _call(
    address: str, path: str, request: str, response: str, timeout: float, **fields: Any
) -> Any:
    with channel_to(address) as channel:
        method, request_type = _unary(channel, path, request, response)
        return method(request_type(**fields), timeout=timeout)


def deep_health(address: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """AdminService.DeepHealthCheck: the frontend asks every history host of its ring for
    its health (RPC and persistence latency and errors) and answers for all of them."""
    answer = _call(
        address,
        f"/{ADMIN_SERVICE}/DeepHealthCheck",
        "Empty",
        "DeepHealthCheckResponse",
        timeout,
    )
    return HEALTH_STATES.get(int(answer.state), f"state {answer.state}")


def describe_cluster(address: str, timeout: float = DEFAULT_TIMEOUT) -> ClusterDescription:
    answer = _call(
        address, f"/{ADMIN_SERVICE}/DescribeCluster", "Empty", "DescribeClusterResponse", timeout
    )
    info = answer.membership_info
    return ClusterDescription(
        server_version=answer.server_version,
        cluster_name=answer.cluster_name,
        history_shard_count=int(answer.history_shard_count),
        persistence_store=answer.persistence_store,
        visibility_store=answer.visibility_store,
        current_host=info.current_host.identity,
        reachable_members=tuple(info.reachable_members),
        rings=tuple(
            Ring(r.role, int(r.member_count), tuple(m.identity for m in r.members))
            for r in info.rings
        ),
    )


def grpc_health(address: str, service: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """grpc.health.v1 Check of one service at one address: SERVING, NOT_SERVING, ..."""
    answer = _call(
        address, HEALTH_METHOD, "HealthCheckRequest", "HealthCheckResponse", timeout,
        service=service,
    )  # fmt: skip
    return SERVING_STATUS.get(int(answer.status), f"status {answer.status}")


def rpc_failure(exc: grpc.RpcError) -> str:
    """One line for a failed call: the gRPC code and the server's message."""
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{code.name if code else 'error'}: {details}"
