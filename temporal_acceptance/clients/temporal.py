"""Checks made through Temporal's own APIs: health, namespaces, task-queue pollers."""

from __future__ import annotations

import argparse
import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeTaskQueueRequest,
    ListNamespacesRequest,
    ListWorkflowExecutionsRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import ConnectConfig, RPCError, RPCStatusCode, ServiceClient, TLSConfig

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.waiting import wait_until_async

T = TypeVar("T")

WORKFLOW_SERVICE = "temporal.api.workflowservice.v1.WorkflowService"
# Namespaces keep closed workflows this long: enough for a sprint review, not forever.
RETENTION = timedelta(days=3)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, on a private event loop in a
    helper thread, so it never disturbs an event loop the caller (behave) owns."""
    result: list[T] = []
    failure: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(_awaited(factory)))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=runner, name="temporal-check", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


async def _awaited(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """TLS to the frontend for a process the suite starts (the worker, the execute script):
    paths only, so no key material ever shows in argv."""
    group = parser.add_argument_group("TLS to the frontend (default: the suite's settings)")
    group.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
    group.add_argument("--tls-ca", default="", help="CA certificate file (PEM)")
    group.add_argument("--tls-cert", default="", help="client certificate file (mTLS)")
    group.add_argument("--tls-key", default="", help="client key file (mTLS)")
    group.add_argument("--tls-server-name", default="", help="name the certificate must carry")


def tls_from_args(args: argparse.Namespace, default: FrontendTls | None = None) -> FrontendTls:
    if not getattr(args, "tls", None):
        return default or FrontendTls()
    return FrontendTls(True, args.tls_ca, args.tls_cert, args.tls_key, args.tls_server_name)


def settings_tls(settings: Settings) -> FrontendTls:
    """TLS to the frontend as the settings describe it (the external target's TACC_*)."""
    return FrontendTls(
        settings.temporal_tls_on,
        settings.temporal_tls_ca,
        settings.temporal_tls_cert,
        settings.temporal_tls_key,
        settings.temporal_tls_server_name,
    )


def sdk_tls(tls: FrontendTls | None) -> TLSConfig | bool:
    """The SDK's TLS settings from the files (False: plain gRPC)."""
    if tls is None or not tls.enabled:
        return False

    def read(path: str) -> bytes | None:
        return Path(path).read_bytes() if path else None

    return TLSConfig(
        server_root_ca_cert=read(tls.ca_file),
        domain=tls.server_name or None,
        client_cert=read(tls.cert_file),
        client_private_key=read(tls.key_file),
    )


async def frontend_serving(
    address: str, timeout: float = 3.0, tls: FrontendTls | None = None
) -> bool:
    """gRPC health of the frontend's WorkflowService: True when SERVING."""
    client = await ServiceClient.connect(
        ConnectConfig(
            target_host=address, connect_timeout=timedelta(seconds=timeout), tls=sdk_tls(tls)
        )
    )
    return await client.check_health(service=WORKFLOW_SERVICE, timeout=timedelta(seconds=timeout))


async def connect(
    address: str,
    namespace: str,
    identity: str = "temporal-acceptance",
    tls: FrontendTls | None = None,
) -> Client:
    return await Client.connect(address, namespace=namespace, identity=identity, tls=sdk_tls(tls))


async def register_namespace(client: Client, namespace: str) -> bool:
    """Register `namespace`; False when it already existed."""
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace,
                workflow_execution_retention_period=Duration(
                    seconds=int(RETENTION.total_seconds())
                ),
                description="registered by temporal-acceptance",
            )
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            return False
        raise
    return True


async def namespace_usable(client: Client, namespace: str) -> bool:
    """True once the frontend's namespace cache serves `namespace` (a visibility list call
    goes through the cache, unlike DescribeNamespace which reads the database)."""
    await client.workflow_service.list_workflow_executions(
        ListWorkflowExecutionsRequest(namespace=namespace, page_size=1)
    )
    return True


# A namespace-usable probe refused by the visibility rate limiter is asked again this soon.
RATE_LIMITED_RETRY = 0.2


async def frontend_ready(
    address: str, namespace: str, timeout: float = 3.0, tls: FrontendTls | None = None
) -> tuple[bool, str]:
    """(ready, what was seen): the frontend is SERVING *and* serves `namespace`.

    Health alone is not readiness: right after PostgreSQL restarts, a SERVING frontend can
    still answer "Namespace default is not found" until its namespace cache refreshes, and a
    new workflow started then fails. Counting that window as unhealthy keeps it inside the
    measured (and limited) time to recover instead of surfacing as a random failure later.
    """
    if not await frontend_serving(address, timeout, tls):
        return False, f"frontend {address} NOT_SERVING"
    client = await connect(address, namespace, tls=tls)

    async def refusal() -> RPCError | None:
        try:
            await namespace_usable(client, namespace)
        except RPCError as exc:
            return exc
        return None

    # The probe is a visibility call, limited per namespace (frontend.namespaceRPS.visibility,
    # 10/s by default, which the UI spends fast): a refusal by that limiter is asked again
    # within the bound; any other answer is final.
    try:
        refused = await wait_until_async(
            refusal,
            what=f"namespace {namespace!r} on {address} past its visibility rate limit",
            timeout=timeout,
            accept=lambda exc: exc is None or exc.status != RPCStatusCode.RESOURCE_EXHAUSTED,
            describe=str,
            max_delay=RATE_LIMITED_RETRY,
        )
    except WaitTimeout as exc:
        refused_line = str(exc).splitlines()[0]
        return (
            False,
            f"frontend {address} SERVING, namespace {namespace!r} not served: {refused_line}",
        )
    if refused is not None:
        return False, f"frontend {address} SERVING, namespace {namespace!r} not served: {refused}"
    return True, f"frontend {address} SERVING, namespace {namespace!r} served"


async def list_namespaces(client: Client) -> list[str]:
    response = await client.workflow_service.list_namespaces(ListNamespacesRequest(page_size=100))
    return [ns.namespace_info.name for ns in response.namespaces]


@dataclass(frozen=True)
class Poller:
    """A worker Temporal lists as polling a task queue, and when it last polled (the
    server's clock). Temporal keeps listing a worker for minutes after it is gone."""

    identity: str
    last_access: datetime | None


def _queue_type(kind: str) -> TaskQueueType.ValueType:
    if kind == "activity":
        return TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
    return TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW


async def pollers(
    client: Client, namespace: str, task_queue: str, kind: str = "workflow"
) -> list[Poller]:
    """The workers polling `task_queue` for workflow or activity tasks, as Temporal lists them."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=_queue_type(kind),
        )
    )
    return [
        Poller(
            poller.identity,
            poller.last_access_time.ToDatetime(tzinfo=UTC)
            if poller.HasField("last_access_time")
            else None,
        )
        for poller in response.pollers
    ]


async def poller_identities(
    client: Client, namespace: str, task_queue: str, kind: str = "workflow"
) -> list[str]:
    """Identities of the workers polling `task_queue` for workflow or activity tasks."""
    return [poller.identity for poller in await pollers(client, namespace, task_queue, kind)]
