"""The process level of a native stack: with topology=multirole Temporal runs as one
process per role (two history hosts), and the per-process gates (kill one history host,
restart the frontend, ...) address each of them; single-process services answer as the
whole service (Stack's defaults)."""

from __future__ import annotations

import time
from datetime import datetime

from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.ports import require_free
from temporal_acceptance.core.progress import Say, format_elapsed
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.stack.base import NOT_RUNNING, Process, Service, ServiceStatus, Stack
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.native.topology import MultiroleTemporal


class RoleProcesses(Stack):
    """A Stack whose Temporal may be a MultiroleTemporal (`roles`)."""

    roles: MultiroleTemporal | None
    layout: Layout
    say: Say

    def processes(self, service: Service) -> list[Process]:
        if service is Service.TEMPORAL and self.roles:
            return [Process(service, host.spec.name, host.spec.role) for host in self.roles.hosts]
        return super().processes(service)

    def _role(self, process: Process) -> MultiroleTemporal | None:
        """The multirole Temporal when `process` is one of its role processes."""
        return self.roles if process.service is Service.TEMPORAL and self.roles else None

    def ring_identity(self, process: Process) -> str:
        if (roles := self._role(process)) is None:
            return super().ring_identity(process)
        return f"{self.settings.host}:{roles.role_host(process.name).grpc_port}"

    def kill_process(self, process: Process) -> None:
        if (roles := self._role(process)) is None:
            return super().kill_process(process)
        roles.kill_host(process.name)

    def stop_process(self, process: Process) -> None:
        if (roles := self._role(process)) is None:
            return super().stop_process(process)
        roles.stop_host(process.name)

    def start_process(self, process: Process) -> None:
        if (roles := self._role(process)) is None:
            return super().start_process(process)
        started = time.monotonic()
        host = roles.role_host(process.name)
        if not host.process.running():
            for port, purpose in host.bound_ports:
                require_free(port, f"Temporal {process.name} {purpose}", "TACC_TEMPORAL_PORT")
        roles.start_host(process.name, self.layout.ensure_password())
        self.say(f"  {process.label} up ({format_elapsed(time.monotonic() - started)})")

    def process_status(self, process: Process) -> ServiceStatus:
        if (roles := self._role(process)) is None:
            return super().process_status(process)
        host = roles.role_host(process.name)
        pid = host.process.pid()
        if pid is None:
            return ServiceStatus(process.service, False, False, NOT_RUNNING, process=process.name)
        try:
            healthy, detail = roles.host_ready(host)
        except Exception as exc:  # any failure to answer is "not healthy", with its reason
            healthy, detail = False, f"{type(exc).__name__}: {redact(str(exc))}"
        return ServiceStatus(process.service, True, healthy, detail, pid, process=process.name)

    def process_logs(
        self, process: Process, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        if (roles := self._role(process)) is None:
            return super().process_logs(process, since, until)
        return roles.host_logs(process.name, since, until)
