"""topology=multirole on the compose target: the override files the project uses, and the
role containers as processes of the temporal service (state, health, logs, ring names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from docker_fakes import FakeContainer
from test_compose_stack import REPO, Harness

from temporal_acceptance.stack.base import Process, Service

T = Service.TEMPORAL
ROLE_SERVICES = ("temporal-history-1", "temporal-history-2", "temporal-matching", "temporal-worker")


class AddressedContainer(FakeContainer):
    """A container with an address on its project network, as docker reports it."""

    address: str = ""

    @property
    def attrs(self) -> dict[str, Any]:
        attrs = super().attrs
        for network in attrs["NetworkSettings"]["Networks"].values():
            network["IPAddress"] = self.address
        return attrs


def _multirole(tmp_path: Path) -> Harness:
    (tmp_path / "bin").mkdir(exist_ok=True)
    harness = Harness(tmp_path, topology="multirole")
    for index, service in enumerate(ROLE_SERVICES, start=2):
        container = AddressedContainer(f"u_{service}_1", service)
        container.address = f"10.9.0.{index}"
        container.log_bytes = (
            b'2026-11-25T14:00:01.000000000Z {"level":"error","ts":"2026-11-25T14:00:01Z",'
            b'"msg":"Couldn\'t acquire shard"}\n'
        )
        harness.containers[service] = container
        harness.client.containers.all.append(container)
    return harness


def test_the_multirole_project_adds_its_override_and_its_local_images(tmp_path: Path) -> None:
    harness = _multirole(tmp_path)
    files = [p.name for p in harness.stack.project.files]
    assert files == ["docker-compose.yml", "multirole.yml"]
    local = [p.name for p in harness.stack.project.with_local_images().files]
    assert local == ["docker-compose.yml", "multirole.yml", "local-images.yml",
                     "multirole-local-images.yml"]  # fmt: skip
    (tmp_path / "single" / "bin").mkdir(parents=True)
    single = Harness(tmp_path / "single")
    assert [p.name for p in single.stack.project.with_local_images().files] == [
        "docker-compose.yml", "local-images.yml",
    ]  # fmt: skip
    # five server processes' pools need more connections than one process's
    assert harness.stack.project.variables["POSTGRES_MAX_CONNECTIONS"] == "300"
    assert "POSTGRES_MAX_CONNECTIONS" not in single.stack.project.variables


def test_the_override_keeps_volumes_credentials_and_environment_of_the_main_file() -> None:
    main = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["temporal"]
    roles = yaml.safe_load((REPO / "compose/multirole.yml").read_text())["services"]
    local = yaml.safe_load((REPO / "compose/multirole-local-images.yml").read_text())["services"]
    assert set(roles) == {"temporal", *ROLE_SERVICES}
    # each role container carries the label `down --purge` checks (else it refuses to purge)
    for name in ROLE_SERVICES:
        assert "io.temporal-acceptance.deployment" in roles[name]["labels"], name
    assert set(local) == set(ROLE_SERVICES)
    for name in ROLE_SERVICES:
        role = roles[name]
        assert role["volumes"] == main["volumes"]
        assert {k: v for k, v in role["environment"].items() if k in main["environment"]} == main[
            "environment"
        ]
        assert role["environment"]["NUM_HISTORY_SHARDS"] == "16"
        assert role["environment"]["SERVICES"] == role["environment"]["TEMPORAL_SERVICES"]
        assert "ports" not in role  # only the frontend is published (127.0.0.1, main file)
    assert roles["temporal"]["environment"]["SERVICES"] == "frontend"


def test_each_role_container_is_a_process_with_its_state_and_ring_name(tmp_path: Path) -> None:
    harness = _multirole(tmp_path)
    stack = harness.stack
    names = [p.name for p in stack.processes(T)]
    assert names == ["history-1", "history-2", "matching", "frontend", "worker"]
    history = stack.process_for(T, "history", 2)
    assert stack.ring_identity(history) == "10.9.0.3:7234"
    assert stack.ring_identity(stack.process_named(T, "worker")) == "10.9.0.5:7239"
    assert stack.process_status(history).line().startswith("temporal history-2 healthy pid 4242")
    harness.containers["temporal-matching"].health = "unhealthy"
    assert not stack.status(T).healthy
    assert "temporal matching running, not healthy" in stack.status(T).detail
    assert stack.process_status(stack.process_named(T, "frontend")).healthy
    harness.answers[T] = False
    with pytest.raises(ConnectionRefusedError):
        stack.process_status(stack.process_named(T, "frontend"))


def test_a_role_container_is_killed_started_and_read_on_its_own(tmp_path: Path) -> None:
    harness = _multirole(tmp_path)
    stack, container = harness.stack, harness.containers["temporal-history-1"]
    history = stack.process_for(T, "history")
    assert stack.ring_identity(history) == "10.9.0.2:7234"
    container.address = ""  # docker drops a stopped container's address
    stack.kill_process(history)
    assert stack.ring_identity(history) == "10.9.0.2:7234"  # the one the ring knew
    assert ("kill", "SIGKILL") in container.calls
    assert not stack.process_status(history).running
    stack.start_process(history)
    assert container.running
    lines = stack.process_logs(history)
    assert [(line.process, line.level) for line in lines] == [("history-1", "error")]
    assert len(stack.logs(T)) == 4  # every role container's lines, merged
    stack.kill(T)
    assert not any(harness.containers[s].running for s in ROLE_SERVICES)
    stack.stop_process(Process(T, "matching", "matching"))
