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


def _config(**settings: object) -> SimpleNamespace:
    """behave's configuration as before_all reads it: the default tags and their selection."""
    default_tags = ["not @matrix and not @multirole and not @upgrade and not @load"]
    return SimpleNamespace(tags=default_tags, tag_expression=None, **settings)


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
        config=_config(userdata={"target": "kubernetes"}), add_cleanup=lambda *a, **k: None
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
    context = SimpleNamespace(config=_config(userdata={}), add_cleanup=lambda *a: None)
    with pytest.raises(Exited):
        environment.before_all(context)
    assert codes == [2]
    assert capsys.readouterr().err.splitlines() == [line]


class _Scenario:
    def __init__(self, tags: list[str], steps: list[str]) -> None:
        self.effective_tags = tags
        self.all_steps = [SimpleNamespace(name=name) for name in steps]
        self.skipped: list[str] = []

    def skip(self, reason: str) -> None:
        self.skipped.append(reason)


def test_an_operation_the_target_cannot_perform_becomes_a_skip_with_its_reason() -> None:
    from behave.model_core import Status

    from temporal_acceptance.core.errors import NotSupportedOnTarget

    environment = load_environment()
    scenario = _Scenario([], [])
    step = SimpleNamespace(
        status=Status.error,
        exception=NotSupportedOnTarget("killing temporal", "external"),
        error_message="Traceback ...",
    )
    environment.after_step(SimpleNamespace(scenario=scenario), step)
    assert step.status == Status.skipped
    assert (step.exception, step.error_message) == (None, None)
    assert scenario.skipped == [
        "killing temporal is not supported on the external target — run disruptive scenarios "
        "against the native or compose target"
    ]
    failure = SimpleNamespace(status=Status.failed, exception=AssertionError("x"))
    environment.after_step(SimpleNamespace(scenario=scenario), failure)
    assert failure.status == Status.failed


def test_a_gate_the_target_cannot_run_is_skipped_before_it_starts() -> None:
    environment = load_environment()
    stack = SimpleNamespace(target="external", supports_disruption=False)
    context = SimpleNamespace(run=SimpleNamespace(stack=stack))
    scenario = _Scenario(["disruptive", "P0"], ["the Temporal server is restarted"])
    environment.before_scenario(context, scenario)
    assert len(scenario.skipped) == 1
    assert scenario.skipped[0].startswith("it changes the deployment")


def test_a_features_end_closes_the_browser_session_it_kept() -> None:
    import asyncio

    environment = load_environment()
    closed: list[str] = []

    async def close_session() -> None:
        closed.append("session")

    context = SimpleNamespace(
        run=SimpleNamespace(run=asyncio.run),
        browser=SimpleNamespace(close_session=close_session),
    )
    environment.after_feature(context, SimpleNamespace(name="Temporal UI in a browser"))
    assert closed == ["session"]
