"""A Stack that records what is done to it: the boundary the persistence logic drives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Service, ServiceStatus, Stack


class RecordingStack(Stack):
    target = "fake"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings or Settings())
        self.calls: list[str] = []
        self.healthy_services = set(Service)
        self.lines: dict[Service, list[LogLine]] = {}
        # Called with the operation's name; may advance a clock or raise.
        self.on_call: Callable[[str], None] = lambda name: None

    def _do(self, name: str) -> None:
        self.calls.append(name)
        self.on_call(name)

    def up(self) -> None:
        self._do("up")
        self.healthy_services = set(Service)

    def down(self, purge: bool = False) -> None:
        self._do("down")
        self.healthy_services = set()

    def stop(self, service: Service) -> None:
        self._do(f"stop {service.value}")
        self.healthy_services.discard(service)

    def start(self, service: Service) -> None:
        self._do(f"start {service.value}")
        self.healthy_services.add(service)

    def kill(self, service: Service) -> None:
        self._do(f"kill {service.value}")
        self.healthy_services.discard(service)

    def status(self, service: Service) -> ServiceStatus:
        healthy = service in self.healthy_services
        return ServiceStatus(service, running=healthy, healthy=healthy)

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        return [
            line
            for line in self.lines.get(service, [])
            if (since is None or line.ts >= since) and (until is None or line.ts <= until)
        ]

    def endpoints(self) -> Endpoints:
        return Endpoints("127.0.0.1:1", "default", "http://127.0.0.1:2", "127.0.0.1", 3, "u",
                         Secret("pw"))  # fmt: skip

    def datastores(self) -> list[DataStore]:
        return []

    def enable_mutant(self, name: str) -> Any:
        self._do(f"mutant {name}")
        self.mutant = name

    def disable_mutant(self) -> None:
        self._do("mutant off")
        self.mutant = ""
