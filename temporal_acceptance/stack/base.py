"""The Stack interface every target implements; steps never ask which target they run on."""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import DataStore, Endpoints, PostgresAddress
from temporal_acceptance.core.errors import NotSupportedOnTarget, UserError
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.ports import Listener
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import parse_topology
from temporal_acceptance.provision.binaries import ReleaseSchema, release_schema
from temporal_acceptance.stack.facts import DataLocation, TemporalFacts
from temporal_acceptance.stack.mutants import parse_mutant
from temporal_acceptance.stack.release import SchemaUpdate


class Service(StrEnum):
    POSTGRES = "postgres"
    TEMPORAL = "temporal"
    UI = "ui"

    @classmethod
    def parse(cls, name: str) -> Service:
        aliases = {"postgresql": "postgres", "temporal-server": "temporal", "web": "ui"}
        key = aliases.get(name.strip().lower(), name.strip().lower())
        try:
            return cls(key)
        except ValueError:
            raise UserError(
                f"unknown service {name!r}", f"use one of: {', '.join(s.value for s in cls)}"
            ) from None


# Start order; stop order is the reverse.
START_ORDER = (Service.POSTGRES, Service.TEMPORAL, Service.UI)


@dataclass(frozen=True)
class Process:
    """One process (native) or container (compose) of a service. A service with one
    process has one named like the service; a multirole Temporal has one per role and
    history host (`history-1`, ...), addressed by the role it serves."""

    service: Service
    name: str
    role: str = ""  # the Temporal role it serves ("" = all of its service)

    @property
    def label(self) -> str:
        """How the report and messages name it: "temporal history-1", "postgres"."""
        return self.name if self.name == self.service.value else f"{self.service.value} {self.name}"


# The detail of a service whose process is gone and says nothing more (no exit code).
NOT_RUNNING = "not running"


@dataclass
class ServiceStatus:
    service: Service
    running: bool
    healthy: bool
    detail: str = ""
    pid: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # The process this status is about ("" = the whole service).
    process: str = ""

    def line(self) -> str:
        state = "healthy" if self.healthy else ("running, not healthy" if self.running else "down")
        pid = f" pid {self.pid}" if self.pid else ""
        detail = f" — {self.detail}" if self.detail else ""
        name = self.service.value if not self.process else f"{self.service.value} {self.process}"
        return f"{name:<9} {state}{pid}{detail}"


class Stack(abc.ABC):
    """A Temporal + PostgreSQL deployment the suite can observe and (maybe) disrupt."""

    target: str = "abstract"
    supports_disruption: bool = True
    # The persistence-breaking mutant in effect ("" = none): see enable_mutant.
    mutant: str = ""
    # Whether the suite may dial each role's own gRPC address (as the membership ring names
    # it) for its health: loopback processes and the project's own containers, never the
    # hosts of a deployment the suite does not own.
    role_health_dialable: bool = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- lifecycle ---------------------------------------------------------------
    @abc.abstractmethod
    def up(self) -> None:
        """Bring every service up and healthy; harmless when already up."""

    @abc.abstractmethod
    def down(self, purge: bool = False) -> None:
        """Stop every service; keep the data unless purge is True."""

    @abc.abstractmethod
    def stop(self, service: Service) -> None: ...

    @abc.abstractmethod
    def start(self, service: Service) -> None:
        """Start one service and wait until it is healthy."""

    @abc.abstractmethod
    def kill(self, service: Service) -> None:
        """Kill a service abruptly (SIGKILL), as a crash would."""

    def freeze(self, service: Service, seconds: float) -> None:
        """Suspend a service for `seconds` (SIGSTOP, then SIGCONT): the late-timer mutant."""
        raise self._unsupported(f"freezing {service.value}")

    def restart(self, service: Service) -> None:
        self.stop(service)
        self.start(service)

    def launch(self, service: Service) -> None:
        """Start a service's process without waiting for it to be healthy, as a supervisor
        does (it may exit at once, e.g. with its database away)."""
        raise self._unsupported(f"starting {service.value} without waiting")

    def exited(self, service: Service) -> str | None:
        """How a launched service ended ("exit status 1: ..."), or None while it runs."""
        status = self.status(service)
        return None if status.running else status.detail or NOT_RUNNING

    # -- processes: a service may run as several (topology=multirole) ------------------
    def processes(self, service: Service) -> list[Process]:
        """The service's processes, in start order (one, named like it, unless the
        topology splits it)."""
        return [Process(service, service.value)]

    def all_processes(self) -> list[Process]:
        return [process for service in START_ORDER for process in self.processes(service)]

    def process_named(self, service: Service, name: str) -> Process:
        """The process called `name` ("" or the service's own name: the whole service)."""
        found = [p for p in self.processes(service) if p.name == (name or service.value)]
        if not found:
            raise UserError(
                f"this deployment runs no {service.value} process called {name!r}",
                f"its processes: {', '.join(p.name for p in self.processes(service))}",
            )
        return found[0]

    def process_for(self, service: Service, role: str, index: int = 1) -> Process:
        """The `index`-th process serving `role` (one line naming the topology if none)."""
        serving = [p for p in self.processes(service) if p.role == role]
        if len(serving) < index:
            raise UserError(
                f"this deployment runs no separate {role} process #{index} "
                f"(topology {self.settings.topology})",
                "run the per-role gates with topology=multirole (TACC_TOPOLOGY=multirole)",
            )
        return serving[index - 1]

    def ring_identity(self, process: Process) -> str:
        """How Temporal's membership ring (and a shard's owner) names this process:
        its broadcast address and gRPC port."""
        raise self._unsupported(f"naming the ring identity of {process.label}")

    def kill_process(self, process: Process) -> None:
        """SIGKILL one process and leave it down (a crashed host nobody restarted)."""
        self._whole_service(process, "kill")
        self.kill(process.service)

    def start_process(self, process: Process) -> None:
        """Start one process and wait until it is healthy."""
        self._whole_service(process, "start")
        self.start(process.service)

    def stop_process(self, process: Process) -> None:
        self._whole_service(process, "stop")
        self.stop(process.service)

    def restart_process(self, process: Process) -> None:
        self.stop_process(process)
        self.start_process(process)

    def process_status(self, process: Process) -> ServiceStatus:
        self._whole_service(process, "observe")
        return self.status(process.service)

    def process_logs(
        self, process: Process, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        self._whole_service(process, "read the log of")
        return self.logs(process.service, since, until)

    def _whole_service(self, process: Process, operation: str) -> None:
        if process.name != process.service.value:
            raise self._unsupported(f"{operation} the single process {process.label}")

    # -- release changes (upgrade, rollback, restore): see docs/UPGRADES.md --------------
    def use_release(self, temporal_version: str, ui_version: str) -> None:
        """Run these releases from the next start of Temporal and the UI on (same data)."""
        raise self._unsupported("changing the Temporal release")

    def update_schemas(self) -> list[SchemaUpdate]:
        """Both schemas brought to the current release's versions (Temporal stopped)."""
        raise self._unsupported("updating the schemas")

    def update_schema_commands(self) -> list[str]:
        """The update-schema commands for the current release, as a user would run them."""
        raise self._unsupported("updating the schemas")

    def record_release(self) -> None:
        """Record the releases now running with the deployment."""
        raise self._unsupported("changing the Temporal release")

    # -- mutants: deliberately broken variants that prove the gates can fail ------------
    def enable_mutant(self, name: str) -> None:
        """Switch a mutant of the catalogue (stack/mutants.py) on for the rest of the run
        (never on by default); a target with none raises the one line that says so."""
        self.mutant = parse_mutant(name, self.target).name

    def disable_mutant(self) -> None:
        """Switch the mutant off and put the deployment back onto its real data."""
        self.mutant = ""

    # -- observation -------------------------------------------------------------
    @abc.abstractmethod
    def status(self, service: Service) -> ServiceStatus: ...

    def healthy(self, service: Service) -> bool:
        return self.status(service).healthy

    def has_logs(self, service: Service) -> bool:
        """Whether this service's log can be read (an external deployment may not say)."""
        del service
        return True

    @abc.abstractmethod
    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]: ...

    @abc.abstractmethod
    def endpoints(self) -> Endpoints: ...

    @abc.abstractmethod
    def datastores(self) -> list[DataStore]:
        """The connection strings the Temporal server actually runs with."""

    def listening(self, service: Service) -> list[Listener]:
        """Every socket the service accepts traffic on from this machine (native: what its
        processes listen on; compose: the ports published on the host)."""
        raise self._unsupported("reading listening sockets")

    def secrets(self) -> dict[str, Secret]:
        """Every secret of the deployment by what it is ("Temporal's PostgreSQL password",
        ...): the secrets gate looks for each in what the run wrote, naming it, never
        showing it."""
        return {"Temporal's PostgreSQL password": self.endpoints().postgres_password}

    def admin_address(self) -> PostgresAddress | None:
        """PostgreSQL's admin role, for the few readings only it may make (the live data
        directory); None where the suite does not hold the admin's password."""
        return None

    def maintenance_endpoints(self) -> Endpoints:
        """The endpoints with the admin as PostgreSQL's role where the suite holds it: what
        backups and restores use (a restore drops and re-creates Temporal's databases, which
        Temporal's own role may not: least privilege). Elsewhere Temporal's role."""
        endpoints, admin = self.endpoints(), self.admin_address()
        if admin is None:
            return endpoints
        return replace(
            endpoints,
            postgres_user=admin.user,
            postgres_password=admin.password,
            postgres_ca_file=admin.ca_file or endpoints.postgres_ca_file,
        )

    def known_secrets(self) -> list[Secret]:
        """The deployment's secrets, to redact wherever its output is shown."""
        return list(self.secrets().values())

    def log_files(self) -> list[Path]:
        """The files the deployment's services log to (the secrets gate reads what a run
        added to each); none when its logs are not files (compose: container_logs)."""
        return []

    def container_logs(self, since: datetime) -> dict[str, str]:
        """Container name → what it logged since `since` (targets whose services log to
        files return none: log_files)."""
        return {}

    def effective_config(self) -> dict[str, Any]:
        """What the deployment runs with, secrets redacted (for the report)."""
        return {"target": self.target, "settings": self.settings.describe()}

    def config_text(self, redacted: bool = True) -> str:
        """The effective configuration as YAML, redacted of every known secret unless asked
        (the configuration gate reads the raw rendering: redaction must not hide a leak)."""
        text = yaml.safe_dump(self.effective_config(), sort_keys=False)
        return redact(text, self.known_secrets()) if redacted else text

    def temporal_facts(self) -> TemporalFacts:
        """What the deployment's configuration says (roles, shards, pools, payload limit);
        a target that cannot read its configuration knows only the topology it was given."""
        return TemporalFacts(topology=parse_topology(self.settings.topology))

    def data_location(self) -> DataLocation | None:
        """Where PostgreSQL's live data directory must lie (None: not known here)."""
        return None

    def postgres_tls(self) -> bool:
        """Whether this deployment's PostgreSQL must accept only TLS on TCP."""
        return self.settings.postgres_tls

    def expected_schema(self) -> ReleaseSchema:
        """What the deployed Temporal release expects of its databases (its schema files)."""
        return release_schema(self.settings.temporal_version, os.environ)

    def versions(self) -> dict[str, str]:
        return {
            "temporal_server": self.settings.temporal_version,
            "ui_server": self.settings.ui_version,
            "postgres_major": str(self.settings.postgres_major),
        }

    def _unsupported(self, operation: str) -> NotSupportedOnTarget:
        return NotSupportedOnTarget(operation, self.target)
