"""The run-wide resource sampling: started only with a deployed stack, follows the worker
once it runs, re-reads the services' pids on demand, writes its figures at the end."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from temporal_acceptance.fixtures import resources as fixture


class Stack:
    supports_disruption = True

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.calls = 0

    def all_processes(self) -> list[SimpleNamespace]:
        self.calls += 1
        return [SimpleNamespace(label="postgres")]

    def process_status(self, process: SimpleNamespace) -> SimpleNamespace:
        return SimpleNamespace(pid=self.pid)


def test_nothing_is_sampled_without_a_deployed_stack(tmp_path: Path) -> None:
    run = SimpleNamespace(deployed=False, stack=Stack())
    resources = fixture.RunResources(run, SimpleNamespace(driver=None))  # type: ignore[arg-type]
    resources.start()
    resources.refresh()
    assert resources.sampler is None
    assert resources.finish(tmp_path / "r.json") == {}
    assert not (tmp_path / "r.json").exists()


def test_services_and_the_worker_are_sampled_and_written(tmp_path: Path) -> None:
    stack = Stack()
    run = SimpleNamespace(deployed=True, stack=stack)
    worker = SimpleNamespace(driver=None)
    resources = fixture.RunResources(run, worker)  # type: ignore[arg-type]
    resources.start()
    assert resources.current() == {"postgres": os.getpid()}
    worker.driver = SimpleNamespace(pid=os.getpid(), running=lambda: True)
    assert resources.current() == {"postgres": os.getpid(), "test worker": os.getpid()}
    resources.refresh()
    assert stack.calls == 2
    assert resources.sampler is not None
    resources.sampler.sample()
    resources.sampler._clock = lambda: 10**9  # a later sample, one interval on
    resources.sampler.sample()
    summary = resources.finish(tmp_path / "resources.json")
    assert set(summary) == {"postgres", "test worker"}
    written = json.loads((tmp_path / "resources.json").read_text())
    assert written["summary"]["postgres"]["samples"] >= 1
    assert "series" in written
