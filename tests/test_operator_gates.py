"""The operator gates' waiting and lifecycles, at the boundary: a restart during a
PostgreSQL outage, bounded settling, the connection sampler, changes on read-only targets,
and the native stack's TLS profile and configuration mutants."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fake_stack import RecordingStack

from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.limits import changes_allowed
from temporal_acceptance.gates import cluster
from temporal_acceptance.gates.cluster import settle
from temporal_acceptance.probes.connections import ConnectionSampler
from temporal_acceptance.stack.base import Service, ServiceStatus
from temporal_acceptance.stack.disruption import DISRUPTIONS, perform, restart_in_outage
from temporal_acceptance.stack.native.stack import NativeStack


class OutageStack(RecordingStack):
    """Temporal launched without PostgreSQL exits, as the real server does."""

    def __init__(self, exits: bool = True) -> None:
        super().__init__()
        self.exits = exits

    def launch(self, service: Service) -> None:
        self._do(f"launch {service.value}")
        if not (self.exits and Service.POSTGRES not in self.healthy_services):
            self.healthy_services.add(service)

    def status(self, service: Service) -> ServiceStatus:
        status = super().status(service)
        if not status.running:
            status.detail = "exit status 1"
        return status


def test_a_temporal_restart_during_an_outage_is_started_again_once_postgres_is_back() -> None:
    stack = OutageStack()
    ticks = iter(range(100))
    note = restart_in_outage(stack, Service.TEMPORAL, outage=1.0, clock=lambda: next(ticks))
    assert stack.calls == [
        "stop postgres", "stop temporal", "launch temporal", "start postgres", "start temporal"
    ]  # fmt: skip
    assert note == (
        "temporal exited while PostgreSQL was down (exit status 1); started again — "
        "PostgreSQL stopped in 1.0 s, temporal stopped in 1.0 s (exit status 1), PostgreSQL "
        "healthy again in 1.0 s, temporal healthy again in 1.0 s (all 9.0 s)"
    )


def test_a_service_that_survives_the_outage_is_not_started_twice() -> None:
    stack = OutageStack(exits=False)
    note = restart_in_outage(stack, Service.TEMPORAL, outage=0.3)
    assert stack.calls[-1] == "start postgres"
    assert note.startswith("temporal kept running through the PostgreSQL outage — ")


def test_the_outage_disruption_is_timed_and_counts_as_a_temporal_restart() -> None:
    phrase = "the Temporal server is restarted while PostgreSQL is down"
    timing = perform(OutageStack(), DISRUPTIONS[phrase])
    assert timing.restarted_temporal
    assert "exited while PostgreSQL was down" in timing.render()
    assert timing.to_json()["note"].startswith("temporal exited")
    pg = perform(RecordingStack(), DISRUPTIONS["PostgreSQL is restarted"])
    assert not pg.restarted_temporal


def test_settling_polls_until_no_problem_and_is_bounded() -> None:
    now = [0.0]
    readings = iter([RuntimeError("away"), "partial", "whole"])

    def read(log: Any) -> str:
        value = next(readings)
        if isinstance(value, Exception):
            raise value
        return value

    def pause(seconds: float) -> None:
        now[0] += seconds

    settled = settle(read, lambda r: [] if r == "whole" else ["not yet"], 10, lambda: now[0], pause)
    # two pauses of the poll interval: after the failed read and after the partial one
    assert (settled.reading, settled.problems) == ("whole", [])
    assert settled.seconds == pytest.approx(2 * cluster.POLL_SECONDS)
    assert settled.waited() == f"settled after {2 * cluster.POLL_SECONDS:.1f}s"
    stuck = settle(lambda log: "partial", lambda r: ["not yet"], 2, lambda: now[0], pause)
    assert stuck.problems == ["not yet"]
    assert stuck.waited().startswith("had not settled")
    with pytest.raises(RuntimeError, match="away"):
        settle(lambda log: (_ for _ in ()).throw(RuntimeError("away")), list, 0, lambda: 5.0, pause)


class FakeConnection:
    def __init__(self, counts: list[dict[str, int] | Exception]) -> None:
        self.counts = counts
        self.closed = False

    def cursor(self) -> Any:
        outer = self

        class Cursor:
            description = tuple(
                type("C", (), {"name": n}) for n in ("database", "user", "connections")
            )

            def __enter__(self) -> Any:
                return self

            def __exit__(self, *args: object) -> None:
                return None

            def execute(self, sql: str, params: Any) -> None:
                head = outer.counts.pop(0) if len(outer.counts) > 1 else outer.counts[0]
                if isinstance(head, Exception):
                    raise head
                self.rows = [(*key.split("/"), count) for key, count in head.items()]

            def fetchall(self) -> list[Any]:
                return self.rows

        return Cursor()

    def close(self) -> None:
        self.closed = True


def test_the_sampler_keeps_the_peak_and_counts_the_gaps() -> None:
    opened: list[FakeConnection] = []
    script: list[dict[str, int] | Exception] = [
        {"temporal/t": 30},
        psycopg.OperationalError("the database system is shutting down"),
        {"temporal/t": 44, "temporal_visibility/t": 6},
        {"temporal/t": 12},
    ]
    seen = threading.Event()

    def opener() -> FakeConnection:
        connection = FakeConnection(script)
        opened.append(connection)
        if len(opened) > 1:
            seen.set()
        return connection

    sampler = ConnectionSampler(None, interval=0.01, opener=opener).start()  # type: ignore[arg-type]
    assert seen.wait(5)
    peaks = sampler.stop()
    assert peaks.peak["temporal/t"] == 44
    assert peaks.gaps == 1
    assert "shutting down" in peaks.last_error
    assert opened[0].closed


def test_gates_that_change_the_deployment_need_permission_on_a_read_only_target() -> None:
    stack = RecordingStack()
    assert changes_allowed(stack) == ""
    stack.supports_disruption = False
    assert "allow it with -D allow_changes=yes" in changes_allowed(stack)
    stack.settings = Settings.load({"allow_changes": "yes"}, env={})
    assert changes_allowed(stack) == ""


def _native(tmp_path: Path, **settings: str) -> NativeStack:
    loaded = Settings.load({"state_dir": str(tmp_path / "state"), **settings}, env={})
    stack = NativeStack(loaded, say=lambda line: None, env={})
    stack._run_as = lambda: None  # type: ignore[method-assign]
    return stack


def test_the_tls_profile_issues_certificates_and_points_every_client_at_the_ca(
    tmp_path: Path,
) -> None:
    stack = _native(tmp_path, postgres_tls="on")
    stack.layout.create()
    stack.layout.ensure_password()
    stack._apply_tls()
    assert stack.postgres_tls()
    assert stack.endpoints().postgres_ca_file == str(stack.layout.pg_tls / "ca.crt")
    assert "sslmode=verify-full" in stack.endpoints().conninfo("temporal")
    assert "sslmode=disable" in stack.endpoints().postgres.conninfo("temporal", tls=False)
    assert stack.temporal.tls is not None
    plain = _native(tmp_path / "plain")
    plain._apply_tls()
    assert not plain.postgres_tls()
    assert plain.temporal.tls is None


def test_a_configuration_mutant_restarts_a_running_stack_at_the_next_up(
    tmp_path: Path,
) -> None:
    stack = _native(tmp_path)
    stack.enable_mutant("second-shard-count")
    assert stack.temporal.history_shards == 8
    assert stack.seed_pending  # the next up stops what runs and starts it mutated
    ups: list[str] = []
    stack.up = lambda: ups.append("up")  # type: ignore[method-assign]
    stack.disable_mutant()
    assert (stack.mutant, stack.temporal.history_shards, ups) == ("", 4, ["up"])


def test_the_cluster_after_a_disruption_is_judged_against_the_bound_from_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime, timedelta

    from temporal_acceptance.gates import cluster
    from temporal_acceptance.stack.disruption import DisruptionTiming

    seen: dict[str, Any] = {}

    def fake(name: str, problems: list[str]) -> Any:
        def settled(*args: Any, **kwargs: Any) -> Any:
            seen[name] = args
            return cluster.Settled(f"{name} reading", list(problems), 0.1, None)  # type: ignore[arg-type]

        return settled

    monkeypatch.setattr(cluster, "healthy", fake("health", []))
    monkeypatch.setattr(cluster, "ring", fake("ring", []))
    monkeypatch.setattr(cluster, "shards", fake("shards", ["shard 1 was not acquired again"]))
    began = datetime.now(UTC) - timedelta(seconds=10)
    timing = DisruptionTiming("restart of temporal", began, None, 2.0)
    recovery = cluster.whole_again(RecordingStack(), None, {1: 3}, timing, 30)  # type: ignore[arg-type]
    assert recovery.problems == ["shard 1 was not acquired again"]
    assert 19 <= seen["health"][2] <= 20.5  # 30 s from the start, 10 s of them gone already
    assert seen["shards"][3:] == ({1: 3}, True)  # Temporal restarted: shards must move on
    assert "NOT whole" in recovery.render().splitlines()[2]
    assert set(recovery.evidence()) >= {"the cluster after the disruption"}
    unread = cluster.whole_again(RecordingStack(), None, None, timing, 30)  # type: ignore[arg-type]
    assert "the shards could not be read before the disruption" in unread.problems


def _watched(monkeypatch: pytest.MonkeyPatch, health: Any) -> Any:
    from datetime import UTC, datetime

    from temporal_acceptance.gates import cluster
    from temporal_acceptance.stack.disruption import DisruptionTiming

    def settled(*args: Any, **kwargs: Any) -> Any:
        return cluster.Settled("reading", [], 0.1, None)  # type: ignore[arg-type]

    monkeypatch.setattr(cluster, "read_health", health)
    monkeypatch.setattr(cluster, "ring", settled)
    monkeypatch.setattr(cluster, "shards", settled)
    timing = DisruptionTiming("restart of temporal", datetime.now(UTC), None, 2.0)
    return cluster.Watch(RecordingStack(), None, {1: 3}, timing, 30)  # type: ignore[arg-type]


def test_the_cluster_watched_from_the_disruption_on_is_judged_as_if_read_in_its_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from temporal_acceptance.gates import cluster

    readings = iter(["SERVING? not yet", "SERVING"])
    monkeypatch.setattr(cluster, "health_problems", lambda r: [] if r == "SERVING" else [r])
    monkeypatch.setattr(cluster, "POLL_SECONDS", 0.01)
    recovery = _watched(monkeypatch, lambda endpoints, dial: next(readings)).result()
    assert recovery.problems == []
    assert recovery.health.reading == "SERVING"  # it polled on until healthy, in its thread
    assert list(recovery.seen_after) == [
        "every role healthy (deep health, gRPC health)",
        "membership rings as the topology expects",
        "history shards consistent, owned, re-acquired",
    ]


def test_a_watch_hands_its_failure_to_the_step_and_stops_when_the_scenario_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from temporal_acceptance.gates import cluster

    def refused(endpoints: Any, dial: bool) -> Any:
        raise ConnectionError("frontend refused the connection")

    watch = _watched(monkeypatch, refused)
    watch.cancel()  # the scenario ended before its step read the watch
    with pytest.raises(cluster.Cancelled):
        watch.result()  # at once, not after its 30 s bound
    monkeypatch.setattr(cluster, "WATCH_GRACE_SECONDS", 0.0)
    stuck = threading.Event()

    def hangs(endpoints: Any, dial: bool) -> Any:
        stuck.wait()
        raise ConnectionError("no answer")

    hung = _watched(monkeypatch, hangs)
    hung.timeout = 0.05  # a reading that never returns: the step is not held past the bound
    with pytest.raises(TimeoutError, match="gave no result within 0.05 s"):
        hung.result()
    hung.cancel()
    stuck.set()
