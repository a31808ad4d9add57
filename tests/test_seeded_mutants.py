"""The seeded mutants of the native stack and the worker: each hook does its one defect only
when its mutant is on, and a damaging mutant refuses a stack that holds a deployment."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_stack import RecordingStack
from test_mutant import native

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.fixtures.faults import WorkerOomKiller
from temporal_acceptance.stack.mutants import CATALOGUE, MUTANTS
from temporal_acceptance.stack.native import defects as seeded
from temporal_acceptance.stack.native import mutant_switch
from temporal_acceptance.stack.native.defects import SeededDefect, TimerFreezer, version_behind
from temporal_acceptance.workload.driver import WorkerDriver, WorkerSpec


class Recorder:
    def __init__(self) -> None:
        self.statements: list[tuple[str, str, Any]] = []

    @contextlib.contextmanager
    def connect(self, endpoints: Any, database: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        recorder = self

        class Conn:
            def execute(self, sql: str, params: Any = None) -> None:
                recorder.statements.append((database, " ".join(sql.split()), params))

        yield Conn()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(seeded, "connect", found.connect)
    return found


def test_the_catalogue_holds_at_least_the_issues_mutants_with_unique_names() -> None:
    names = [m.name for m in CATALOGUE]
    assert len(names) == len(set(names))
    for name in seeded.SEEDED:
        assert name in names, name
    assert "worker-oom-killed" in names


def test_each_database_hook_does_only_its_own_defect(recorder: Recorder) -> None:
    for name in ("", "late-timer", "ui-wrong-frontend"):
        defect = SeededDefect(name)
        defect.before_temporal_starts(None, None)  # type: ignore[arg-type]
        defect.after_temporal_serves(None, None, "1.13")  # type: ignore[arg-type]
    assert recorder.statements == []
    SeededDefect("table-missing").before_temporal_starts(None, None)  # type: ignore[arg-type]
    SeededDefect("history-deleted-on-restart").before_temporal_starts(None, None)  # type: ignore[arg-type]
    SeededDefect("visibility-drops-closed").before_temporal_starts(None, None)  # type: ignore[arg-type]
    SeededDefect("visibility-schema-behind").after_temporal_serves(None, None, "1.13")  # type: ignore[arg-type]
    assert [(db, sql.split()[:3], p) for db, sql, p in recorder.statements] == [
        ("temporal", ["drop", "table", "if"], None),
        ("temporal", ["delete", "from", "history_node"], None),
        ("temporal_visibility", ["create", "or", "replace"], None),
        ("temporal_visibility", ["drop", "trigger", "if"], None),
        (
            "temporal_visibility",
            ["create", "trigger", "temporal_acceptance_mutant_drop_closed"],
            None,
        ),
        (
            "temporal_visibility",
            ["update", "schema_version", "set"],
            ("1.12", "temporal_visibility"),
        ),
    ]


def test_configuration_hooks(tmp_path: Path) -> None:
    assert SeededDefect("").temporal_config({"log": {"stdout": True}}, tmp_path) == {
        "log": {"stdout": True}
    }
    moved = SeededDefect("temporal-log-elsewhere").temporal_config({}, tmp_path)
    assert moved["log"]["stdout"] is False
    assert moved["log"]["outputFile"].startswith(str(tmp_path))
    assert SeededDefect("").ui_frontend("f:1", "h:2") == "f:1"
    assert SeededDefect("ui-wrong-frontend").ui_frontend("f:1", "h:2") == "h:2"
    assert version_behind("1.13") == "1.12"
    assert version_behind("2.0") == "2.0"


def test_the_freezer_freezes_once_for_each_new_pending_timer() -> None:
    frozen: list[float] = []
    readings = iter([{("w", "r", "old")}, {("w", "r", "old"), ("w", "r", "1")}])
    freezer = TimerFreezer(lambda: None, frozen.append)  # type: ignore[arg-type,return-value]
    freezer.POLL_SECONDS = 0.01

    def pending() -> set[tuple[str, str, str]]:
        try:
            return next(readings)
        except StopIteration:
            freezer.halt.set()
            return {("w", "r", "old"), ("w", "r", "1")}

    freezer.pending = pending  # type: ignore[method-assign]
    freezer.run()
    assert frozen == [seeded.FREEZE_SECONDS]
    assert freezer.freezes == 1
    unreachable = TimerFreezer(RecordingStack().endpoints, frozen.append)
    assert unreachable.pending() == set()  # no database: nothing pending, no freeze


def test_the_watch_starts_a_freezer_only_for_the_late_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    monkeypatch.setattr(TimerFreezer, "start", lambda self: started.append("started"))
    monkeypatch.setattr(TimerFreezer, "join", lambda self, timeout=None: None)
    SeededDefect("table-missing").watch(lambda: None, lambda s: None)  # type: ignore[arg-type,return-value]
    late = SeededDefect("late-timer")
    late.watch(lambda: None, lambda s: None)  # type: ignore[arg-type,return-value]
    late.watch(lambda: None, lambda s: None)  # type: ignore[arg-type,return-value]
    assert started == ["started"]
    late.stop()
    assert late.freezer is None


def test_a_damaging_mutant_refuses_a_state_dir_that_holds_a_deployment(tmp_path: Path) -> None:
    stack = native(tmp_path)
    stack.layout.pg_data.mkdir(parents=True)
    with pytest.raises(UserError, match="run it on a new state directory"):
        stack.enable_mutant("table-missing")
    stack.enable_mutant("late-timer")  # no damage: fine on any stack
    assert stack.mutant == "late-timer"


def test_a_seeded_stack_points_the_ui_elsewhere_until_switched_off(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    stack = native(tmp_path)
    stack.say = said.append
    stack.enable_mutant("ui-wrong-frontend")
    assert stack.ui.frontend == f"127.0.0.1:{stack.ports.history}"
    assert stack.temporal.configure({"log": 1}) == {"log": 1}
    assert said == [f"  MUTANT ui-wrong-frontend: {MUTANTS['ui-wrong-frontend'].summary}"]
    mutant_switch.seed_defect(stack, "")  # what switching it off does before the up
    assert stack.ui.frontend == stack.temporal.address
    assert stack.defect.name == ""


def test_the_oom_killer_kills_the_worker_at_its_first_signal_wait(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("2026-11-25T14:00:00.000+00:00 INFO x: stage signal (an earlier run)\n")
    driver = WorkerDriver(WorkerSpec("h:1", "ns", "q", "me@h", log))
    driver.process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    killer = WorkerOomKiller(driver)
    killer.POLL_SECONDS = 0.01
    killer.start()
    assert not killer.killed.wait(0.2)  # a line from before it was armed does not count
    with log.open("a") as handle:
        handle.write("2026-11-25T14:00:01.000+00:00 INFO temporalio.workflow: stage signal\n")
    assert killer.killed.wait(5)
    driver.process.wait(5)
    assert driver.exit_code() == -9
    assert driver.died()  # not a planned kill: the gates must fail on it
    halted = WorkerOomKiller(driver)
    threading.Timer(0.05, halted.halt.set).start()
    halted.run()
    assert not halted.killed.is_set()


def test_a_changed_shard_count_follows_a_cluster_created_with_the_real_one() -> None:
    from types import SimpleNamespace

    from temporal_acceptance.core.secrets import Secret
    from temporal_acceptance.stack.base import Service

    started: list[int] = []
    temporal = SimpleNamespace(history_shards=8)
    temporal.start = lambda password: started.append(temporal.history_shards)
    stack = SimpleNamespace(
        mutant="second-shard-count",
        temporal=temporal,
        settings=SimpleNamespace(topology=""),
        say=lambda line: None,
        stop=lambda service: started.append(-1 if service is Service.TEMPORAL else 0),
    )
    mutant_switch.before_temporal_starts(stack, Secret("pw"), first_time=False)  # type: ignore[arg-type]
    assert started == []  # the cluster exists: the changed count is what it meets
    mutant_switch.before_temporal_starts(stack, Secret("pw"), first_time=True)  # type: ignore[arg-type]
    assert started == [4, -1]  # created with the real count, stopped
    assert temporal.history_shards == 8  # the next start runs the changed count
