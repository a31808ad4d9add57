"""After a disruption: the restart-noise allowlists, the log scan of the window, the skip
on targets that cannot be disrupted, and the cleanup that leaves a healthy stack."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.checks import logscan, restart_noise
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.fixtures import persistence, recovery
from temporal_acceptance.fixtures.persistence import PersistenceFixture
from temporal_acceptance.gates.topology import Seen
from temporal_acceptance.probes.logs import service_logs
from temporal_acceptance.stack.base import START_ORDER, Process, Service
from temporal_acceptance.stack.disruption import DISRUPTIONS, DisruptionTiming

T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
PG_RESTART = DISRUPTIONS["PostgreSQL is restarted"]
TEMPORAL_RESTART = DISRUPTIONS["the Temporal server is restarted"]
DOWN_UP = DISRUPTIONS["the whole stack is taken down and brought up again"]
UI_RESTART = DISRUPTIONS["the Temporal UI is restarted"]

PG_SHUTDOWN = (
    "2026-11-25 12:00:01.000 UTC [7] FATAL:  terminating connection due to administrator command"
)
TEMPORAL_NO_DB = (
    '{"level":"error","msg":"Operation failed","error":"no usable database connection found"}'
)
TEMPORAL_STARTING = (
    '{"level":"error","msg":"service failures","error":"Frontend is not healthy yet"}'
)
TEMPORAL_BROKEN = (
    '{"level":"error","msg":"Operation failed","error":"relation \\"executions\\" does not exist"}'
)


def line(service: Service, text: str, seconds: float = 1, level: str = "error") -> LogLine:
    return LogLine(T0 + timedelta(seconds=seconds), service.value, level, text)


def stack_with(lines: dict[Service, list[LogLine]]) -> RecordingStack:
    stack = RecordingStack()
    stack.lines = lines
    return stack


def scan_after(
    stack: RecordingStack, disruptions: list[Any], since: datetime, until: datetime
) -> logscan.ScanResult:
    """The persistence gates' judgment of the window, with `disruptions` begun at T0."""
    logs = service_logs(stack, START_ORDER, since, until)
    disturbances = [logscan.Disturbance(d.name, T0) for d in disruptions]
    return logscan.scan(logs, since, restart_noise.RESTART_NOISE, disturbances, required=())


def test_each_allowlist_entry_is_narrowed_to_a_service_disruptions_and_a_window() -> None:
    entries = restart_noise.RESTART_NOISE
    assert entries
    for entry in entries:
        assert len(entry.reason) > 20, entry
        assert entry.service in {"postgres", "temporal"}, entry
        assert entry.during, entry
        assert set(entry.during) <= {d.name for d in DISRUPTIONS.values()}, entry
        assert 0 < entry.within <= 60, entry
        assert "restart of ui" not in entry.during  # the UI's restart excuses nothing
    assert restart_noise.kinds(Service.UI) == ("restart of ui", "down + up of the stack")


def test_noise_is_allowed_only_within_its_window_after_its_disruption() -> None:
    """A Temporal restart's late noise (a partition loaded seconds later) shows in the next
    scenario's window; it is allowed there only while within the entry's window."""
    fixture = PersistenceFixture(out=io.StringIO())
    fixture.record(TEMPORAL_RESTART, DisruptionTiming("restart of temporal", T0, None, 1.8))
    assert fixture.disturbances == [logscan.Disturbance("restart of temporal", T0)]
    within = restart_noise.TEMPORAL_STARTING.within
    inside = line(Service.TEMPORAL, TEMPORAL_STARTING, within - 1)
    outside = line(Service.TEMPORAL, TEMPORAL_STARTING, within + 1)
    result = logscan.scan(
        {"temporal": [inside, outside]}, T0, restart_noise.RESTART_NOISE, fixture.disturbances
    )
    assert [e.text for e in result.errors] == [TEMPORAL_STARTING]
    assert result.errors[0].ts == outside.ts
    assert "after the restart of temporal, allowed 30 s" in result.summary()
    before = line(Service.TEMPORAL, TEMPORAL_STARTING, -5)  # before the disruption began
    early = logscan.scan(
        {"temporal": [before]}, T0, restart_noise.RESTART_NOISE, fixture.disturbances
    )
    assert len(early.errors) == 1


def test_a_postgres_restart_allows_its_own_noise_and_temporal_losing_its_connections() -> None:
    stack = stack_with({
        Service.POSTGRES: [line(Service.POSTGRES, PG_SHUTDOWN)],
        Service.TEMPORAL: [line(Service.TEMPORAL, TEMPORAL_NO_DB),
                           line(Service.TEMPORAL, TEMPORAL_STARTING)],
    })  # fmt: skip
    result = scan_after(stack, [PG_RESTART], T0, T0 + timedelta(seconds=5))
    assert [e.text for e in result.errors] == [TEMPORAL_STARTING]  # not expected on this restart
    assert len(result.allowed) == 2


# Seen in a compose CI run: Docker's DNS has no address for the stopped postgresql container.
COMPOSE_DNS = (
    '{"level":"error","msg":"Operation failed with internal error.","error":"ListNamespaces '
    "operation failed. Failed to get namespace rows. Error: dial tcp: lookup postgresql on "
    '127.0.0.11:53: no such host"}'
)


def test_compose_dns_missing_the_stopped_postgres_is_noise_only_of_a_postgres_disruption() -> None:
    stack = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, COMPOSE_DNS)]})
    window = (T0, T0 + timedelta(seconds=5))
    assert scan_after(stack, [PG_RESTART], *window).errors == []
    ui_only = scan_after(stack, [UI_RESTART], *window)
    assert [e.text for e in ui_only.errors] == [COMPOSE_DNS]


# Seen in a compose CI run, 1.5 s into a graceful restart of Temporal.
ROLLBACK_CUT_OFF = (
    '{"level":"error","ts":"2026-12-02T14:59:14.081Z","msg":"transaction rollback error",'
    '"error":"driver: bad connection","logging-call-at":"go.temporal.io/server@v1.32.2/common/'
    'persistence/sql/common.go:61"}'
)


def test_a_rollback_cut_off_by_a_graceful_stop_is_noise_of_that_stop_only() -> None:
    stack = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, ROLLBACK_CUT_OFF)]})
    window = (T0, T0 + timedelta(seconds=5))
    assert scan_after(stack, [TEMPORAL_RESTART], *window).errors == []
    killed = DISRUPTIONS["the Temporal server is killed and started again"]
    assert [e.text for e in scan_after(stack, [killed], *window).errors] == [ROLLBACK_CUT_OFF]
    late = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, ROLLBACK_CUT_OFF, 25)]})
    assert len(scan_after(late, [TEMPORAL_RESTART], T0, T0 + timedelta(seconds=30)).errors) == 1


# Seen in a native CI run: a history queue's checkpoint refused while its shard closes.
CHECKPOINT_CUT_OFF = (
    '{"level":"error","ts":"2026-12-03T02:59:36.917Z","msg":"Error updating queue state",'
    '"shard-id":4,"component":"outbound-queue-processor","error":"shard closed",'
    '"logging-call-at":"go.temporal.io/server@v1.32.2/service/history/queues/queue_base.go:409"}'
)
OTHER_QUEUE_ERROR = CHECKPOINT_CUT_OFF.replace("shard closed", "context deadline exceeded")


def test_a_queue_checkpoint_refused_by_a_closing_shard_is_noise_of_a_graceful_stop_only() -> None:
    stack = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, CHECKPOINT_CUT_OFF),
                                           line(Service.TEMPORAL, OTHER_QUEUE_ERROR)]})  # fmt: skip
    window = (T0, T0 + timedelta(seconds=5))
    restarted = scan_after(stack, [TEMPORAL_RESTART], *window)
    assert [e.text for e in restarted.errors] == [OTHER_QUEUE_ERROR]
    killed = DISRUPTIONS["the Temporal server is killed and started again"]
    assert len(scan_after(stack, [killed], *window).errors) == 2
    assert len(scan_after(stack, [PG_RESTART], *window).errors) == 2


# Seen on multirole (history-2, a graceful restart of Temporal, 2026-12-03), 23 such lines
# (the stack trace cut short here).
VISIBILITY_CUT_OFF = (
    '{"level":"error","ts":"2026-12-03T12:48:00.955Z","msg":"Operation failed with an error.",'
    '"error":"sql: database is closed","logging-call-at":"go.temporal.io/server@v1.32.2/common/'
    'persistence/visibility/visiblity_manager_metrics.go:257","stacktrace":"go.temporal.io/'
    'server/common/log.(*zapLogger).Error"}'
)
OTHER_VISIBILITY_ERROR = VISIBILITY_CUT_OFF.replace("sql: database is closed", "pq: deadlock")
# The same down + up, history-2 loading workflows' state (128 such lines, and one each of
# GetTimerTasks, ReadHistoryBranch and the event cache's read).
STATE_READ_CUT_OFF = (
    '{"level":"error","ts":"2026-12-03T12:52:12.266Z","msg":"Operation failed with internal '
    'error.","error":"GetWorkflowExecution: failed to get timer info. Error: Failed to get '
    'timer info. Error: sql: database is closed","error-type":"serviceerror.Unavailable",'
    '"operation":"GetWorkflowExecution"}'
)
CLOSED_IN_MESSAGE_ONLY = (
    '{"level":"error","ts":"2026-12-03T12:52:12.3Z","msg":"sql: database is closed"}'
)


def test_calls_cut_off_by_a_graceful_stop_closing_the_pools_are_noise_of_that_stop_only() -> None:
    lines = [VISIBILITY_CUT_OFF, STATE_READ_CUT_OFF, OTHER_VISIBILITY_ERROR, CLOSED_IN_MESSAGE_ONLY]
    stack = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, text) for text in lines]})
    window = (T0, T0 + timedelta(seconds=5))
    restarted = scan_after(stack, [TEMPORAL_RESTART], *window)
    assert [e.text for e in restarted.errors] == [OTHER_VISIBILITY_ERROR, CLOSED_IN_MESSAGE_ONLY]
    killed = DISRUPTIONS["the Temporal server is killed and started again"]
    assert len(scan_after(stack, [killed], *window).errors) == 4
    assert len(scan_after(stack, [PG_RESTART], *window).errors) == 4
    late = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, STATE_READ_CUT_OFF, 25)]})
    assert len(scan_after(late, [TEMPORAL_RESTART], T0, T0 + timedelta(seconds=30)).errors) == 1


def test_a_restart_during_an_outage_allows_postgres_noise_too() -> None:
    stack = stack_with({Service.POSTGRES: [line(Service.POSTGRES, PG_SHUTDOWN)]})
    outage = DISRUPTIONS["the Temporal server is restarted while PostgreSQL is down"]
    assert scan_after(stack, [outage], T0, T0 + timedelta(seconds=5)).errors == []


def test_an_autovacuum_worker_ended_by_a_restart_is_noise_of_that_restart_only() -> None:
    autovacuum = (
        "2026-12-03 13:19:02.752 UTC [26315] FATAL:  terminating autovacuum process due to "
        "administrator command"
    )
    stack = stack_with({Service.POSTGRES: [line(Service.POSTGRES, autovacuum)]})
    window = (T0, T0 + timedelta(seconds=5))
    assert scan_after(stack, [PG_RESTART], *window).errors == []
    killed = DISRUPTIONS["PostgreSQL is killed and started again"]
    assert [e.text for e in scan_after(stack, [killed], *window).errors] == [autovacuum]


def test_a_kill_does_not_excuse_what_only_a_graceful_stop_logs() -> None:
    stack = stack_with({Service.POSTGRES: [line(Service.POSTGRES, PG_SHUTDOWN)]})
    killed = DISRUPTIONS["PostgreSQL is killed and started again"]
    result = scan_after(stack, [killed], T0, T0 + timedelta(seconds=5))
    assert [e.text for e in result.errors] == [PG_SHUTDOWN]


# Seen in a CI run: the readiness probe lists workflows while PostgreSQL restarts.
NAMESPACE_UNREADABLE = (
    '{"level":"error","msg":"Operation failed with an error.","error":"Namespace default is not'
    ' found.","logging-call-at":"go.temporal.io/server@v1.30.8/common/persistence/visibility/'
    'visiblity_manager_metrics.go:215"}'
)
NAMESPACE_MISSING_ELSEWHERE = (
    '{"level":"error","msg":"start failed","error":"Namespace default is not found.",'
    '"logging-call-at":"go.temporal.io/server@v1.30.8/service/frontend/workflow_handler.go:1"}'
)


def test_only_the_visibility_layer_may_miss_the_namespace_and_only_while_postgres_is_away() -> None:
    lines = [NAMESPACE_UNREADABLE, NAMESPACE_MISSING_ELSEWHERE]
    stack = stack_with({Service.TEMPORAL: [line(Service.TEMPORAL, text) for text in lines]})
    window = (T0, T0 + timedelta(seconds=5))
    during_pg = scan_after(stack, [PG_RESTART], *window)
    assert [e.text for e in during_pg.errors] == [NAMESPACE_MISSING_ELSEWHERE]
    during_temporal = scan_after(stack, [TEMPORAL_RESTART], *window)
    assert [e.text for e in during_temporal.errors] == lines


def test_a_temporal_restart_does_not_excuse_postgres_ending_sessions() -> None:
    stack = stack_with({
        Service.POSTGRES: [line(Service.POSTGRES, PG_SHUTDOWN)],
        Service.TEMPORAL: [line(Service.TEMPORAL, TEMPORAL_STARTING)],
    })  # fmt: skip
    result = scan_after(stack, [TEMPORAL_RESTART], T0, T0 + timedelta(seconds=5))
    assert [e.text for e in result.errors] == [PG_SHUTDOWN]


def test_a_whole_stack_restart_allows_every_service_noise_but_not_real_errors() -> None:
    stack = stack_with({
        Service.POSTGRES: [line(Service.POSTGRES, PG_SHUTDOWN)],
        Service.TEMPORAL: [line(Service.TEMPORAL, TEMPORAL_STARTING),
                           line(Service.TEMPORAL, TEMPORAL_BROKEN, 2)],
    })  # fmt: skip
    result = scan_after(stack, [DOWN_UP], T0, T0 + timedelta(seconds=5))
    assert [e.text for e in result.errors] == [TEMPORAL_BROKEN]
    outside = scan_after(stack, [DOWN_UP], T0 + timedelta(seconds=3), T0 + timedelta(seconds=5))
    assert outside.errors == []
    assert outside.scanned == {"postgres": 0, "temporal": 0, "ui": 0}


def test_a_healthy_stack_after_a_passed_scenario_is_left_alone() -> None:
    stack = RecordingStack()
    assert recovery.restore(stack, failed=False) == "the stack was healthy: nothing to restore"
    assert stack.calls == []


def test_a_failed_scenario_brings_the_stack_down_and_up() -> None:
    stack = RecordingStack()
    assert recovery.restore(stack, failed=True) == "restored with down + up"
    assert stack.calls == ["down", "up"]
    stack = RecordingStack()
    stack.healthy_services.discard(Service.TEMPORAL)
    assert recovery.restore(stack, failed=True) == "restored with down + up (was: temporal  down)"
    assert recovery.describe_services(stack).splitlines()[1] == "temporal  healthy"


def test_a_passed_scenario_that_left_a_process_down_gets_it_started_by_up() -> None:
    stack = RecordingStack()
    stack.healthy_services.discard(Service.TEMPORAL)
    outcome = recovery.restore(stack, failed=False)
    assert outcome == "started what was down with up (was: temporal  down)"
    assert stack.calls == ["up"]


# -- the run-wide fixture ----------------------------------------------------------------


@dataclass
class FakeStatus:
    failed: bool

    def has_failed(self) -> bool:
        return self.failed


@dataclass
class FakeScenario:
    failed: bool
    name: str = "a scenario"

    @property
    def status(self) -> FakeStatus:
        return FakeStatus(self.failed)


@dataclass
class FakeDriver:
    alive: bool
    spec: Any = field(default_factory=type("Spec", (), {"identity": "worker-1"}))
    baseline: dict[str, Any] = field(default_factory=lambda: {"workflow": "old"})
    polled: list[dict[str, Any]] = field(default_factory=list)

    planned: bool = False

    def running(self) -> bool:
        return self.alive

    def died(self) -> bool:
        return not self.alive and not self.planned

    def exit_code(self) -> int | None:
        return None if self.alive else -9

    async def wait_polling(self, client: Any, timeout: float) -> list[str]:
        self.polled.append(dict(self.baseline))
        if client == "broken":
            raise AssertionError("the worker does not poll")
        return ["workflow", "activity"]


@dataclass
class FakeWorkerFixture:
    driver: FakeDriver | None
    replaced: int = 0

    async def replace(self, run: Any) -> FakeDriver:
        self.replaced += 1
        self.driver = FakeDriver(True)
        return self.driver


@dataclass
class FakeRun:
    stack: RecordingStack
    client_name: str = "client"
    endpoints: Any = None

    async def client(self) -> str:
        return self.client_name

    def run(self, coro: Any) -> Any:
        import asyncio

        return asyncio.run(coro)


def test_the_cleanup_restores_the_stack_and_replaces_a_worker_the_scenario_stopped() -> None:
    out = io.StringIO()
    fixture, run = PersistenceFixture(out=out), FakeRun(RecordingStack())
    worker = FakeWorkerFixture(FakeDriver(alive=False, planned=True))
    fixture.cleanup(run, worker, FakeScenario(failed=True))  # type: ignore[arg-type]
    assert run.stack.calls == ["down", "up"]
    assert [d.kind for d in fixture.disturbances] == ["down + up of the stack"]
    assert worker.replaced == 1
    assert out.getvalue().splitlines() == [
        "persistence cleanup after 'a scenario': restored with down + up",
        "persistence cleanup: started a new test worker in place of worker-1, which this "
        "scenario stopped",
    ]
    dead = FakeWorkerFixture(FakeDriver(alive=False, planned=False))
    fixture.cleanup(run, dead, FakeScenario(failed=False))  # type: ignore[arg-type]
    assert dead.replaced == 0  # a worker that died unplanned is never silently replaced
    assert "died outside a planned stop (-9); it is NOT replaced" in out.getvalue()
    quiet = PersistenceFixture(out=io.StringIO())
    quiet.cleanup(run, FakeWorkerFixture(None), FakeScenario(failed=False))  # type: ignore[arg-type]
    assert quiet.out.getvalue() == ""


def test_the_cleanup_waits_for_the_worker_to_poll_again_from_scratch() -> None:
    out = io.StringIO()
    fixture, driver = PersistenceFixture(out=out), FakeDriver(alive=True)
    fixture.cleanup(FakeRun(RecordingStack()), FakeWorkerFixture(driver), FakeScenario(False))  # type: ignore[arg-type]
    assert driver.polled == [{}]  # Temporal forgets pollers on a restart: any poll counts
    assert out.getvalue() == ""
    broken = FakeRun(RecordingStack(), client_name="broken")
    fixture.cleanup(broken, FakeWorkerFixture(driver), FakeScenario(False))  # type: ignore[arg-type]
    assert out.getvalue() == (
        "persistence cleanup: the deployment did not settle: the worker does not poll\n"
    )


def test_quiet_means_no_error_line_in_the_last_moments() -> None:
    now = datetime.now(UTC)
    stack = stack_with({Service.TEMPORAL: [
        LogLine(now - timedelta(seconds=5), "temporal", "error", "old noise"),
        LogLine(now - timedelta(seconds=0.2), "temporal", "info", "fine"),
    ]})  # fmt: skip
    assert recovery.recent_errors(stack, 1.0, now) == []
    recovery.wait_quiet(stack, quiet=1.0, timeout=1)
    stack.lines[Service.TEMPORAL].append(LogLine(now, "temporal", "error", "still failing"))
    assert [e.text for e in recovery.recent_errors(stack, 1.0, now)] == ["still failing"]
    with pytest.raises(WaitTimeout, match="1 s without an error-level line from any service; "
                       "last seen: \\[temporal\\] .*still failing"):  # fmt: skip
        recovery.wait_quiet(stack, quiet=1.0, timeout=0.2)


def test_the_run_ends_with_the_timings_and_the_mutant_switched_off() -> None:
    out = io.StringIO()
    fixture, run = PersistenceFixture(out=out), FakeRun(RecordingStack())
    assert fixture.summary() == ""
    fixture.timings = [
        DisruptionTiming("restart of temporal", T0, None, 1.5),
        DisruptionTiming("kill -9 + start of postgres", T0, 0.1, 0.4, 0.75),
    ]
    run.stack.mutant = "ephemeral-postgres"
    fixture.close(run)  # type: ignore[arg-type]
    assert out.getvalue().splitlines()[1:] == [
        "restart timings (seconds from the start of each disruption):",
        "disruption                   healthy   progress",
        "restart of temporal            1.50s        -",
        "kill -9 + start of postgres    0.40s     0.75s",
        "switching the ephemeral-postgres mutant off: back onto the real data",
    ]
    assert run.stack.calls == ["mutant off"]


class TwoHistoryHosts(RecordingStack):
    def processes(self, service: Service) -> list[Process]:
        if service is not Service.TEMPORAL:
            return super().processes(service)
        roles = ("frontend", "history", "history", "matching")
        return [Process(service, f"{role}-{n}", role) for n, role in enumerate(roles)]


def test_the_cleanup_waits_for_every_history_host_to_own_shards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[float] = []

    def spread(stack: Any, endpoints: Any, started_at: Any, within: float) -> Seen:
        waited.append(within)
        return Seen(None, ["history-2 owns no shard"], "")

    monkeypatch.setattr(persistence, "shards_spread", spread)
    out = io.StringIO()
    fixture, driver = PersistenceFixture(out=out), FakeDriver(alive=True)
    fixture.cleanup(FakeRun(RecordingStack()), FakeWorkerFixture(driver), FakeScenario(False))  # type: ignore[arg-type]
    assert waited == []  # one history host: nothing to wait for
    fixture.cleanup(FakeRun(TwoHistoryHosts()), FakeWorkerFixture(driver), FakeScenario(False))  # type: ignore[arg-type]
    assert waited == [recovery.SETTLE_TIMEOUT]
    assert out.getvalue() == (
        "persistence cleanup: the deployment did not settle: history-2 owns no shard\n"
    )
