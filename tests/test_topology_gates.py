"""The multirole gates' waits, against a stand-in cluster: rings that settle, shards that
move, and the lateness reports built from finished histories."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode
from test_role_disruptions import RoleStack
from test_topology_units import T0, _event, _timer

from temporal_acceptance.clients.membership import Rings
from temporal_acceptance.gates import role_outage, topology
from temporal_acceptance.probes.topology import ShardOwner
from temporal_acceptance.stack.base import Process, Service
from temporal_acceptance.stack.disruption import DisruptionTiming
from temporal_acceptance.workload.events import E
from temporal_acceptance.workload.execute import ExecutionOptions, ExecutionRecord
from temporal_acceptance.workload.mixed import MixedLoad, Parked
from temporal_acceptance.workload.watch import Watched

IDS = {
    "history-1": "h:1",
    "history-2": "h:2",
    "matching": "m:1",
    "frontend": "f:1",
    "worker": "w:1",
}
FULL = {"frontend": ("f:1",), "history": ("h:1", "h:2"), "matching": ("m:1",), "worker": ("w:1",)}


class ClusterStack(RoleStack):
    def ring_identity(self, process: Process) -> str:
        return IDS[process.name]


@pytest.fixture
def stack() -> ClusterStack:
    stack = ClusterStack()
    stack.settings = stack.settings.__class__.load({"topology": "multirole"}, env={})
    return stack


def _owners(*owners: str) -> dict[int, ShardOwner]:
    return {i: ShardOwner(i, 1, owner) for i, owner in enumerate(owners, start=1)}


def test_the_ring_gate_waits_for_every_process(stack: ClusterStack, monkeypatch: Any) -> None:
    readings = iter([{**FULL, "history": ("h:2",)}, FULL])
    monkeypatch.setattr(topology, "read_rings", lambda _e: Rings(next(readings, FULL), 16, "f:1"))
    seen = topology.ring_settled(stack, stack.endpoints(), None, 5.0)
    assert seen.problems == []
    assert seen.seconds is not None
    assert "history   2 host(s): h:1, h:2" in seen.evidence
    monkeypatch.setattr(topology, "read_rings", lambda _e: Rings({**FULL, "worker": ()}, 16, "f"))
    stuck = topology.ring_settled(stack, stack.endpoints(), None, 0.3)
    assert stuck.seconds is None
    assert "the worker ring has 0 host(s)" in stuck.problems[0]


def test_the_spread_gate_needs_both_hosts_owning_shards(
    stack: ClusterStack, monkeypatch: Any
) -> None:
    monkeypatch.setattr(topology, "read_rings", lambda _e: Rings(FULL, 3, "f:1"))
    owners = iter([_owners("h:2", "h:2", "h:2"), _owners("h:1", "h:2", "h:2")])
    last = _owners("h:1", "h:2", "h:2")
    monkeypatch.setattr(topology, "read_shard_owners", lambda _e: next(owners, last))
    seen = topology.shards_spread(stack, stack.endpoints(), datetime.now(UTC), 5.0)
    assert seen.problems == []
    assert "temporal history-1 (h:1): 1 shard(s) [1]" in seen.evidence
    monkeypatch.setattr(topology, "read_shard_owners", lambda _e: _owners("h:2", "h:2", "h:2"))
    idle = topology.shards_spread(stack, stack.endpoints(), datetime.now(UTC), 0.3)
    assert "temporal history-1 (h:1) own(s) no shard" in idle.problems[0]


def test_a_takeover_is_timed_from_the_kill(stack: ClusterStack, monkeypatch: Any) -> None:
    before = _owners("h:1", "h:2", "h:1")
    readings = iter([before, _owners("h:2", "h:2", "h:1")])
    moved = _owners("h:2", "h:2", "h:2")
    monkeypatch.setattr(topology, "read_shard_owners", lambda _e: next(readings, moved))
    started = datetime.now(UTC) - timedelta(seconds=4)
    timing = DisruptionTiming(
        "kill -9 of temporal history-1", started, 0.2, 0.5, process="history-1"
    )
    takeover = topology.taken_over(stack, stack.endpoints(), timing, before)
    assert (takeover.victim, takeover.shards, takeover.count) == (
        "temporal history-1 (h:1)",
        [1, 3],
        2,
    )
    assert takeover.seconds is not None
    assert takeover.seconds >= 4
    assert takeover.problems(15) == []
    assert takeover.problems(1)[0].startswith("the 2 shards of the killed history host")
    assert "owned by a surviving host:" in takeover.evidence


def _parked(kind: str, shard: int, events: list[Any], timer: float = 6) -> Parked:
    options = ExecutionOptions(f"wf-{kind}-{shard}", "q", timer_seconds=timer)
    record = ExecutionRecord(options.workflow_id, "run", options)
    record.events = events
    return Parked(kind, Watched(options, "run", record=record), shard)


def _timer_events(fired_after: float) -> list[Any]:
    return [
        _event(E.EVENT_TYPE_TIMER_STARTED, T0, timer_started_event_attributes=_timer(6)),
        _event(E.EVENT_TYPE_TIMER_FIRED, T0 + timedelta(seconds=fired_after)),
    ]


def test_timers_on_the_dead_hosts_shards_are_compared_with_the_others() -> None:
    load = MixedLoad(
        "wf",
        [
            _parked("timer", 1, _timer_events(11)),
            _parked("timer", 2, _timer_events(6.1)),
            _parked("timer", 3, []),
        ],
    )
    takeover = topology.Takeover("history-1", [1, 3], 5.0, {}, {})
    timing = DisruptionTiming("kill", T0 + timedelta(seconds=1), 0.2, 0.5, process="history-1")
    late = role_outage.timers_late(load, takeover, timing)
    assert late.worst == pytest.approx(5.0)
    assert late.problems(20) == []
    assert "1 timers due after the crash ran more than 4 s late" in late.problems(4)[0]
    assert late.counts["unaffected"]["count"] == 1
    assert "elsewhere (for comparison)" in late.evidence
    early = DisruptionTiming("kill", T0 + timedelta(seconds=7), 0.2, 0.5, process="history-1")
    assert "proves nothing" in role_outage.timers_late(load, takeover, early).problems(20)[0]


def test_tasks_that_waited_for_matching_are_timed_from_its_start() -> None:
    events = [
        _event(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T0),
        _event(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, T0 + timedelta(seconds=9)),
    ]
    load = MixedLoad("wf", [_parked("timer", 1, events)])
    timing = DisruptionTiming("start of temporal matching", T0 + timedelta(seconds=5), None, 1.0)
    late = role_outage.delivered_late(load, timing)
    assert late.worst == pytest.approx(4.0)
    assert late.problems(3)[0].startswith("1 tasks waiting for matching ran more than 3 s late")


def test_placement_counts_each_kind_per_owner() -> None:
    load = MixedLoad(
        "wf", [_parked("timer", 1, []), _parked("signal", 2, []), _parked("activity", 0, [])]
    )
    text = topology.placement_text(load, _owners("h:1", "h:2"))
    assert "h:1: shards [1]; workflows {'timer': 1, 'signal': 0, 'activity': 0}" in text
    assert "no shard found for ['wf-activity-0']" in text
    cluster = topology.Cluster.of(ClusterStack())
    assert cluster.history_hosts(without="h:1") == {"h:2": "temporal history-2"}
    assert Process(Service.TEMPORAL, "history-1", "history").label == "temporal history-1"


# -- a new workflow after a disruption: the gate's own bound, not the SDK's retries ----------

REFUSED = "connection error: dial tcp 127.0.0.1:27234: connect: connection refused"


class _Handle:
    id = "mr-after-history-1"


def _started_record(options: ExecutionOptions, at: datetime) -> ExecutionRecord:
    record = ExecutionRecord(options.resolved_workflow_id(), "run", options)
    record.events = [
        _event(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, at),
        _event(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, at + timedelta(seconds=1)),
    ]
    record.outcome = "WorkflowExecutionCompleted"
    return record


def _new_workflow(timing: DisruptionTiming, within: float) -> tuple[float | None, list[str]]:
    client: Any = None  # the start and the follow are stood in for
    return asyncio.run(role_outage.new_workflow_after(client, "q", timing, within, "mr-after"))


def _starts(monkeypatch: Any, refusals: int, started_at: datetime) -> list[str]:
    ids: list[str] = []

    async def start(_client: object, options: ExecutionOptions) -> _Handle:
        ids.append(options.resolved_workflow_id())
        if len(ids) <= refusals:
            raise RPCError(REFUSED, RPCStatusCode.UNAVAILABLE, b"")
        return _Handle()

    async def finish(_handle: _Handle, options: ExecutionOptions) -> ExecutionRecord:
        return _started_record(options, started_at)

    monkeypatch.setattr(role_outage, "start_test_workflow", start)
    monkeypatch.setattr(role_outage, "finish_test_workflow", finish)
    return ids


def test_a_refused_start_is_tried_again_and_timed_from_the_disruption(monkeypatch: Any) -> None:
    began = datetime.now(UTC)
    ids = _starts(monkeypatch, refusals=2, started_at=began + timedelta(seconds=13))
    timing = DisruptionTiming("start of temporal history-1", began, None, 1.0)
    took, problems = _new_workflow(timing, 20.0)
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert took == pytest.approx(13.0)
    assert problems == []
    took, problems = _new_workflow(timing, 10.0)
    assert problems == [
        f"the new workflow {ids[-1]} started after 13.0 s, more than the limit of 10 s"
    ]


def test_a_start_refused_until_the_bound_says_what_the_frontend_answered(
    monkeypatch: Any,
) -> None:
    ids = _starts(monkeypatch, refusals=1000, started_at=T0)
    timing = DisruptionTiming("start of temporal history-1", datetime.now(UTC), None, 1.0)
    took, problems = _new_workflow(timing, 1.0)
    assert took is None
    assert len(ids) > 1
    assert problems[0].startswith("no new workflow could be started: timed out after 1s")
    assert "a new workflow (limit: 1 s from the start of temporal history-1)" in problems[0]
    assert REFUSED in problems[0]
