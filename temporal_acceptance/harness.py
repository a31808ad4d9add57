"""What a behave run holds for its whole life: settings, the stack, one event loop and one
Temporal client. environment.py creates it; steps reach it as `context.run`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from temporalio.client import Client

from temporal_acceptance.checks.temporal import connect
from temporal_acceptance.compat.deploy import deploy
from temporal_acceptance.reporting.attach import register_secret
from temporal_acceptance.reporting.evidence import LogSource, stack_log_sources
from temporal_acceptance.settings import Settings
from temporal_acceptance.stack.base import START_ORDER, Endpoints, Stack
from temporal_acceptance.stack.factory import make_stack

T = TypeVar("T")

# userdata keys that tune the harness rather than the deployment.
HARNESS_KEYS = (
    "keep_stack",
    # -- workload: the test worker's fault switches (temporal_acceptance.workload.fixture)
    "app_database",
    "worker",
    # -- persistence: a persistence-breaking mutant (stack.enable_mutant), off by default
    "mutant",
)
# Compatibility matrix (Phase 6): `default_stack=off` skips the shared stack (a @matrix-only
# run brings up its own); matrix_* place the per-major stacks (compat/matrix_run.py).
COMPAT_HARNESS_KEYS = (
    "default_stack",
    "matrix_jobs",
    "matrix_root",
    "matrix_temporal_port",
    "matrix_postgres_port",
    "matrix_ui_port",
    "matrix_observations",
    "matrix_suite",
)


@dataclass
class Run:
    settings: Settings
    stack: Stack
    loop: asyncio.AbstractEventLoop
    started_stack: bool = False
    deployed: bool = False  # ensure_up ran: the shared stack belongs to this run
    # Run-long resources owned by one feature area, by name (e.g. the matrix stack pool).
    extensions: dict[str, Any] = field(default_factory=dict)
    _client: Client | None = None
    _endpoints: Endpoints | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Logs other than the stack's services' (e.g. the worker driver registers its output
    # here); a failed scenario's report shows each of them for the scenario's time window.
    extra_log_sources: list[LogSource] = field(default_factory=list)

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str]) -> Run:
        harness = (*HARNESS_KEYS, *COMPAT_HARNESS_KEYS)
        settings = Settings.load({k: v for k, v in userdata.items() if k not in harness})
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        stack = make_stack(settings)
        if userdata.get("mutant"):
            stack.enable_mutant(userdata["mutant"])
        # The stack's settings are the deployment's effective ones (the compose target takes
        # versions and ports from .env unless TACC_* says otherwise).
        return cls(stack.settings, stack, loop)

    def ensure_up(self) -> None:
        """Bring the stack up (reusing a running one); remember whether we started it."""
        if self.stack.supports_disruption:
            self.started_stack = not all(self.stack.status(s).healthy for s in START_ORDER)
            deploy(self.stack.settings, self.stack)  # the version gate (on what the target
            # really deploys: compose reads .env), then up
        self._endpoints = None
        register_secret(self.endpoints.postgres_password)
        self.deployed = True

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = self.stack.endpoints()
        return self._endpoints

    def log_sources(self) -> list[LogSource]:
        """Every log a failed scenario's report should show: services first, then extras."""
        return [*stack_log_sources(self.stack), *self.extra_log_sources]

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the run's single event loop (from a sync step or hook)."""
        return self.loop.run_until_complete(coro)

    async def client(self) -> Client:
        """The run's Temporal client, connected on first use (one per run, one loop)."""
        if self._client is None:
            self._client = await connect(self.endpoints.temporal_address, self.endpoints.namespace)
        return self._client
