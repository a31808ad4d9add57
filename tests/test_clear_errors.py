"""Errors for people everywhere: a wait that ran out, an OS error and a bad number are one
line and exit status 2 from the CLI (and before_all: test_environment_hooks.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from temporal_acceptance.cli import main as cli
from temporal_acceptance.clients.temporal import Poller
from temporal_acceptance.core.errors import UserError, WaitTimeout, as_user_error
from temporal_acceptance.workload.execute import no_worker_problem, seconds_option

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_bad_durations_are_refused_in_one_line() -> None:
    assert seconds_option("--timer", 5.0) == 5.0
    assert seconds_option("--timer", 0.0) == 0.0
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(UserError, match="is not a duration — give --timer as seconds"):
            seconds_option("--timer", bad)


def test_no_worker_is_a_queue_without_a_recent_poller_of_each_task_type() -> None:
    fresh = [Poller("w@h", NOW - timedelta(seconds=30))]
    stale = [Poller("w@h", NOW - timedelta(seconds=400))]
    assert no_worker_problem("q", {"workflow": fresh, "activity": fresh}, NOW) is None
    assert no_worker_problem("q", {"workflow": fresh, "activity": []}, NOW) == (
        "no worker is polling task queue q (activity tasks: never polled)"
    )
    assert no_worker_problem("q", {"workflow": stale, "activity": stale}, NOW) == (
        "no worker is polling task queue q (workflow tasks: last polled 400 s ago; "
        "activity tasks: last polled 400 s ago)"
    )
    unknown_time = [Poller("w@h", None)]
    assert no_worker_problem("q", {"workflow": unknown_time, "activity": fresh}, NOW) is None


def test_waits_and_os_errors_become_user_errors_and_nothing_else_does() -> None:
    waited = as_user_error(WaitTimeout("timed out after 1s waiting for x; last seen: y"))
    assert waited is not None
    assert waited.line() == (
        "timed out after 1s waiting for x; last seen: y — run again with --debug for the details"
    )
    missing = as_user_error(FileNotFoundError(2, "No such file or directory", "/nope"))
    assert missing is not None
    assert missing.line().startswith("No such file or directory: /nope — check the path")
    assert as_user_error(KeyError("a bug")) is None
    mine = UserError("p", "f")
    assert as_user_error(mine) is mine


def test_the_cli_prints_one_line_for_a_wait_an_os_error_and_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def raising(error: Exception) -> Any:
        def run(args: Any, env: Any = None) -> int:
            raise error

        return run

    monkeypatch.setattr(cli, "run", raising(WaitTimeout("timed out after 2s waiting for z")))
    assert cli.main(["status"]) == 2
    assert capsys.readouterr().err == (
        "error: timed out after 2s waiting for z — run again with --debug for the details\n"
    )
    monkeypatch.setattr(cli, "run", raising(IsADirectoryError(21, "Is a directory", "/tmp")))
    assert cli.main(["status"]) == 2
    assert capsys.readouterr().err.startswith("error: Is a directory: /tmp — ")
    monkeypatch.setattr(cli, "run", raising(WaitTimeout("w")))
    with pytest.raises(WaitTimeout):  # --debug shows the traceback
        cli.main(["--debug", "status"])
    with pytest.raises(SystemExit) as exited:
        cli.main(["bench", "--rounds", "nan"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "error: argument --rounds: invalid int value: 'nan' — see "
        "`temporal-acceptance bench --help`\n"
    )
