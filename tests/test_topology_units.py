"""The multirole topology's pure parts: settings, the wire decoder, rings and shard owners
read from bytes, the checks on rings, shards, takeovers and lateness, the figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.checks import topology as checks
from temporal_acceptance.clients.membership import rings_from
from temporal_acceptance.clients.protowire import (
    WireError,
    encode_string,
    fields,
    messages,
    number,
    text,
)
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import (
    HISTORY_SHARDS,
    parse_topology,
    parse_topology_name,
    role_processes,
)
from temporal_acceptance.probes.topology import ShardOwner, identity_of, owner_from
from temporal_acceptance.reporting import figures

E = EventType
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


# -- wire format --------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number_: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return _varint(number_ << 3) + _varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return _varint((number_ << 3) | 2) + _varint(len(raw)) + raw


def test_fields_are_read_by_number_nested_and_repeated() -> None:
    inner = _field(1, "a") + _field(1, "b")
    data = _field(1, 300) + _field(2, inner) + _field(2, _field(1, "c")) + _field(3, "x")
    read = fields(data)
    assert number(read, 1) == 300
    assert text(read, 3) == "x"
    assert [text(m, 1) for m in messages(read, 2)] == ["b", "c"]  # the last value of a field
    assert text(read, 9) == ""
    assert number(read, 9) == 0
    assert fields(encode_string(1, "temporal.api.X")) == {1: [b"temporal.api.X"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x08", "varint runs past the end"),
        (b"\x12\x05ab", "runs past the end"),
        (b"\x0b", "wire type 3"),
    ],
)
def test_bytes_that_are_no_message_say_so(data: bytes, message: str) -> None:
    with pytest.raises(WireError, match=message):
        fields(data)


def test_describe_cluster_answers_become_rings() -> None:
    def ring(role: str, *hosts: str) -> bytes:
        members = b"".join(_field(3, _field(1, h)) for h in hosts)
        return _field(3, _field(1, role) + _field(2, len(hosts)) + members)

    info = _field(1, _field(1, "127.0.0.1:7233")) + ring("history", "h:2", "h:1") + ring("worker")
    rings = rings_from(_field(2, "1.30.8") + _field(3, info) + _field(6, 16))
    assert rings.members == {"history": ("h:1", "h:2"), "worker": ()}
    assert (rings.history_shards, rings.answered_by) == (16, "127.0.0.1:7233")
    assert "history   2 host(s): h:1, h:2" in rings.render()


def test_a_shard_row_names_its_owner_host() -> None:
    blob = _field(1, 7) + _field(2, 3) + _field(3, "127.0.0.1:18234-5-ebf1c673-1f8b")
    assert owner_from(7, 3, blob) == ShardOwner(7, 3, "127.0.0.1:18234")
    assert owner_from(8, 3, blob).owner == "(blob of shard 7)"
    assert identity_of("10.0.0.2:7234-1-uuid-with-dashes") == "10.0.0.2:7234"


# -- settings -----------------------------------------------------------------------------------


def test_the_topology_setting_is_single_or_multirole() -> None:
    assert Settings.load({}, env={}).topology == "single"
    assert Settings.load({}, env={"TACC_TOPOLOGY": " MultiRole "}).topology == "multirole"
    with pytest.raises(UserError, match="unknown topology 'mesh'") as info:
        Settings.load({"topology": "mesh"}, env={})
    assert info.value.exit_code == 2
    assert "single, multirole" in info.value.fix
    with pytest.raises(UserError, match="unknown topology"):
        Settings.load({"topology": "history=3"}, env={})  # deployable topologies only


def test_an_external_deployment_may_describe_its_hosts_per_role() -> None:
    external = {
        "target": "external",
        "temporal_address": "t:7233",
        "ui_url": "http://u:8080",
        "postgres_host": "p",
    }
    settings = Settings.load({**external, "topology": "history=3"}, env={})
    assert parse_topology(settings.topology) == {
        "frontend": 1, "history": 3, "matching": 1, "worker": 1,
    }  # fmt: skip
    with pytest.raises(UserError, match="'history=x' is not role=count"):
        Settings.load({**external, "topology": "history=x"}, env={})


def test_each_topology_names_its_processes_and_shards() -> None:
    assert [p.name for p in role_processes("single")] == ["temporal"]
    multirole = role_processes("multirole")
    assert [(p.name, p.role) for p in multirole] == [
        ("history-1", "history"), ("history-2", "history"), ("matching", "matching"),
        ("frontend", "frontend"), ("worker", "worker"),
    ]  # fmt: skip
    assert parse_topology("multirole")["history"] == 2
    assert parse_topology("")["history"] == 1
    assert HISTORY_SHARDS["multirole"] > HISTORY_SHARDS["single"]
    assert parse_topology_name("") == "single"


# -- rings and shards ---------------------------------------------------------------------------

ROLES = {"f:1": "frontend", "h:1": "history", "h:2": "history", "m:1": "matching", "w:1": "worker"}
EXPECTED = {"frontend": 1, "history": 2, "matching": 1, "worker": 1}


def _rings(members: dict[str, tuple[str, ...]]) -> object:
    from temporal_acceptance.clients.membership import Rings

    return Rings(members, 16, "f:1")


def test_a_complete_ring_passes_and_each_gap_is_named() -> None:
    full = {
        "frontend": ("f:1",),
        "history": ("h:1", "h:2"),
        "matching": ("m:1",),
        "worker": ("w:1",),
    }
    assert checks.ring_problems(_rings(full), EXPECTED, ROLES) == []  # type: ignore[arg-type]
    short = {**full, "history": ("h:2", "x:9")}
    problems = checks.ring_problems(_rings(short), EXPECTED, ROLES)  # type: ignore[arg-type]
    assert any("lacks this deployment's history process(es) h:1" in p for p in problems)
    assert any("does not run as history: x:9" in p for p in problems)
    one = checks.ring_problems(_rings({**full, "history": ("h:2",)}), EXPECTED, ROLES)  # type: ignore[arg-type]
    assert one[0].startswith("the history ring has 1 host(s) (h:2), expected 2")


def _owners(*owners: str) -> dict[int, ShardOwner]:
    return {i: ShardOwner(i, 1, owner) for i, owner in enumerate(owners, start=1)}


def test_shards_must_be_spread_over_every_live_history_host() -> None:
    hosts = {"h:1": "temporal history-1", "h:2": "temporal history-2"}
    assert checks.spread_problems(_owners("h:1", "h:2", "h:1"), 3, hosts) == []
    idle = checks.spread_problems(_owners("h:1", "h:1", "h:1"), 3, hosts)
    assert idle == [
        "temporal history-2 (h:2) own(s) no shard: the shards are not spread over the 2 history "
        "hosts — see the attached shard owners (the shards table) and the history hosts' logs"
    ]
    stray = checks.spread_problems(_owners("h:1", "dead:9"), 3, hosts)
    assert "shards [3] have no row" in stray[0]
    assert "2 by dead:9" in stray[1]
    assert "h:1): 1 shard(s) [1]" in checks.ownership_text(_owners("h:1", "dead:9"), hosts)


def test_a_takeover_is_judged_against_its_limit() -> None:
    survivors = {"h:2": "temporal history-2"}
    moved = _owners("h:2", "h:2", "h:2")
    assert checks.takeover_problems("history-1", [1, 3], moved, survivors, 5.5, 15) == []
    slow = checks.takeover_problems("history-1", [1, 3], moved, survivors, 16.2, 15)
    assert "after 16.2 s, more than the limit of 15 s" in slow[0]
    stuck = checks.takeover_problems(
        "history-1", [1, 3], _owners("h:2", "h:2", "h:1"), survivors, None, 15
    )
    assert "1 of 2 still not owned by a live host (3 (h:1))" in stuck[0]
    assert (
        "owned no shard" in checks.takeover_problems("history-1", [], moved, survivors, 0.1, 15)[0]
    )


# -- lateness -----------------------------------------------------------------------------------


def _event(kind: int, at: datetime, **attributes: object) -> HistoryEvent:
    event = HistoryEvent(event_type=kind)  # type: ignore[arg-type]
    event.event_time.FromDatetime(at)
    for name, value in attributes.items():
        getattr(event, name).CopyFrom(value)
    return event


def test_a_timer_fired_late_is_measured_in_the_servers_clock() -> None:
    started = _event(
        E.EVENT_TYPE_TIMER_STARTED,
        T0,
        timer_started_event_attributes=_timer(6),
    )
    fired = _event(E.EVENT_TYPE_TIMER_FIRED, T0 + timedelta(seconds=9.5))
    late = checks.timer_lateness("wf", [started, fired])
    assert late is not None
    assert late.seconds == pytest.approx(3.5)
    assert checks.timer_lateness("wf", [started]) is None
    assert checks.lateness_problems([late], 5, "timers") == []
    assert (
        "1 timers ran more than 3 s late: wf: timer fired +3.50 s"
        in checks.lateness_problems([late], 3, "timers")[0]
    )


def _timer(seconds: int) -> object:
    from temporalio.api.history.v1 import TimerStartedEventAttributes

    return TimerStartedEventAttributes(start_to_fire_timeout=Duration(seconds=seconds))


def test_a_task_that_waited_for_matching_is_timed_from_its_return() -> None:
    back = T0 + timedelta(seconds=10)
    events = [
        _event(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T0 + timedelta(seconds=2)),
        _event(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, T0 + timedelta(seconds=14)),
        _event(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, T0 + timedelta(seconds=14.2)),
    ]
    late = checks.delivery_lateness("wf", events, back)
    assert late is not None
    assert (late.due, late.seconds) == (back, pytest.approx(4.0))
    assert checks.delivery_lateness("wf", events, T0 + timedelta(seconds=15)) is None
    sticky = [  # the sticky task timed out while matching was away and was scheduled again
        events[0],
        _event(E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, T0 + timedelta(seconds=7)),
        _event(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T0 + timedelta(seconds=11)),
        *events[1:],
    ]
    again = checks.delivery_lateness("wf", sticky, back)
    assert again is not None
    assert again.seconds == pytest.approx(4.0)
    delivered_before = [
        events[0],
        _event(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, T0 + timedelta(seconds=3)),
    ]
    assert checks.delivery_lateness("wf", delivered_before, back) is None
    assert checks.first_progress_since(events, T0 + timedelta(seconds=14)) is events[2]
    assert checks.first_progress_since(events, T0 + timedelta(seconds=15)) is None


def test_coverage_names_the_kinds_the_crash_missed_and_figures_sum_up() -> None:
    assert (
        checks.coverage_problems(["timer", "signal", "activity"], ("timer", "signal", "activity"))
        == []
    )
    assert (
        "kind activity"
        in checks.coverage_problems(["timer", "signal"], ("timer", "signal", "activity"))[0]
    )
    assert checks.figures([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0}
    assert checks.figures([]) == {}


def test_the_figures_of_several_runs_are_summed_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "figures.jsonl"
    rows = [
        {"run": "a", "figure": "shard takeover", "seconds": 5.5, "load": "3.0"},
        {"run": "b", "figure": "shard takeover", "seconds": 7.5, "load": "20.5"},
        {"run": "c", "figure": "shard takeover", "seconds": None, "load": "unknown"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert figures.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 run(s)" in out
    assert "shard takeover" in out
    assert "5.50    6.50    7.50  n=2, 1 never reached  (load 3.0–20.5)" in out
    assert figures.main([str(tmp_path / "none.jsonl")]) == 2
