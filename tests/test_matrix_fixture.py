"""The @matrix fixture without real servers: the major's settings, the staged bring-up,
step outcomes as observations, the fixture's life cycle (observation saved and stack deleted
whatever the scenario did) and the workflow check's worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.compat.observations import CheckOutcome, Verdict
from temporal_acceptance.compat.observations import load as load_observations
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import MAX_TEMPORAL_PORT, Settings
from temporal_acceptance.core.verdict import GateFailed
from temporal_acceptance.fixtures import matrix
from temporal_acceptance.fixtures.matrix import (
    BRING_UP_STAGES,
    SLOTS,
    TEMPORAL_PORT_STEP,
    MatrixStack,
    check_from_step,
    matrix_settings,
    observation_for,
    suite_revision,
)
from temporal_acceptance.stack.base import Service


class FakeNative:
    """Stands in for NativeStack: each stage can be made to fail."""

    def __init__(self, settings: Settings, say: Any = None, fail: str = "") -> None:
        self.settings = settings
        self.say = say or (lambda line: None)
        self.fail = fail
        self.calls: list[str] = []
        self.layout = SimpleNamespace(
            password=lambda: Secret("matrix-pw"), has_password=lambda: True
        )
        self.temporal = SimpleNamespace(ensure_schema=self._schema)

    def known_secrets(self) -> list[Secret]:
        return [Secret("matrix-pw"), Secret("matrix-admin-pw")]

    def binaries(self) -> Any:
        return SimpleNamespace(
            postgres=SimpleNamespace(source="npm", version=f"{self.settings.postgres_major}.1"),
            schema=SimpleNamespace(temporal="1.18", visibility="1.13"),
        )

    def _schema(self, password: Secret, schema: Any) -> list[str]:
        if self.fail == "schema":
            raise RuntimeError("CREATE EXTENSION btree_gin failed")
        return []

    def start(self, service: Service) -> None:
        if self.fail == service.value:
            raise RuntimeError(f"{service.value} would not start")
        if self.fail == f"port {service.value}":
            raise UserError("port 55470 on 127.0.0.1 (PostgreSQL) is already in use", "x")
        self.calls.append(f"start {service.value}")

    def up(self) -> None:
        self.calls.append("up")

    def down(self, purge: bool = False) -> None:
        if self.fail == "down":
            raise RuntimeError("rm: device busy")
        self.calls.append(f"down purge={purge}")


def settings(tmp_path: Path, major: int = 16, **userdata: str) -> Settings:
    base = Settings.load({"state_dir": str(tmp_path / "shared")}, env={})
    return matrix_settings(userdata, base, major)


def stack_of(tmp_path: Path, fail: str = "", major: int = 16) -> MatrixStack:
    return MatrixStack(major, FakeNative(settings(tmp_path, major), fail=fail))  # type: ignore[arg-type]


def test_settings_force_the_version_and_move_ports_by_slot(tmp_path: Path) -> None:
    first, second = settings(tmp_path), settings(tmp_path, matrix_slot="1")
    assert first.force_version
    assert first.target == "native"
    assert first.postgres_major == 16
    assert second.temporal_port == first.temporal_port + TEMPORAL_PORT_STEP
    assert (second.postgres_port, second.ui_port) == (first.postgres_port + 1, first.ui_port + 1)
    assert first.state_dir.parent == tmp_path / "shared-matrix"
    assert first.state_dir != settings(tmp_path).state_dir  # a fresh directory every time
    last = settings(tmp_path, matrix_slot=str(SLOTS - 1))
    assert last.temporal_port - 294 <= 32767
    assert last.temporal_port <= MAX_TEMPORAL_PORT


@pytest.mark.parametrize(
    ("key", "value"),
    [("matrix_slot", "7"), ("matrix_slot", "x"), ("matrix_temporal_port", "40233")],
)
def test_settings_refuse_bad_userdata(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(UserError, match=key):
        settings(tmp_path, **{key: value})


def test_all_stages_pass_and_the_decision_is_recorded(tmp_path: Path) -> None:
    stack = stack_of(tmp_path)
    stack.bring_up()
    assert stack.error == ""
    assert [c.name for c in stack.stages] == list(BRING_UP_STAGES)
    assert {c.outcome for c in stack.stages} == {CheckOutcome.PASSED}
    assert stack.postgres_build == "npm 16.1"
    assert stack.stack.calls[-1] == "up"  # type: ignore[attr-defined]
    assert '"outcome": "supported"' in (stack.stack.settings.state_dir / "stack.json").read_text()


def test_a_failed_stage_stops_the_rest_and_says_why(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, fail="schema")
    stack.bring_up()
    outcomes = [c.outcome for c in stack.stages]
    assert (
        outcomes == [CheckOutcome.PASSED] * 2 + [CheckOutcome.FAILED] + [CheckOutcome.NOT_RUN] * 2
    )
    assert "CREATE EXTENSION btree_gin failed" in stack.error
    assert "up" not in stack.stack.calls  # type: ignore[attr-defined]


def test_a_taken_port_is_not_a_compatibility_failure(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, fail="port postgres")
    stack.bring_up()
    assert stack.stages[1].outcome is CheckOutcome.NOT_RUN
    assert "is already in use" in stack.stages[1].detail


def test_teardown_is_recorded_and_a_failed_one_says_why(tmp_path: Path) -> None:
    assert stack_of(tmp_path).tear_down().outcome is CheckOutcome.PASSED
    failed = stack_of(tmp_path, fail="down").tear_down()
    assert (failed.outcome, failed.detail) == (CheckOutcome.FAILED, "RuntimeError: rm: device busy")


@pytest.mark.parametrize(
    ("status", "error", "outcome", "detail"),
    [
        ("passed", "", CheckOutcome.PASSED, ""),
        ("failed", "the schema: wrong\nmore", CheckOutcome.FAILED, "the schema: wrong"),
        ("error", "Traceback (most recent call last):\n  x\nValueError: bad", CheckOutcome.FAILED,
         "ValueError: bad"),
        ("undefined", "", CheckOutcome.FAILED, "undefined"),
        ("pending", "", CheckOutcome.NOT_RUN, "pending"),
        ("skipped", "", CheckOutcome.NOT_RUN, "not reached: an earlier step did not pass"),
    ],
)  # fmt: skip
def test_step_outcomes(status: str, error: str, outcome: CheckOutcome, detail: str) -> None:
    check = check_from_step("a step", status, error)
    assert (check.outcome, check.detail) == (outcome, detail)


def test_observation_orders_stages_steps_then_teardown(tmp_path: Path) -> None:
    stack = stack_of(tmp_path)
    stack.bring_up()
    stack.live_version = "16.14"
    steps = [check_from_step("the workflow completes", "passed", "")]
    observed = observation_for(stack, steps, stack.tear_down(), "abc", today="2026-12-01")
    assert [c.name for c in observed.checks] == [
        *BRING_UP_STAGES, "the workflow completes", matrix.TEARDOWN,
    ]  # fmt: skip
    assert (observed.postgres_version, observed.suite, observed.verdict) == (
        "16.14",
        "abc",
        Verdict.WORKS,
    )


def test_suite_revision_outside_git(tmp_path: Path) -> None:
    assert suite_revision(tmp_path) == "unknown (not a git checkout)"


class FakeContext:
    def __init__(self, tmp_path: Path, step_status: str = "passed") -> None:
        base = Settings.load({"state_dir": str(tmp_path / "shared")}, env={})
        self.config = SimpleNamespace(
            userdata={
                "matrix_observations": str(tmp_path / "observations.json"),
                "matrix_suite": "test",
            }
        )
        self.run: Any = SimpleNamespace(settings=base, loop=None)
        step = SimpleNamespace(
            name="the workflow completes",
            status=SimpleNamespace(name=step_status),
            error_message="boom" if step_status == "failed" else "",
        )
        self.scenario = SimpleNamespace(steps=[SimpleNamespace(name="given"), step])


def test_the_fixture_makes_the_stack_the_run_and_always_leaves_an_observation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FakeNative] = []
    monkeypatch.setattr(
        matrix, "NativeStack", lambda s, say: made.append(FakeNative(s)) or made[-1]
    )
    context = FakeContext(tmp_path, step_status="failed")
    fixture = matrix.matrix_fixture(context, 16)
    borrowed = next(fixture)
    assert context.run.stack is borrowed.stack
    assert context.run.deployed
    with pytest.raises(StopIteration):
        next(fixture)  # the scenario's cleanup
    assert made[0].calls[-1] == "down purge=True"
    observed = load_observations(tmp_path / "observations.json")
    assert observed[0].verdict is Verdict.FAILS
    assert observed[0].checks[-2].detail == "boom"


def test_a_stack_that_did_not_come_up_fails_the_step_and_is_still_observed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FakeNative] = []
    monkeypatch.setattr(
        matrix,
        "NativeStack",
        lambda s, say: made.append(FakeNative(s, fail="temporal")) or made[-1],
    )
    context = FakeContext(tmp_path)
    with pytest.raises(GateFailed, match="did not come up: Temporal server serving"):
        next(matrix.matrix_fixture(context, 13))
    assert made[0].calls[-1] == "down purge=True"
    assert load_observations(tmp_path / "observations.json")[0].postgres_major == 13


def test_the_workflow_check_runs_a_worker_and_always_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Driver:
        def __init__(self, spec: Any) -> None:
            self.spec = spec

        async def start(self, client: Any) -> None:
            events.append("start")

        async def wait_polling(self, client: Any, timeout: float) -> None:
            events.append("polling")

        def close(self) -> None:
            events.append("close")

    async def execute(client: Any, options: Any) -> Any:
        raise RuntimeError("server went away")

    monkeypatch.setattr(
        matrix, "spec_for", lambda run, db, token: SimpleNamespace(task_queue=f"q-{token}")
    )
    monkeypatch.setattr(matrix, "WorkerDriver", Driver)
    monkeypatch.setattr(matrix, "run_test_workflow", execute)
    stack = stack_of(tmp_path)

    async def client() -> Any:
        return object()

    with pytest.raises(RuntimeError, match="server went away"):
        asyncio.run(matrix.workflow_on(SimpleNamespace(client=client), stack))  # type: ignore[arg-type]
    assert events == ["start", "polling", "close"]
    assert "workflow" in stack.seconds
