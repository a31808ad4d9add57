"""Whether a compose service really answers, seen from the suite's side of the published
ports (docker's own healthcheck runs inside the container and sees less)."""

from __future__ import annotations

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, Endpoints
from temporal_acceptance.clients.postgres import connect as connect_postgres
from temporal_acceptance.clients.temporal import connect, frontend_ready, namespace_usable, run_sync
from temporal_acceptance.clients.ui_http import ui_healthy
from temporal_acceptance.stack.base import Service


def probe_service(service: Service, endpoints: Endpoints) -> tuple[bool, str]:
    """(answers as it should, what was seen); raises when it cannot be reached at all."""
    if service is Service.POSTGRES:
        # As Temporal's role, which may connect to its own databases only.
        with connect_postgres(endpoints, TEMPORAL_DATABASE) as conn:
            conn.execute("select 1")
        return True, f"accepts connections on {endpoints.postgres_host}:{endpoints.postgres_port}"
    if service is Service.TEMPORAL:
        return run_sync(lambda: frontend_ready(endpoints.temporal_address, endpoints.namespace))
    ok = ui_healthy(endpoints.ui_url)
    return ok, f"{endpoints.ui_url}/healthz {'OK' if ok else 'not OK'}"


def namespace_served(endpoints: Endpoints) -> bool:
    """The frontend's namespace cache serves the namespace (registered by the namespace job)."""

    async def usable() -> bool:
        client = await connect(endpoints.temporal_address, endpoints.namespace)
        return await namespace_usable(client, endpoints.namespace)

    return run_sync(usable)
