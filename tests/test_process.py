from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.native.process import (
    ManagedProcess,
    ServiceExited,
    descendants,
    proc_start_time,
)


def _process(tmp_path: Path, sig: signal.Signals = signal.SIGTERM) -> ManagedProcess:
    return ManagedProcess("sleeper", tmp_path / "run/sleeper.pid", tmp_path / "logs/s.log", sig)


def test_start_is_idempotent_and_stop_ends_it(tmp_path: Path) -> None:
    process = _process(tmp_path)
    pid = process.start(["sleep", "60"])
    assert process.pid() == pid
    assert process.start(["sleep", "60"]) == pid  # already running: no second process
    process.stop(timeout=5)
    assert process.pid() is None
    assert not process.pid_file.exists()


def test_stop_escalates_to_sigkill_when_ignored(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.start(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"])
    process.stop(timeout=0.3)
    assert not process.running()


def test_kill_takes_the_whole_group(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.start(["sh", "-c", "sleep 60 & sleep 60"])
    process.kill()
    assert not process.running()
    process.kill()  # nothing to kill: harmless


def test_kill_takes_children_that_left_the_group(tmp_path: Path) -> None:
    """Like PostgreSQL's backends, a child in a session of its own dies with the service."""
    process = _process(tmp_path)
    pid = process.start(["sh", "-c", "setsid sleep 60 & wait"])
    child = wait_until(
        lambda: descendants(pid),
        what="the service's child",
        timeout=5,
        accept=lambda found: any(proc_start_time(p) for p in found),
    )[-1]
    assert os.getsid(child) != os.getsid(pid)
    process.kill()
    assert not process.running()
    assert proc_start_time(child) is None


def test_a_service_that_needs_its_pid_gone_is_reaped_after_a_kill(tmp_path: Path) -> None:
    process = ManagedProcess("pg-like", tmp_path / "p.pid", tmp_path / "p.log",
                             reaped_before_restart=True)  # fmt: skip
    pid = process.start(["sleep", "60"])
    process.kill()
    assert not Path(f"/proc/{pid}").exists()  # not even a zombie a new start would trip on


def test_descendants_are_found_through_every_generation(tmp_path: Path) -> None:
    for pid, parent in ((10, 1), (11, 10), (12, 11), (13, 1)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (x y) S {parent} 0 0")
    (tmp_path / "self").mkdir()
    (tmp_path / "99").mkdir()  # vanished between listing and reading
    assert sorted(descendants(10, tmp_path)) == [11, 12]
    assert descendants(13, tmp_path) == []


def test_recycled_pid_is_not_mistaken_for_ours(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.pid_file.parent.mkdir(parents=True)
    process.pid_file.write_text("1 12345\n")  # pid 1 exists, start time differs
    assert process.pid() is None
    process.pid_file.write_text("garbage")
    assert process.pid() is None


def test_output_goes_to_the_log(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.start(["sh", "-c", "echo hello-from-service; sleep 30"], env={"PATH": "/usr/bin:/bin"})
    try:
        wait_until(
            lambda: "hello-from-service" in process.log_file.read_text(),
            what="the service's output in its log",
            timeout=5,
        )
    finally:
        process.stop(timeout=5)


def test_unstartable_program_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="could not start sleeper"):
        _process(tmp_path).start([str(tmp_path / "no-such-binary")])


def test_proc_start_time_handles_odd_names_and_absence(tmp_path: Path) -> None:
    (tmp_path / "77").mkdir()
    fields = " ".join(["S"] + [str(i) for i in range(4, 22)] + ["999", "0"])  # field 22 = 999
    (tmp_path / "77" / "stat").write_text(f"77 (we ird) name) {fields}")
    assert proc_start_time(77, tmp_path) == "999"
    (tmp_path / "78").mkdir()
    (tmp_path / "78" / "stat").write_text(f"78 (z) {fields.replace('S', 'Z', 1)}")
    assert proc_start_time(78, tmp_path) == "999"  # zombie leader, 20 threads still running
    single = fields.replace("S", "Z", 1).replace(" 20 ", " 1 ")  # field 20: num_threads
    (tmp_path / "78" / "stat").write_text(f"78 (z) {single}")
    assert proc_start_time(78, tmp_path) is None
    assert proc_start_time(79, tmp_path) is None


def test_a_dead_service_is_reported_with_its_last_error(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.log_file.parent.mkdir(parents=True)
    process.log_file.write_text(
        '{"level":"info","ts":"2026-11-25T10:00:00Z","msg":"starting"}\n'
        '{"level":"fatal","ts":"2026-11-25T10:00:01Z","msg":"value 44935 is out of range"}\n'
        '{"level":"info","ts":"2026-11-25T10:00:02Z","msg":"bye"}\n'
    )
    with pytest.raises(ServiceExited) as info:
        process.require_running()
    assert "the sleeper process is not running" in info.value.problem
    assert "value 44935 is out of range" in info.value.problem
    assert str(process.log_file) in info.value.fix


def test_fatal_errors_end_a_wait_at_once(tmp_path: Path) -> None:
    process = _process(tmp_path)
    with pytest.raises(ServiceExited):
        wait_until(
            process.require_running,
            what="a service that is gone",
            timeout=30,
            fatal=(ServiceExited,),
        )
