"""The end-of-run secrets gate: every secret of the deployment, looked for in everything the
run wrote (from where each log stood when the run began), named by file and line — and it
fails the behave run."""

from __future__ import annotations

import base64
import io
import os
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.core.secrets import Secret, generate_password
from temporal_acceptance.core.verdict import GateFailed
from temporal_acceptance.fixtures import secrets as gate_module
from temporal_acceptance.fixtures.secrets import SecretsGate, report_cleanup_error
from temporal_acceptance.probes.leaks import find_leaks, read_from, scan_files

TEMPORAL = generate_password()
ADMIN = generate_password()


def test_each_line_holding_a_secret_is_named_once() -> None:
    data = f"a\nb {TEMPORAL.reveal()} {TEMPORAL.reveal()}\nc\n{ADMIN.reveal()}\n".encode()
    named = {"Temporal's": TEMPORAL, "admin's": ADMIN}
    leaks = find_leaks("f.log", data, named, first_line=10)
    assert [(leak.line_number, leak.secret, leak.encoding) for leak in leaks] == [
        (11, "Temporal's", "clear text"),
        (13, "admin's", "clear text"),
    ]
    encoded = base64.b64encode(b'{"dsn": "' + ADMIN.reveal().encode() + b'"}')
    (leak,) = find_leaks("r.json", b"x\ny\n" + encoded, named)
    assert (leak.line_number, leak.encoding) == (3, "base64")


def test_reading_starts_where_the_file_stood_unless_it_shrank(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("one\ntwo\nthree\n")
    assert read_from(path, 8) == (b"three\n", 3)
    assert read_from(path, 0) == (b"one\ntwo\nthree\n", 1)
    assert read_from(path, 10_000) == (b"one\ntwo\nthree\n", 1)  # rotated: all of it
    leaks, count = scan_files([path, tmp_path / "gone.log"], {"s": Secret("three-longer")})
    assert (leaks, count) == ([], 1)


class FakeStack:
    def __init__(self, logs_dir: Path, containers: dict[str, str] | None = None) -> None:
        self.logs_dir = logs_dir
        self.containers = containers or {}
        self.since: datetime | None = None

    def secrets(self) -> dict[str, Secret]:
        return {"Temporal's PostgreSQL password": TEMPORAL, "the PostgreSQL admin password": ADMIN}

    def log_files(self) -> list[Path]:
        return sorted(self.logs_dir.glob("*.log"))

    def container_logs(self, since: datetime) -> dict[str, str]:
        self.since = since
        return self.containers


def _gate(tmp_path: Path, stack: Any) -> SecretsGate:
    logs, results, junit = tmp_path / "logs", tmp_path / "results", tmp_path / "junit"
    for directory in (logs, results, junit):
        directory.mkdir(exist_ok=True)
    gate = SecretsGate(logs, [results], junit)
    gate.stack = lambda: stack
    return gate


def test_a_leak_written_during_the_run_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    temporal_log = tmp_path / "logs" / "temporal.log"
    temporal_log.write_text(f"an earlier run leaked {TEMPORAL.reveal()}\n")
    stack = FakeStack(tmp_path / "logs")
    gate = _gate(tmp_path, stack)
    problems, summary = gate.scan()
    assert problems == [], "what an earlier run wrote is not this run's leak"
    assert "0 leaks" in summary
    with temporal_log.open("a") as log:
        log.write(f"ok\nconnecting to postgresql://temporal:{TEMPORAL.reveal()}@h/temporal\n")
    (tmp_path / "logs" / "worker.log").write_text(f"admin {ADMIN.reveal()}\n")
    (tmp_path / "results" / "r-attachment.txt").write_bytes(
        base64.b64encode(f"pw={ADMIN.reveal()}".encode())
    )
    problems, summary = gate.scan()
    assert problems == [
        f"the PostgreSQL admin password appears in {tmp_path / 'results/r-attachment.txt'} "
        "line 1 (base64)",
        f"Temporal's PostgreSQL password appears in {temporal_log} line 3 (clear text)",
        f"the PostgreSQL admin password appears in {tmp_path / 'logs/worker.log'} line 1 "
        "(clear text)",
    ]
    assert TEMPORAL.reveal() not in "".join(problems) + summary
    assert "3 leaks" in summary


def test_container_logs_and_fresh_junit_files_count_old_junit_files_do_not(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path / "logs", {"p_temporal_1": f"x\n{TEMPORAL.reveal()}\n"})
    gate = _gate(tmp_path, stack)
    old = tmp_path / "junit" / "TESTS-old.xml"
    old.write_text(ADMIN.reveal())
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    (tmp_path / "junit" / "TESTS-deployment.xml").write_text(f"<x>{ADMIN.reveal()}</x>")
    problems, _ = gate.scan()
    assert problems == [
        f"the PostgreSQL admin password appears in {tmp_path / 'junit/TESTS-deployment.xml'} "
        "line 1 (clear text)",
        "Temporal's PostgreSQL password appears in the log of container p_temporal_1 "
        f"(docker logs --since {gate.started.isoformat(timespec='seconds')}) line 2 (clear text)",
    ]
    assert stack.since == gate.started


def test_a_run_without_a_deployment_has_nothing_to_scan(tmp_path: Path) -> None:
    gate = _gate(tmp_path, None)
    assert gate.scan() == ([], "no deployment in this run: nothing to look for")


def test_a_scan_that_reads_nothing_fails(tmp_path: Path) -> None:
    gate = _gate(tmp_path, FakeStack(tmp_path / "logs"))
    problems, _ = gate.scan()
    assert problems == ["no file was read: the secrets gate looked at nothing"]


def test_secrets_registered_for_redaction_are_looked_for_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = generate_password()
    monkeypatch.setattr(gate_module, "known_secrets", lambda: [TEMPORAL, other])
    gate = _gate(tmp_path, FakeStack(tmp_path / "logs"))
    named = gate.secrets(FakeStack(tmp_path))
    assert named["a secret of the deployment (#1)"] == other
    assert len(named) == 3


def _context(tmp_path: Path, stack: Any) -> Any:
    config = SimpleNamespace(
        userdata={"state_dir": str(tmp_path / "state"), "allure_results": str(tmp_path / "r")},
        junit=True,
        junit_directory=str(tmp_path / "junit"),
    )
    run = SimpleNamespace(stack=stack, deployed=stack is not None)
    return SimpleNamespace(config=config, run=run)


def test_the_fixture_fails_the_run_with_its_lines(tmp_path: Path) -> None:
    logs = tmp_path / "state" / "logs"
    logs.mkdir(parents=True)
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "result.json").write_text("{}")
    context = _context(tmp_path, FakeStack(logs))
    console = io.StringIO()
    fixture = gate_module.secrets_gate_fixture(context, console)
    gate = next(fixture)
    assert gate.logs_dir == logs
    assert gate.results_dirs == [tmp_path / "r"]
    (logs / "ui.log").write_text(f"{ADMIN.reveal()}\n")
    with pytest.raises(GateFailed) as failed:
        next(fixture)
    assert failed.value.about == gate_module.GATE
    out = console.getvalue()
    assert f"LEAK the PostgreSQL admin password appears in {logs / 'ui.log'} line 1" in out
    assert ADMIN.reveal() not in out
    # behave's cleanup-error hook: the gate printed its own lines, no traceback
    printed: list[Any] = []
    context.print_cleanup_error = lambda *args: printed.append(args)
    report_cleanup_error(context, fixture, failed.value)
    assert printed == []
    report_cleanup_error(context, fixture, RuntimeError("worker"))
    assert len(printed) == 1


def test_the_fixture_passes_a_clean_run_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "known_secrets", list)  # none registered by other tests
    logs = tmp_path / "state" / "logs"
    logs.mkdir(parents=True)
    (logs / "temporal.log").write_text("fine\n")
    console = io.StringIO()
    fixture = gate_module.secrets_gate_fixture(_context(tmp_path, FakeStack(logs)), console)
    next(fixture)
    with pytest.raises(StopIteration):
        next(fixture)
    assert "1 files and 0 container logs read for 2 secrets: 0 leaks" in console.getvalue()
