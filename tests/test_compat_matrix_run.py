"""The @matrix machinery without real servers: the plan, staged bring-up, the pool's
prefetching and limits, step outcomes as observations, the workload plug-in point, and the
probe the warning scenarios use."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.compat import matrix_checks, matrix_run
from temporal_acceptance.compat.matrix_checks import (
    StepResult,
    check_from_step,
    observation_for,
    suite_revision,
)
from temporal_acceptance.compat.matrix_run import (
    BRING_UP_STAGES,
    MatrixPlan,
    MatrixPool,
    MatrixStack,
    Slot,
    default_stack_wanted,
)
from temporal_acceptance.compat.matrix_session import planned_majors
from temporal_acceptance.compat.observations import CheckOutcome, Verdict
from temporal_acceptance.compat.observations import load as load_observations
from temporal_acceptance.errors import UserError
from temporal_acceptance.secrets import Secret
from temporal_acceptance.settings import Settings
from temporal_acceptance.stack.base import Service


class FakeNative:
    """Stands in for NativeStack: each service start can be made to fail."""

    live = 0
    most_live = 0
    lock = threading.Lock()

    def __init__(self, settings: Settings, say: Any = None, fail: str = "") -> None:
        self.settings = settings
        self.fail = fail
        self.calls: list[str] = []
        self.layout = SimpleNamespace(
            password=lambda: Secret("matrix-pw"),
            password_file=settings.state_dir / "stack.json",  # exists once the gate records
            root=settings.state_dir,
        )
        self.temporal = SimpleNamespace(ensure_schema=self._schema)

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
        if service is Service.POSTGRES:
            with FakeNative.lock:
                FakeNative.live += 1
                FakeNative.most_live = max(FakeNative.most_live, FakeNative.live)
        self.calls.append(f"start {service.value}")

    def up(self) -> None:
        self.calls.append("up")

    def down(self, purge: bool = False) -> None:
        with FakeNative.lock:
            FakeNative.live -= 1
        self.calls.append(f"down purge={purge}")


def plan(tmp_path: Path, **userdata: str) -> MatrixPlan:
    base = Settings.load({"state_dir": str(tmp_path / "shared")}, env={})
    return MatrixPlan.from_userdata(userdata, base)


# ---------------------------------------------------------------- the plan


def test_plan_defaults_keep_every_slot_apart_and_below_the_smallint_limit(tmp_path: Path) -> None:
    matrix = plan(tmp_path)
    assert matrix.jobs == 2
    assert matrix.root == tmp_path / "shared-matrix"
    ports = [port for slot in matrix.slots for port in slot.ports()]
    assert len(ports) == len(set(ports)), "two slots share a port"
    assert max(s.temporal_port for s in matrix.slots) - 294 <= 32767


def test_plan_settings_force_the_version_and_use_the_slot(tmp_path: Path) -> None:
    matrix = plan(tmp_path, matrix_jobs="3", matrix_temporal_port="20033")
    slot = matrix.slots[1]
    settings = matrix.settings_for(12, slot, tmp_path / "pg12")
    assert (settings.postgres_major, settings.force_version) == (12, True)
    assert (settings.temporal_port, settings.postgres_port) == (20433, slot.postgres_port)
    assert matrix.jobs == 3


@pytest.mark.parametrize(
    ("key", "value"),
    [("matrix_jobs", "0"), ("matrix_jobs", "x"), ("matrix_temporal_port", "40233")],
)
def test_plan_refuses_bad_userdata(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(UserError, match=key):
        plan(tmp_path, **{key: value})


def test_default_stack_switch() -> None:
    assert default_stack_wanted({})
    assert not default_stack_wanted({"default_stack": "off"})
    with pytest.raises(UserError, match="is not on/off"):
        default_stack_wanted({"default_stack": "later"})


# ---------------------------------------------------------------- staged bring-up


def matrix_stack(tmp_path: Path, major: int = 16, fail: str = "") -> MatrixStack:
    matrix = plan(tmp_path)
    settings = matrix.settings_for(major, matrix.slots[0], tmp_path / f"pg{major}")
    return MatrixStack(major, matrix.slots[0], settings, FakeNative(settings, fail=fail))  # type: ignore[arg-type]


def test_all_stages_pass_and_the_decision_is_recorded(tmp_path: Path) -> None:
    stack = matrix_stack(tmp_path, 12)
    stack.run_stages(lambda _: None)
    assert stack.up
    assert [c.name for c in stack.stages] == list(BRING_UP_STAGES)
    assert all(c.outcome is CheckOutcome.PASSED for c in stack.stages)
    assert stack.postgres_build == "npm 12.1"
    assert stack.report()["recorded_decision"]["outcome"] == "forced"


def test_a_failed_stage_stops_the_rest_and_says_why(tmp_path: Path) -> None:
    stack = matrix_stack(tmp_path, fail="schema")
    stack.run_stages(lambda _: None)
    outcomes = {c.name: c.outcome for c in stack.stages}
    assert outcomes["Temporal schema created"] is CheckOutcome.FAILED
    assert outcomes["Temporal server serving"] is CheckOutcome.NOT_RUN
    assert "btree_gin" in stack.error
    assert "up" not in stack.stack.calls  # type: ignore[attr-defined]


def test_teardown_is_recorded(tmp_path: Path) -> None:
    stack = matrix_stack(tmp_path)
    stack.run_stages(lambda _: None)
    stack.tear_down()
    assert stack.teardown is not None
    assert stack.teardown.outcome is CheckOutcome.PASSED
    assert "down" in stack.seconds


# ---------------------------------------------------------------- the pool


def test_pool_prefetches_respects_jobs_and_tears_everything_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matrix_run, "NativeStack", FakeNative)
    monkeypatch.setattr(Slot, "free", lambda self, host: True)
    FakeNative.live = FakeNative.most_live = 0
    pool = MatrixPool(plan(tmp_path, matrix_jobs="2"), [12, 13, 14, 15], lambda _: None)
    saved: list[int] = []
    for major in (12, 13, 14):
        stack = pool.get(major, timeout=10)
        assert stack.up
        assert stack.settings.postgres_major == major
        pool.release(stack, then=lambda m=major: saved.append(m)).result(timeout=10)
    pool.close()  # 15 was prefetched but never checked: torn down here
    assert FakeNative.most_live <= 2
    assert FakeNative.live == 0
    assert saved == [12, 13, 14]
    assert set(pool.futures) == {12, 13, 14, 15}


def test_close_reports_a_failed_teardown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenDown(FakeNative):
        def down(self, purge: bool = False) -> None:
            raise RuntimeError("pg_ctl hung")

    monkeypatch.setattr(matrix_run, "NativeStack", BrokenDown)
    monkeypatch.setattr(Slot, "free", lambda self, host: True)
    pool = MatrixPool(plan(tmp_path, matrix_jobs="1"), [16], lambda _: None)
    pool.release(pool.get(16, timeout=10))
    with pytest.raises(RuntimeError, match="1 matrix teardown"):
        pool.close()


# ---------------------------------------------------------------- checks → observation


@pytest.mark.parametrize(
    ("status", "error", "outcome", "detail"),
    [
        ("passed", "", CheckOutcome.PASSED, ""),
        ("failed", "Assertion Failed: schema 1.17, expected 1.18\nmore", CheckOutcome.FAILED,
         "Assertion Failed: schema 1.17, expected 1.18"),
        ("error", "Traceback (most recent call last):\n  File x\nOSError: refused",
         CheckOutcome.FAILED, "OSError: refused"),
        ("pending", "StepNotImplementedError: no workload", CheckOutcome.NOT_RUN,
         "StepNotImplementedError: no workload"),
        ("skipped", "", CheckOutcome.NOT_RUN, "not reached: an earlier step did not pass"),
        ("untested", "", CheckOutcome.NOT_RUN, "not reached: an earlier step did not pass"),
    ],
)  # fmt: skip
def test_step_outcomes(status: str, error: str, outcome: CheckOutcome, detail: str) -> None:
    check = check_from_step(StepResult("a step", status, error))
    assert (check.outcome, check.detail) == (outcome, detail)


def test_observation_orders_stages_steps_then_teardown(tmp_path: Path) -> None:
    stack = matrix_stack(tmp_path, 18)
    stack.run_stages(lambda _: None)
    stack.tear_down()
    steps = [StepResult("workflow", "pending", "not on this branch")]
    found = observation_for(stack, steps, "18.4", today="2026-11-25", suite="abc1234")
    assert [c.name for c in found.checks][-2:] == ["workflow", "stack stopped and its data deleted"]
    assert found.verdict is Verdict.INCOMPLETE
    assert (found.postgres_version, found.suite, found.observed_on) == (
        "18.4",
        "abc1234",
        "2026-11-25",
    )


def test_suite_revision_outside_git(tmp_path: Path) -> None:
    assert suite_revision(tmp_path) == "unknown (not a git checkout)"


# ---------------------------------------------------------------- the workflow check


def test_workflow_check_runs_a_worker_and_always_stops_it(
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
        return SimpleNamespace(
            completed=True,
            outcome="WorkflowExecutionCompleted",
            failure="",
            to_json=lambda: {"result": {"completed_stages": ["activities", "timer"]}},
        )

    monkeypatch.setattr(
        matrix_checks, "spec_for", lambda run, db, token: SimpleNamespace(task_queue=f"q-{token}")
    )
    monkeypatch.setattr(matrix_checks, "WorkerDriver", Driver)
    monkeypatch.setattr(matrix_checks, "execute_test_workflow", execute)
    stack = matrix_stack(tmp_path)

    async def client() -> Any:
        return object()

    run = SimpleNamespace(client=client)
    outcome = asyncio.run(matrix_checks.workflow_check(run, stack))  # type: ignore[arg-type]
    assert outcome.completed
    assert "stages completed: activities, timer" in outcome.summary
    assert events == ["start", "polling", "close"]
    assert "workflow" in stack.seconds


# ---------------------------------------------------------------- planned majors


def test_planned_majors_follow_the_feature_and_the_filters() -> None:
    def scenario(tags: list[str], first_step: str, runs: bool = True) -> Any:
        return SimpleNamespace(
            effective_tags=tags,
            steps=[SimpleNamespace(name=first_step)],
            should_run=lambda config: runs,
        )

    feature = SimpleNamespace(
        walk_scenarios=lambda: [
            scenario(["phase6"], "a deployment of Temporal on PostgreSQL 16"),
            scenario(["matrix"], "a fresh native stack on PostgreSQL 12 for the matrix"),
            scenario(["matrix"], "a fresh native stack on PostgreSQL 13 for the matrix", False),
            scenario(["matrix"], "a fresh native stack on PostgreSQL 18 for the matrix"),
        ]
    )
    assert planned_majors(SimpleNamespace(feature=feature, config=None)) == [12, 18]


# ---------------------------------------------------------------- the behave glue


def test_a_scenario_borrows_its_stack_and_leaves_an_observation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporal_acceptance.compat import matrix_session
    from temporal_acceptance.harness import Run
    from temporal_acceptance.stack.base import Endpoints

    class Native(FakeNative):
        def endpoints(self) -> Endpoints:
            return Endpoints("fe", "default", "ui", "127.0.0.1", 1, "t", Secret("matrix-pw"))

    monkeypatch.setattr(matrix_run, "NativeStack", Native)
    monkeypatch.setattr(Slot, "free", lambda self, host: True)
    observations = tmp_path / "observations.json"
    cleanups: dict[str, list[Any]] = {"scenario": [], "feature": []}
    steps = [
        SimpleNamespace(name="a fresh native stack on PostgreSQL 17 for the matrix",
                        status=SimpleNamespace(name="passed"), error_message=""),
        SimpleNamespace(name="the live PostgreSQL server reports major version 17",
                        status=SimpleNamespace(name="failed"),
                        error_message="reports 16.1 via postgresql://t:matrix-pw@db/x"),
    ]  # fmt: skip
    scenario = SimpleNamespace(effective_tags=["matrix"], steps=steps, should_run=lambda c: True)
    shared = Run(Settings.load({"state_dir": str(tmp_path / "shared")}, env={}), None, None)  # type: ignore[arg-type]
    context = SimpleNamespace(
        run=shared,
        scenario=scenario,
        feature=SimpleNamespace(walk_scenarios=lambda: [scenario]),
        config=SimpleNamespace(userdata={"matrix_observations": str(observations)}),
        add_cleanup=lambda f, layer="scenario": cleanups[layer].append(f),
    )
    borrowed = matrix_session.borrow_stack(context, 17)
    assert context.run is not shared
    assert context.run.settings.postgres_major == 17
    for cleanup in reversed(cleanups["scenario"]):
        cleanup()
    for cleanup in cleanups["feature"]:
        cleanup()  # the pool: waits for the background teardown, which saves
    (saved,) = load_observations(observations)
    assert saved.postgres_major == 17
    assert saved.verdict is Verdict.FAILS
    assert "matrix-pw" not in saved.checks[-2].detail, "a secret reached the observations file"
    assert "reports 16.1" in saved.checks[-2].detail
    assert borrowed.teardown is not None


def test_a_port_taken_mid_bring_up_moves_the_stack_to_another_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_slot: list[int] = []

    class UiPortTaken(FakeNative):
        def start(self, service: Service) -> None:
            if service is Service.UI and (not first_slot or first_slot[0] == self.settings.ui_port):
                first_slot.append(self.settings.ui_port)
                raise UserError(f"port {self.settings.ui_port} on 127.0.0.1 is already in use")
            super().start(service)

    monkeypatch.setattr(matrix_run, "NativeStack", UiPortTaken)
    monkeypatch.setattr(Slot, "free", lambda self, host: True)
    pool = MatrixPool(plan(tmp_path, matrix_jobs="1"), [16], lambda _: None)
    stack = pool.get(16, timeout=10)
    assert stack.up
    assert stack.settings.ui_port != first_slot[0]
    assert [s.ui_port for s in pool.avoided] == [first_slot[0]]
    pool.release(stack).result(timeout=10)
    pool.close()


def test_a_port_conflict_is_not_a_compatibility_failure(tmp_path: Path) -> None:
    class Taken(FakeNative):
        def start(self, service: Service) -> None:
            raise UserError("port 55470 on 127.0.0.1 (PostgreSQL) is already in use")

    matrix = plan(tmp_path)
    settings = matrix.settings_for(16, matrix.slots[0], tmp_path / "pg16")
    stack = MatrixStack(16, matrix.slots[0], settings, Taken(settings))  # type: ignore[arg-type]
    stack.run_stages(lambda _: None)
    assert stack.port_conflict
    conflict = stack.stages[1]
    assert conflict.outcome is CheckOutcome.NOT_RUN
    assert conflict.detail.startswith("not a compatibility result")
