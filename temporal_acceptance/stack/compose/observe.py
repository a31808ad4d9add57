"""What the compose target reads off the docker engine for the security gates: the ports a
container publishes on the host (the listener gate), every container's log since a moment
(the secrets gate), and whether a project's volumes and containers are the suite's own
(`down --purge`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.ports import Listener
from temporal_acceptance.stack.compose.engine import PROJECT_LABEL, ContainerLike, state_of
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
