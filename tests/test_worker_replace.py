"""A dead test worker replaced by a new process: same task queue, an identity of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import LoopRunner

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures import worker as fixture_module
from temporal_acceptance.fixtures.worker import TestWorker, spec_for

ENDPOINTS = type(
    "Endpoints",
    (),
    {"temporal_address": "127.0.0.1:7233", "namespace": "default",
     "worker_conninfo": lambda self, db: f"dbname={db}", "frontend_tls": FrontendTls()},
)()  # fmt: skip


@dataclass
class FakeRun:
    settings: Settings
    endpoints: Any = ENDPOINTS

    async def client(self) -> str:
        return "client"


@dataclass
class FakeDriver:
    spec: Any
    events: list[str] = field(default_factory=list)

    async def start(self, client: Any) -> int:
        self.events.append(f"start {self.spec.identity.split('@')[0]}")
        return 1

    async def wait_polling(self, client: Any, timeout: float) -> list[str]:
        self.events.append("polling")
        return ["workflow", "activity"]

    def close(self) -> None:
        self.events.append("closed")


def test_a_replacement_polls_the_same_queue_under_the_next_identity(tmp_path: Path) -> None:
    run = FakeRun(Settings(state_dir=tmp_path))
    first = spec_for(run, "acceptance_app", "tok", 1)  # type: ignore[arg-type]
    third = spec_for(run, "acceptance_app", "tok", 3)  # type: ignore[arg-type]
    assert first.task_queue == third.task_queue
    assert first.identity.startswith("temporal-acceptance-worker-tok@")
    assert third.identity.startswith("temporal-acceptance-worker-tok-3@")


def test_replace_closes_the_old_driver_and_starts_a_polling_one(
    tmp_path: Path, run: LoopRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fixture_module, "WorkerDriver", FakeDriver)
    fixture = TestWorker({}, token="tok")
    fake_run = FakeRun(Settings(state_dir=tmp_path))
    old = run(fixture.ensure(fake_run))  # type: ignore[arg-type]
    new = run(fixture.replace(fake_run))  # type: ignore[arg-type]
    assert old.events == ["start temporal-acceptance-worker-tok", "polling", "closed"]
    assert new.events == ["start temporal-acceptance-worker-tok-2", "polling"]
    assert fixture.driver is new
    assert fixture.incarnation == 2
