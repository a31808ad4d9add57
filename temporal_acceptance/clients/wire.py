"""The few Temporal server messages the suite reads that no Python package ships: the
AdminService's DeepHealthCheck and DescribeCluster, gRPC health, and two blobs Temporal
stores in PostgreSQL (a shard's ShardInfo, the cluster's ClusterMetadata).

Each message is described here with google.protobuf descriptors for only the fields the
suite reads; the field numbers are the server's (proto/internal/temporal/server/api/... in
go.temporal.io/server v1.30.8). Unknown fields are skipped by protobuf, so a newer server
that adds fields still decodes. Nothing here is generated or copied from upstream.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "tacc.wire"
FieldType = descriptor_pb2.FieldDescriptorProto

# name → [(field name, number, type, repeated, message type name)]
_MESSAGES: dict[str, list[tuple[str, int, int, bool, str]]] = {
    "Empty": [],
    "DeepHealthCheckResponse": [("state", 1, FieldType.TYPE_INT32, False, "")],
    "HostInfo": [("identity", 1, FieldType.TYPE_STRING, False, "")],
    "RingInfo": [
        ("role", 1, FieldType.TYPE_STRING, False, ""),
        ("member_count", 2, FieldType.TYPE_INT32, False, ""),
        ("members", 3, FieldType.TYPE_MESSAGE, True, "HostInfo"),
    ],
    "MembershipInfo": [
        ("current_host", 1, FieldType.TYPE_MESSAGE, False, "HostInfo"),
        ("reachable_members", 2, FieldType.TYPE_STRING, True, ""),
        ("rings", 3, FieldType.TYPE_MESSAGE, True, "RingInfo"),
    ],
    "DescribeClusterResponse": [
        ("server_version", 2, FieldType.TYPE_STRING, False, ""),
        ("membership_info", 3, FieldType.TYPE_MESSAGE, False, "MembershipInfo"),
        ("cluster_id", 4, FieldType.TYPE_STRING, False, ""),
        ("cluster_name", 5, FieldType.TYPE_STRING, False, ""),
        ("history_shard_count", 6, FieldType.TYPE_INT32, False, ""),
        ("persistence_store", 7, FieldType.TYPE_STRING, False, ""),
        ("visibility_store", 8, FieldType.TYPE_STRING, False, ""),
    ],
    "HealthCheckRequest": [("service", 1, FieldType.TYPE_STRING, False, "")],
    "HealthCheckResponse": [("status", 1, FieldType.TYPE_INT32, False, "")],
    # persistence.v1.ShardInfo, the `data` of a row of the shards table
    "ShardInfo": [
        ("shard_id", 1, FieldType.TYPE_INT32, False, ""),
        ("range_id", 2, FieldType.TYPE_INT64, False, ""),
        ("owner", 3, FieldType.TYPE_STRING, False, ""),
    ],
    # persistence.v1.ClusterMetadata, the `data` of cluster_metadata_info
    "ClusterMetadata": [
        ("cluster_name", 1, FieldType.TYPE_STRING, False, ""),
        ("history_shard_count", 2, FieldType.TYPE_INT32, False, ""),
        ("cluster_id", 3, FieldType.TYPE_STRING, False, ""),
    ],
}

# enums.v1.HealthState and grpc.health.v1 ServingStatus, by number.
HEALTH_STATES = {0: "UNSPECIFIED", 1: "SERVING", 2: "NOT_SERVING", 3: "DECLINED_SERVING"}
SERVING_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


@cache
def _pool() -> descriptor_pool.DescriptorPool:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tacc/wire.proto", package=_PACKAGE, syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=name)
        for field_name, number, kind, repeated, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=kind)
            field.label = FieldType.LABEL_REPEATED if repeated else FieldType.LABEL_OPTIONAL
            if type_name:
                field.type_name = f".{_PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return pool


def message_class(name: str) -> Any:
    """The message class of one of the messages above."""
    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(f"{_PACKAGE}.{name}"))


def decode(name: str, data: bytes) -> Any:
    message = message_class(name)()
    message.ParseFromString(bytes(data))
    return message
