"""topology=multirole on the compose target: compose/multirole.yml runs one Temporal server
container per role (the `temporal` service becomes the frontend) and two history hosts.

The compose stack delegates its Temporal questions here when the topology asks for it:
which containers make up the service, each one's state and docker health, its logs, and
how the membership ring names it (its address on the project network and its role's
default port: each container has an address of its own, so the ports need not differ).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from temporal_acceptance.core.logs import LogLine, window
from temporal_acceptance.core.topology import MULTIROLE, RoleProcess, role_processes
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.base import Process, Service, ServiceStatus, Stack
from temporal_acceptance.stack.compose.engine import grace_period, parse_docker_logs, state_of

# The gRPC port each role listens on inside its container (the server's defaults).
ROLE_PORTS = {"frontend": 7233, "history": 7234, "matching": 7235, "worker": 7239}
KILL_TIMEOUT = 30.0
READY_TIMEOUT = 120.0


def compose_service(spec: RoleProcess) -> str:
    """The frontend keeps the main file's `temporal` service; the others are added."""
    return "temporal" if spec.role == "frontend" else f"temporal-{spec.name}"


class ComposeRoles:
    """The role containers of a multirole compose deployment."""

    def __init__(self, container: Callable[[str], Any | None]) -> None:
        self.container = container  # compose service → its container (or None)
        self.specs = role_processes(MULTIROLE)
        # A stopped or killed container has no address any more: the last one seen names
        # it in the ring and in the shard owners it left behind.
        self.addresses: dict[str, str] = {}

    def processes(self) -> list[Process]:
        return [Process(Service.TEMPORAL, spec.name, spec.role) for spec in self.specs]

    def spec(self, name: str) -> RoleProcess:
        return next(spec for spec in self.specs if spec.name == name)

    def of(self, name: str) -> Any | None:
        return self.container(compose_service(self.spec(name)))

    # -- control -------------------------------------------------------------------------
    def each(self, action: Callable[[str], object], reverse: bool = False) -> None:
        """`action` on every role container, in start order (or the reverse)."""
        for spec in reversed(self.specs) if reverse else self.specs:
            action(spec.name)

    def kill(self, name: str) -> None:
        container = self.of(name)
        if container is None:
            return
        container.kill(signal="SIGKILL")
        wait_until(
            lambda: state_of(reloaded(container))[0],
            what=f"the {name} container to die after SIGKILL",
            timeout=KILL_TIMEOUT,
            accept=lambda running: not running,
        )

    def stop(self, name: str) -> None:
        if (container := self.of(name)) is not None:
            container.stop(timeout=grace_period(container))

    def start(self, name: str) -> bool:
        """Start the container if it exists (False: compose must create it)."""
        container = self.of(name)
        if container is None:
            return False
        container.reload()
        if container.status != "running":
            container.start()
        return True

    # -- observation ---------------------------------------------------------------------
    def status(self, name: str) -> ServiceStatus:
        """Running and healthy by docker's healthcheck (the frontend's answer is probed by
        the stack, which knows its published port)."""
        container = self.of(name)
        if container is None:
            return ServiceStatus(Service.TEMPORAL, False, False, "no container", process=name)
        running, health, line = state_of(reloaded(container))
        pid = (container.attrs.get("State") or {}).get("Pid") or None
        healthy = running and health in (None, "healthy")
        return ServiceStatus(
            Service.TEMPORAL, running, healthy, f"{container.name} {line}", pid, process=name
        )

    def statuses(self) -> list[ServiceStatus]:
        return [self.status(spec.name) for spec in self.specs]

    def identity(self, name: str) -> str:
        """The container's address on its project network and its role's gRPC port."""
        container = self.of(name)
        networks = ((container.attrs if container else {}).get("NetworkSettings") or {}).get(
            "Networks"
        ) or {}
        address = next((n.get("IPAddress") for n in networks.values() if n.get("IPAddress")), "")
        if address:
            self.addresses[name] = address
        address = self.addresses.get(name, "(no address)")
        return f"{address}:{ROLE_PORTS[self.spec(name).role]}"

    def logs(self, name: str, since: datetime | None, until: datetime | None) -> list[LogLine]:
        container = self.of(name)
        if container is None:
            return []
        options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
        if since is not None:
            options["since"] = max(1, math.floor(since.timestamp()))
        if until is not None:
            options["until"] = math.ceil(until.timestamp()) + 1
        lines = parse_docker_logs(container.logs(**options), Service.TEMPORAL.value)
        return [replace(line, process=name) for line in window(lines, since, until)]

    def all_logs(self, since: datetime | None, until: datetime | None) -> list[LogLine]:
        merged = [line for spec in self.specs for line in self.logs(spec.name, since, until)]
        return sorted(merged, key=lambda line: line.ts)


def reloaded(container: Any) -> Any:
    """The container with its state read again from the engine."""
    container.reload()
    return container


class ComposeRoleStack(Stack):
    """The process level of the compose stack: with `roles` set (topology=multirole), each
    Temporal role container is a process of the temporal service."""

    roles: ComposeRoles | None = None

    def _start_role(self, process: Process) -> None:
        """Start the role's container, creating it with compose if it does not exist."""
        raise NotImplementedError

    def _frontend_answers(self) -> bool:
        """The frontend answers through its published port (and serves the namespace)."""
        raise NotImplementedError

    def processes(self, service: Service) -> list[Process]:
        if service is Service.TEMPORAL and self.roles:
            return self.roles.processes()
        return super().processes(service)

    def _roles_of(self, process: Process) -> ComposeRoles | None:
        return self.roles if process.service is Service.TEMPORAL and self.roles else None

    def ring_identity(self, process: Process) -> str:
        roles = self._roles_of(process)
        return roles.identity(process.name) if roles else super().ring_identity(process)

    def kill_process(self, process: Process) -> None:
        roles = self._roles_of(process)
        return roles.kill(process.name) if roles else super().kill_process(process)

    def stop_process(self, process: Process) -> None:
        roles = self._roles_of(process)
        return roles.stop(process.name) if roles else super().stop_process(process)

    def start_process(self, process: Process) -> None:
        if self._roles_of(process) is None:
            return super().start_process(process)
        self._start_role(process)
        wait_until(
            lambda: self.process_status(process),
            what=f"the compose {process.label} container to be running and healthy",
            timeout=READY_TIMEOUT,
            accept=lambda status: status.healthy,
            describe=lambda status: status.line(),
        )
        return None

    def process_status(self, process: Process) -> ServiceStatus:
        if (roles := self._roles_of(process)) is None:
            return super().process_status(process)
        status = roles.status(process.name)
        if process.role == "frontend" and status.healthy and not self._frontend_answers():
            status.healthy = False
            status.detail += "; the frontend does not answer on its published port yet"
        return status

    def process_logs(
        self, process: Process, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        if (roles := self._roles_of(process)) is None:
            return super().process_logs(process, since, until)
        return roles.logs(process.name, since, until)
