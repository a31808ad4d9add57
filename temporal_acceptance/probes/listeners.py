"""What each service of the deployment listens on, as the stack reads it (native: the
sockets of its processes; compose: the ports published on the host)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from temporal_acceptance.core.ports import Listener
from temporal_acceptance.stack.base import Service, Stack


@dataclass(frozen=True)
class ListenerReading:
    by_service: dict[str, list[Listener]]

    def render(self) -> str:
        lines = []
        for service, listeners in self.by_service.items():
            shown = [listener.describe() for listener in listeners] or ["(none seen)"]
            lines += [f"{service:<9} {item}" for item in shown]
        return "\n".join(lines)


def read_listeners(stack: Stack, names: Iterable[str]) -> ListenerReading:
    services = [Service.parse(name) for name in names]
    return ListenerReading({service.value: stack.listening(service) for service in services})
