"""The worker's command line, log format and the suite-facing fixture."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from temporal_acceptance.cli import workload as commands
from temporal_acceptance.cli.main import build_parser
from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import parse_line
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.worker import TestWorker, spec_for
from temporal_acceptance.workload import worker


def test_log_lines_start_with_an_iso_timestamp_the_log_reader_understands() -> None:
    formatter = worker.IsoFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord("w", logging.ERROR, __file__, 1, "boom", None, None)
    record.created = datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC).timestamp()
    text = formatter.format(record)
    assert text.startswith("2026-11-25T12:00:00.123+00:00 ERROR w: boom")
    assert parse_line(text) == (datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC), "error")


def test_the_worker_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TACC_TEMPORAL_PORT", "17999")
    parser = worker.build_parser(Settings.load())
    args = parser.parse_args(["--task-queue", "q", "--identity", "me"])
    assert (args.address, args.task_queue, args.identity) == ("127.0.0.1:17999", "q", "me")
    config = worker.WorkerConfig(args.address, "default")
    assert config.worker_identity == worker.default_identity()
    assert "task_queue=temporal-acceptance-test" in worker.ready_line(config)


def test_the_worker_exits_2_with_one_line_when_temporal_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    code = worker.main(["--address", "127.0.0.1:1", "--connect-timeout", "0.3"])
    assert code == 2


def test_the_worker_rejects_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TACC_TEMPORAL_PORT", "not-a-port")
    assert worker.main([]) == 2


@dataclass
class FakeRun:
    settings: Settings
    endpoints: Any


def test_the_fixture_gives_each_run_its_own_queue_and_identity(tmp_path: Path) -> None:
    endpoints = type(
        "Endpoints",
        (),
        {
            "temporal_address": "127.0.0.1:7233",
            "namespace": "default",
            "worker_conninfo": lambda self, db: f"dbname={db} password=pw",
            "frontend_tls": FrontendTls(),
        },
    )()
    run = FakeRun(Settings(state_dir=tmp_path), endpoints)
    spec = spec_for(run, "acceptance_app", "abcd1234")  # type: ignore[arg-type]
    assert spec.task_queue == "temporal-acceptance-test-abcd1234"
    assert spec.identity.startswith("temporal-acceptance-worker-abcd1234@")
    assert spec.log_file == tmp_path / "logs" / "worker.log"
    assert isinstance(spec.app_conninfo, Secret)
    assert spec.app_conninfo.reveal() == "dbname=acceptance_app password=pw"


def test_the_fixture_reads_its_switches() -> None:
    assert TestWorker({}).app_database == "acceptance_app"
    assert TestWorker({}).mode == "running"
    assert TestWorker({"app_database": "wrong_db"}).app_database == "wrong_db"
    assert TestWorker({"worker": "stopped"}).mode == "stopped"
    with pytest.raises(UserError, match="unknown worker mode 'sleeping'"):
        TestWorker({"worker": "sleeping"})
    TestWorker({}).close()  # nothing started: nothing to stop


def test_the_cli_offers_execute_and_worker() -> None:
    parser = build_parser()
    args = parser.parse_args(["execute", "--timer", "2", "--temporal-port", "17233"])
    assert (args.command, args.timer, args.temporal_port) == ("execute", 2.0, "17233")
    args = parser.parse_args(["worker", "--task-queue", "q"])
    assert (args.command, args.task_queue, args.app_database) == ("worker", "q", "acceptance_app")
    argv = commands.worker_argv(Settings(temporal_port=17233), "q", "me")
    assert argv[1:3] == ["-m", "temporal_acceptance.workload.worker"]
    assert "127.0.0.1:17233" in argv


def test_the_worker_stops_when_the_watched_process_exits(run: Any) -> None:
    import asyncio
    import subprocess

    child = subprocess.Popen(["sleep", "30"])

    async def scenario() -> bool:
        stop = asyncio.Event()
        worker.watch_process(asyncio.get_running_loop(), child.pid, stop)
        assert not stop.is_set()
        child.kill()
        await asyncio.wait_for(stop.wait(), timeout=10)  # set by the pidfd, not by polling
        return stop.is_set()

    assert run(scenario())
    child.wait()


def test_watching_a_missing_process_only_warns(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    async def scenario() -> None:
        worker.watch_process(asyncio.get_running_loop(), 2**22 + 12345, asyncio.Event())

    run(scenario())
    assert "the worker will not stop with it" in caplog.text


def test_a_fatal_worker_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fails(config: worker.WorkerConfig) -> None:
        raise RuntimeError("Worker validation failed: Namespace nowhere was not found")

    monkeypatch.setattr(worker, "_main", fails)
    assert worker.main(["--address", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("ERROR temporal_acceptance.worker: worker failed: Worker validation "
                            "failed: Namespace nowhere was not found")  # fmt: skip
