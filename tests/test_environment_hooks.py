"""environment.py: a bad setting ends the run with one line and exit status 2."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from temporal_acceptance.core.errors import WaitTimeout

REPO = Path(__file__).resolve().parents[1]


class Exited(Exception):
    pass


def load_environment() -> ModuleType:
    spec = importlib.util.spec_from_file_location("behave_environment", REPO / "environment.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_bad_setting_prints_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment = load_environment()
    codes: list[int] = []

    def exit_now(code: int) -> None:
        codes.append(code)
        raise Exited

    monkeypatch.setattr(environment.os, "_exit", exit_now)
    monkeypatch.setattr(environment, "CONSOLE", sys.stderr)
    context = SimpleNamespace(
        config=SimpleNamespace(userdata={"target": "kubernetes"}), add_cleanup=lambda *a, **k: None
    )
    with pytest.raises(Exited):
        environment.before_all(context)
    assert codes == [2]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: unknown target 'kubernetes' — use one of: native")


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (
            WaitTimeout(
                "timed out after 30s waiting for the Temporal frontend; last seen: NOT_SERVING\n"
                "tail of /var/tmp/x/logs/temporal.log:\n{...}"
            ),
            "error: timed out after 30s waiting for the Temporal frontend; last seen: "
            "NOT_SERVING — see /var/tmp/x/logs/temporal.log",
        ),
        (
            PermissionError(13, "Permission denied", "/proc/x/postgres"),
            "error: Permission denied: /proc/x/postgres — check the path, its permissions and "
            "free space",
        ),
    ],
)
def test_a_wait_that_ran_out_or_an_os_error_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: Exception,
    line: str,
) -> None:
    environment = load_environment()
    codes: list[int] = []

    def exit_now(code: int) -> None:
        codes.append(code)
        raise Exited

    def failing_fixture(*args: object) -> None:
        raise raised

    monkeypatch.setattr(environment.os, "_exit", exit_now)
    monkeypatch.setattr(environment, "CONSOLE", sys.stderr)
    monkeypatch.setattr(environment, "use_fixture", failing_fixture)
    context = SimpleNamespace(config=SimpleNamespace(userdata={}), add_cleanup=lambda *a: None)
    with pytest.raises(Exited):
        environment.before_all(context)
    assert codes == [2]
    assert capsys.readouterr().err.splitlines() == [line]
