"""The namespaces the frontend serves, with their retention."""

from __future__ import annotations

from temporalio.api.workflowservice.v1 import ListNamespacesRequest
from temporalio.client import Client


async def read_retention(client: Client) -> dict[str, float]:
    """Namespace → retention in days, for every namespace the frontend lists."""
    response = await client.workflow_service.list_namespaces(ListNamespacesRequest(page_size=100))
    return {
        ns.namespace_info.name: ns.config.workflow_execution_retention_ttl.ToSeconds() / 86400
        for ns in response.namespaces
    }
