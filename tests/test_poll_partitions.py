"""Where the suite looks for the test worker's polls: every partition of its task queue
(root first), because Temporal records a poller only at the partition its poll reached."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import PollerInfo
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, DescribeTaskQueueResponse

from temporal_acceptance.gates import role_outage
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload.driver import (
    TASK_QUEUE_PARTITIONS,
    WorkerDriver,
    WorkerSpec,
    partition_name,
)

T0 = datetime(2026, 12, 3, 7, 26, 30, tzinfo=UTC)
ME = "worker-1@vm"
ACTIVITY = TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
WORKFLOW = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW


def _poller(identity: str, at: datetime) -> PollerInfo:
    info = PollerInfo(identity=identity)
    info.last_access_time.FromDatetime(at)
    return info


class FakeService:
    """describe_task_queue answering from {(partition name, type): [(identity, time)]}."""

    def __init__(self, seen: dict[tuple[str, int], list[tuple[str, datetime]]]) -> None:
        self.seen = seen
        self.asked: list[tuple[str, int]] = []

    async def describe_task_queue(
        self, request: DescribeTaskQueueRequest
    ) -> DescribeTaskQueueResponse:
        key = (request.task_queue.name, int(request.task_queue_type))
        self.asked.append(key)
        pollers = [_poller(identity, at) for identity, at in self.seen.get(key, [])]
        return DescribeTaskQueueResponse(pollers=pollers)


def _driver(tmp_path: Path) -> WorkerDriver:
    spec = WorkerSpec("127.0.0.1:7233", "default", "tq", ME, tmp_path / "worker.log")
    return WorkerDriver(spec)


def _client(service: FakeService) -> Any:
    return SimpleNamespace(workflow_service=service)


def test_partition_names_are_temporals() -> None:
    assert [partition_name("tq", i) for i in range(3)] == ["tq", "/_sys/tq/1", "/_sys/tq/2"]
    assert TASK_QUEUE_PARTITIONS == 4


def test_a_poll_seen_only_at_another_partition_counts(tmp_path: Path) -> None:
    # The 2026-12-02 CI failure: the worker ran activities through the restarted frontend,
    # but the root partition still had only its activity poll from before the restart.
    back = T0 + timedelta(seconds=2)
    service = FakeService(
        {
            ("tq", WORKFLOW): [(ME, T0 + timedelta(seconds=3))],
            ("tq", ACTIVITY): [(ME, T0 - timedelta(seconds=40)), ("other@vm", T0)],
            ("/_sys/tq/2", ACTIVITY): [(ME, T0 + timedelta(seconds=4))],
            ("/_sys/tq/3", ACTIVITY): [(ME, T0 + timedelta(seconds=9))],
        }
    )
    driver = _driver(tmp_path)
    polls = asyncio.run(driver.last_polls(_client(service), lambda _, at: at >= back))
    assert polls == {"workflow": T0 + timedelta(seconds=3), "activity": T0 + timedelta(seconds=4)}
    # the root answered for workflow polls; activity polls were looked for until partition 2
    assert service.asked == [
        ("tq", WORKFLOW), ("tq", ACTIVITY), ("/_sys/tq/1", ACTIVITY), ("/_sys/tq/2", ACTIVITY)
    ]  # fmt: skip


def test_without_a_condition_the_first_partition_with_a_poll_answers(tmp_path: Path) -> None:
    service = FakeService({("/_sys/tq/1", WORKFLOW): [(ME, T0)]})
    polls = asyncio.run(_driver(tmp_path).last_polls(_client(service)))
    assert polls == {"workflow": T0}  # no activity poll on any partition: not reported
    assert len(service.asked) == 2 + TASK_QUEUE_PARTITIONS


def test_polling_since_start_looks_past_a_stale_root_entry(tmp_path: Path) -> None:
    driver = _driver(tmp_path)
    driver.baseline = {"workflow": T0, "activity": T0}  # a stopped worker's polls
    service = FakeService(
        {
            ("tq", WORKFLOW): [(ME, T0 + timedelta(seconds=1))],
            ("tq", ACTIVITY): [(ME, T0)],
            ("/_sys/tq/3", ACTIVITY): [(ME, T0 + timedelta(seconds=2))],
        }
    )
    assert asyncio.run(driver.polling_kinds(_client(service))) == ["workflow", "activity"]
    del service.seen[("/_sys/tq/3", ACTIVITY)]
    assert asyncio.run(driver.polling_kinds(_client(service))) == ["workflow"]


def _polled_again(
    service: FakeService, driver: WorkerDriver, timing: DisruptionTiming, within: float
) -> tuple[float | None, list[str]]:
    return asyncio.run(role_outage.polled_again(_client(service), driver, timing, within))


def test_polled_again_times_the_later_kind_and_fails_past_its_limit(tmp_path: Path) -> None:
    timing = DisruptionTiming("restart of temporal frontend", T0, None, healthy_seconds=1.5)
    service = FakeService(
        {
            ("tq", WORKFLOW): [(ME, T0 + timedelta(seconds=2))],
            ("/_sys/tq/1", ACTIVITY): [(ME, T0 + timedelta(seconds=3.5))],
        }
    )
    driver = _driver(tmp_path)
    assert _polled_again(service, driver, timing, 10) == (3.5, [])
    took, problems = _polled_again(service, driver, timing, 3)
    assert took == 3.5
    assert len(problems) == 1
    assert "polled again" in problems[0]


def test_a_poll_before_the_health_check_but_after_the_old_frontend_was_gone_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(role_outage, "POLL_AGAIN_AT_LEAST", 0.3)
    # stopped after 1.0 s, healthy (as the suite saw it) after 2.0 s; the SDK reconnected
    # at 1.4 s and its activity poll has been parked since
    timing = DisruptionTiming("restart of temporal frontend", T0, 1.0, healthy_seconds=2.0)
    service = FakeService(
        {
            ("tq", WORKFLOW): [(ME, T0 + timedelta(seconds=2.5))],
            ("tq", ACTIVITY): [(ME, T0 + timedelta(seconds=1.4))],
        }
    )
    driver = _driver(tmp_path)
    assert _polled_again(service, driver, timing, 10) == (2.5, [])
    # a poll from before the old frontend was gone does not count
    service.seen[("tq", ACTIVITY)] = [(ME, T0 + timedelta(seconds=0.9))]
    took, problems = _polled_again(service, driver, timing, 0.1)
    assert took is None
    assert "to poll through the restarted frontend" in problems[0]
