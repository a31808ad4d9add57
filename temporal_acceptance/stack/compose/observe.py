"""What the compose target reads off the docker engine for the security gates: the ports a
container publishes on the host (the listener gate), every container's log since a moment
(the secrets gate), and whether a project's volumes and containers are the suite's own
(`down --purge`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.ports import Listener
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.compose.engine import (
    PROJECT_LABEL,
    ContainerLike,
    network_names,
    published_port,
    state_of,
)
from temporal_acceptance.stack.compose.secrets import foreign_resources


def published_listeners(container: ContainerLike) -> list[Listener]:
    """Each host binding of the container's ports; docker's empty HostIp means every
    address of the host."""
    bindings = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    found = []
    for port_protocol, hosts in sorted(bindings.items()):
        protocol = port_protocol.partition("/")[2] or "tcp"
        for binding in hosts or []:
            port = str(binding.get("HostPort", ""))
            if port.isdigit():
                address = binding.get("HostIp") or "0.0.0.0"  # noqa: S104 (docker's meaning)
                found.append(Listener(protocol, address, int(port)))
    return found


def project_containers(client: Any, project: str) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}))


def project_logs(client: Any, project: str, since: datetime) -> dict[str, str]:
    """Container name → its log since `since` (services and one-off jobs alike)."""
    logs = {}
    for container in project_containers(client, project):
        raw = container.logs(stdout=True, stderr=True, since=max(1, math.floor(since.timestamp())))
        logs[container.name] = (
            raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        )
    return logs


def foreign_project_resources(client: Any, project: str, deployment: str) -> list[str]:
    """The project's volumes and containers that do not carry this deployment's label."""
    resources = [
        (f"container {c.name}", dict(c.labels)) for c in project_containers(client, project)
    ]
    volumes = client.volumes.list(filters={"label": f"{PROJECT_LABEL}={project}"})
    resources += [(f"volume {v.name}", dict(v.attrs.get("Labels") or {})) for v in volumes]
    return foreign_resources(resources, deployment)


def container_summary(find: Callable[[str], Any | None], services: Iterable[str]) -> dict[str, str]:
    """Service → its container, state and image (for the report)."""
    summary = {}
    for service in services:
        container = find(service)
        if container is not None:
            image = (container.attrs.get("Config") or {}).get("Image", "?")
            summary[service] = f"{container.name}: {state_of(container)[2]}, image {image}"
    return summary


def require_own_project(client: Any, project: str, deployment: str) -> None:
    """Refuse (one line) to purge a project whose resources the suite did not create."""
    foreign = foreign_project_resources(client, project, deployment)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise UserError(
            f"the compose project {project!r} was not created by temporal-acceptance for "
            f"this deployment ({', '.join(foreign[:3])}{more} without its "
            "io.temporal-acceptance.deployment label)",
            "refusing to delete its volumes; `down` without --purge keeps them, or remove "
            "them by hand if you mean it",
        )


def log_tail(container: Any | None, compose_service: str, secrets: list[Secret], count: int) -> str:
    """The container's last log lines (redacted) for an error message."""
    if container is None:
        return f"(no {compose_service} container)"
    raw = container.logs(stdout=True, stderr=True, tail=count)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    # Temporal logs long JSON lines: the start of each says what happened.
    lines = [line if len(line) <= 400 else line[:397] + "..." for line in text.splitlines()]
    body = redact("\n".join(lines), secrets)
    return f"last lines of {container.name} (docker logs {container.name}):\n{body}"


def failed_state(container: Any) -> str:
    """The container's state line when it exited with an error or is unhealthy, else ''."""
    running, health, line = state_of(container)
    failed = (not running and not line.endswith("(exit code 0)")) or health == "unhealthy"
    return line if failed else ""


def datastores_seen_from_host(stores: Iterable[Any], containers: list[Any]) -> list[DataStore]:
    """The server's datastores (compose service names and ports inside the project's network)
    as the suite reaches them: through the port the owning container publishes on the host."""
    found = []
    for store in stores:
        owner = next((c for c in containers if store.host in network_names(c)), None)
        reachable = published_port(owner, store.port) if owner is not None else None
        found.append(store.as_datastore(reachable))
    return found


# A one-off job (schema setup, namespace registration) may take this long.
JOB_TIMEOUT = 180.0


def wait_job(find: Callable[[], Any | None], compose_service: str, tail: Callable[[], str]) -> None:
    """Wait until the job's container has exited; one line with its log if it failed."""

    def finished() -> tuple[bool, str]:
        container = find()
        if container is None:
            return False, "no container yet"
        running, _, line = state_of(container)
        return not running, line

    _, line = wait_until(
        finished,
        what=f"the {compose_service} job to finish",
        timeout=JOB_TIMEOUT,
        accept=lambda seen: seen[0],
        describe=lambda seen: seen[1],
        hint=tail,
    )
    if not line.endswith("(exit code 0)"):
        raise UserError(
            f"the {compose_service} job failed: {line}\n{tail()}",
            f"fix what its log says, then run up again (docker logs of {compose_service})",
        )


def endpoints_view(endpoints: Endpoints) -> dict[str, str]:
    """The endpoints as the recorded configuration shows them (no password)."""
    return {
        "postgres": f"{endpoints.postgres_host}:{endpoints.postgres_port}",
        "postgres_user": endpoints.postgres_user,
        "postgres_password": "***",
        "temporal_frontend": endpoints.temporal_address,
        "ui": endpoints.ui_url,
    }
