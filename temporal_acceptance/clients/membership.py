"""What the Temporal server says about its own cluster: the membership rings (AdminService
DescribeCluster, served by the frontend) and the gRPC health of a role's own port.

The Python SDK has no AdminService stubs; this is a grpcio call with bytes in and out, the
answer read by field number (clients/protowire.py; field numbers from v1.30.8's
proto/internal/temporal/server/api/{adminservice,cluster}/v1). Only loopback addresses and
the suite's own containers are dialled.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from temporal_acceptance.clients.grpc_channels import channel_to
from temporal_acceptance.clients.protowire import encode_string, fields, messages, number, text

DESCRIBE_CLUSTER = "/temporal.server.api.adminservice.v1.AdminService/DescribeCluster"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
# The grpc.health.v1 service each role registers (service/<role>/handler.go).
ROLE_HEALTH_SERVICE = {
    "frontend": "temporal.api.workflowservice.v1.WorkflowService",
    "history": "temporal.api.workflowservice.v1.HistoryService",
    "matching": "temporal.api.workflowservice.v1.MatchingService",
}
SERVING_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
TIMEOUT = 5.0


@dataclass(frozen=True)
class Rings:
    """Each role's ring as the answering frontend sees it: role → member identities
    (host:gRPC port), and the cluster's history shard count."""

    members: dict[str, tuple[str, ...]]
    history_shards: int
    answered_by: str

    def render(self) -> str:
        lines = [f"answered by {self.answered_by}; history shards: {self.history_shards}"]
        lines += [
            f"{role:<9} {len(hosts)} host(s): {', '.join(hosts) or '(none)'}"
            for role, hosts in sorted(self.members.items())
        ]
        return "\n".join(lines)


def _unary(address: str, method: str, request: bytes, timeout: float) -> bytes:
    with channel_to(address) as channel:
        call = channel.unary_unary(method)
        answer: bytes = call(request, timeout=timeout)
        return answer


def describe_rings(frontend: str, timeout: float = TIMEOUT) -> Rings:
    """DescribeCluster: response field 3 membership_info {1 current_host {1 identity},
    3 rings {1 role, 2 member_count, 3 members {1 identity}}}, 6 history_shard_count."""
    return rings_from(_unary(frontend, DESCRIBE_CLUSTER, b"", timeout))


def rings_from(data: bytes) -> Rings:
    """A DescribeClusterResponse's rings, shard count and answering host."""
    answer = fields(data)
    info = (messages(answer, 3) or [{}])[0]
    current = (messages(info, 1) or [{}])[0]
    members = {
        text(ring, 1): tuple(sorted(text(host, 1) for host in messages(ring, 3)))
        for ring in messages(info, 3)
    }
    return Rings(members, number(answer, 6), text(current, 1))


def grpc_health(address: str, service: str, timeout: float = TIMEOUT) -> str:
    """grpc.health.v1 Check of `service` at `address`: SERVING, NOT_SERVING, ..."""
    answer = fields(_unary(address, HEALTH_CHECK, encode_string(1, service), timeout))
    status = number(answer, 1)
    return SERVING_STATUS.get(status, f"status {status}")


def rpc_failure(exc: grpc.RpcError) -> str:
    """One line for a failed call: the gRPC code and the server's message."""
    code = exc.code() if isinstance(exc, grpc.Call) else None
    details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
    return f"{code.name if code else 'error'}: {details}"
