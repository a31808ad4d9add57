"""The Stack interface every target implements; steps never ask which target they run on."""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.core.errors import NotSupportedOnTarget, UserError
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.secrets import Secret, redact
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.provision.binaries import ReleaseSchema, release_schema
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


@dataclass
class ServiceStatus:
    service: Service
    running: bool
    healthy: bool
    detail: str = ""
    pid: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        state = "healthy" if self.healthy else ("running, not healthy" if self.running else "down")
        pid = f" pid {self.pid}" if self.pid else ""
        detail = f" — {self.detail}" if self.detail else ""
        return f"{self.service.value:<9} {state}{pid}{detail}"


class Stack(abc.ABC):
    """A Temporal + PostgreSQL deployment the suite can observe and (maybe) disrupt."""

    target: str = "abstract"
    supports_disruption: bool = True
    # The persistence-breaking mutant in effect ("" = none): see enable_mutant.
    mutant: str = ""

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

    def restart(self, service: Service) -> None:
        self.stop(service)
        self.start(service)

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

    @abc.abstractmethod
    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]: ...

    @abc.abstractmethod
    def endpoints(self) -> Endpoints: ...

    @abc.abstractmethod
    def datastores(self) -> list[DataStore]:
        """The connection strings the Temporal server actually runs with."""

    def known_secrets(self) -> list[Secret]:
        """The deployment's secrets, to redact wherever its output is shown."""
        return [self.endpoints().postgres_password]

    def effective_config(self) -> dict[str, Any]:
        """What the deployment runs with, secrets redacted (for the report)."""
        return {"target": self.target, "settings": self.settings.describe()}

    def config_text(self, redacted: bool = True) -> str:
        """The effective configuration as YAML, redacted of every known secret unless asked
        (the configuration gate reads the raw rendering: redaction must not hide a leak)."""
        text = yaml.safe_dump(self.effective_config(), sort_keys=False)
        return redact(text, self.known_secrets()) if redacted else text

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
