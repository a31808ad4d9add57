"""What a deployment serves, compared across a release change (checks/served.py), and the
upgrade procedure driven against a recording stack (gates/upgrade.py): the hop, its
rollback from the backup, a drill, and the refusals before anything is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_stack import RecordingStack
from history_builder import full_history
from temporalio.api.enums.v1 import EventType

from temporal_acceptance.checks.served import served_differences, ui_view_problems
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.gates import upgrade as gate
from temporal_acceptance.probes.served import ServedData, ServedWorkflow, UiView
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.ownership import claim
from temporal_acceptance.stack.release import SchemaUpdate

EVENTS = tuple(full_history(timer=1.0))


def served(*workflows: ServedWorkflow, error: str = "") -> ServedData:
    return ServedData({(w.workflow_id, w.run_id): w for w in workflows}, error)


DONE = ServedWorkflow("wf-1", "run-1", "COMPLETED", EVENTS)
RUNNING = ServedWorkflow("wf-2", "run-2", "RUNNING")


def test_the_same_workflows_with_the_same_histories_are_no_difference() -> None:
    before = served(DONE, RUNNING)
    assert served_differences(before, served(DONE, RUNNING)) == []
    # A running workflow may move on (its history is not compared), a new one may appear.
    other = ServedWorkflow("wf-3", "run-3", "COMPLETED", EVENTS)
    moved_on = ServedWorkflow("wf-2", "run-2", "COMPLETED", EVENTS)
    assert served_differences(before, served(DONE, moved_on, other)) == []
    assert before.summary() == "2 workflows: 1 closed with 31 history events, 1 running"
    assert before.to_json()["workflows"][0] == {
        "workflow_id": "wf-1", "run_id": "run-1", "status": "COMPLETED", "events": 31,
    }  # fmt: skip


def test_lost_and_changed_workflows_are_named() -> None:
    before = served(DONE, RUNNING)
    lost = served_differences(before, served(DONE), "on Temporal 1.31.2")
    assert lost == [
        "workflows lost on Temporal 1.31.2: 1 of 2 are no longer listed: wf-2 (run run-2)"
    ]
    truncated = ServedWorkflow("wf-1", "run-1", "COMPLETED", EVENTS[:-3])
    changed = served_differences(before, served(truncated, RUNNING))
    assert changed[0].startswith("workflow wf-1: history truncated: 31 events before, 28 after")


def test_an_unreadable_side_proves_nothing_and_says_so() -> None:
    assert "nothing is proven" in served_differences(served(error="down"), served(DONE))[0]
    problems = served_differences(served(DONE), served(error="connection refused"), "x")
    assert problems == [
        "lost or unreachable x: 1 workflows were served before; now they cannot be read: "
        "connection refused"
    ]
    assert served(error="e").summary() == "not readable: e"


def test_the_ui_must_run_its_release_list_everything_and_show_the_same_events() -> None:
    before = served(DONE, RUNNING)
    events = [(e.event_id, EventType.Name(e.event_type)) for e in EVENTS]
    view = UiView("2.52.0", {("wf-1", "run-1"), ("wf-2", "run-2")}, {("wf-1", "run-1"): events})
    assert ui_view_problems(before, view, "2.52.0") == []
    wrong = UiView("2.42.1", {("wf-1", "run-1")}, {("wf-1", "run-1"): events[:5]})
    problems = ui_view_problems(before, wrong, "2.52.0")
    assert problems[0] == "the UI server reports version '2.42.1', not 2.52.0"
    assert "does not list 1 of the 2 workflows that ran before: wf-2" in problems[1]
    assert "with 5 events (the same events up to the shorter of the two)" in problems[2]
    reordered = UiView("2.52.0", view.listed, {("wf-1", "run-1"): [events[1], *events[1:]]})
    assert "event 1 is" in ui_view_problems(before, reordered, "2.52.0")[0]
    assert ui_view_problems(before, UiView(error="refused"), "x") == [
        "the UI does not answer: refused"
    ]
    empty = UiView("2.52.0", view.listed, {})
    assert "served no history" in ui_view_problems(before, empty, "2.52.0")[0]


# -- the procedure ------------------------------------------------------------------------


class ReleaseStack(RecordingStack):
    """A recording stack that can change its release and update its schemas."""

    target = "native"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.release = settings.temporal_version

    def use_release(self, temporal_version: str, ui_version: str) -> None:
        self._do(f"use {temporal_version}")
        self.release = temporal_version
        self.settings = Settings.load(
            {"state_dir": str(self.settings.state_dir), "temporal_version": temporal_version,
             "ui_version": ui_version}, env={},
        )  # fmt: skip

    def update_schemas(self) -> list[SchemaUpdate]:
        self._do("update schemas")
        return [SchemaUpdate("temporal", "1.18", "1.19", 0.1)]

    def record_release(self) -> None:
        layout = Layout(self.settings.state_dir)
        layout.record({**layout.recorded(), "temporal_version": self.release})


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReleaseStack:
    state = tmp_path / "state"
    claim(state)
    Layout(state).record({"temporal_version": "1.30.8", "ui_version": "2.52.0"})
    settings = Settings.load({"state_dir": str(state), "temporal_version": "1.30.8"}, env={})
    done: list[str] = []

    def backup(endpoints: Any, directory: Path, *args: Any) -> object:
        directory.mkdir(parents=True)
        done.append("backup")
        return object()

    monkeypatch.setattr(gate, "take_backup", backup)
    monkeypatch.setattr(gate, "read_backup", lambda directory: "manifest")
    monkeypatch.setattr(gate, "restore_databases", lambda *args: done.append("restore"))
    stack = ReleaseStack(settings)
    stack.done = done  # type: ignore[attr-defined]
    return stack


def reads(*results: ServedData) -> Any:
    queue = list(results)
    return lambda stack: queue.pop(0)


def test_a_hop_backs_up_updates_swaps_and_verifies(deployment: ReleaseStack) -> None:
    plan = gate.UpgradePlan.check(deployment, "1.31.2", say=lambda line: None)
    record = gate.perform(plan, reads(served(DONE), served(DONE)))
    assert record.upgraded, record.lines()
    order = [c for c in deployment.calls if not c.startswith("use")]
    assert order == ["stop ui", "stop temporal", "update schemas", "start temporal", "start ui"]
    assert deployment.done == ["backup"]  # type: ignore[attr-defined]
    assert deployment.release == "1.31.2"
    assert record.schema_updates[0].after == "1.19"
    assert set(record.timings) >= {"back up both databases", "update both schemas", "total"}
    history = Layout(deployment.settings.state_dir).recorded()
    assert history["temporal_version"] == "1.31.2"
    assert history["upgrades"][0]["outcome"] == "upgraded"
    assert history["compatibility"]["temporal_version"] == "1.31.2"
    assert any("upgraded" in line for line in record.lines())


def test_a_failed_verification_is_rolled_back_from_the_backup(deployment: ReleaseStack) -> None:
    plan = gate.UpgradePlan.check(deployment, "1.31.2", say=lambda line: None)
    record = gate.perform(plan, reads(served(DONE, RUNNING), served(DONE), served(DONE, RUNNING)))
    assert record.outcome == "rolled back", record.lines()
    assert "the new release does not serve the old data" in record.failure
    assert deployment.done == ["backup", "restore"]  # type: ignore[attr-defined]
    assert deployment.release == "1.30.8"
    assert record.problems == []  # the old release serves the old data again
    assert Layout(deployment.settings.state_dir).recorded()["temporal_version"] == "1.30.8"


def test_a_drill_fails_on_purpose_and_a_bad_rollback_is_reported(
    deployment: ReleaseStack,
) -> None:
    plan = gate.UpgradePlan.check(deployment, "1.31.2", drill="start", say=lambda line: None)
    record = gate.perform(plan, reads(served(DONE), served()))
    assert record.outcome == "rollback failed"
    assert "drill: the hop fails on purpose after 'start'" in record.failure
    assert record.problems[0].startswith("workflows lost on Temporal 1.30.8")


def test_a_failed_schema_update_restores_and_restarts_the_old_release(
    deployment: ReleaseStack,
) -> None:
    def fail(name: str) -> None:
        if name == "update schemas":
            raise UserError("temporal-sql-tool update-schema on temporal failed: boom")

    deployment.on_call = fail
    plan = gate.UpgradePlan.check(deployment, "1.31.2", say=lambda line: None)
    record = gate.perform(plan, reads(served(DONE), served(DONE)))
    assert record.outcome == "rolled back"
    assert deployment.calls[-2:] == ["start temporal", "start ui"]
    assert deployment.release == "1.30.8"


def test_refusals_before_anything_is_touched(deployment: ReleaseStack, tmp_path: Path) -> None:
    say = lambda line: None  # noqa: E731
    with pytest.raises(UserError, match="skips the 1.31 release line"):
        gate.UpgradePlan.check(deployment, "1.32.2", say=say)
    with pytest.raises(UserError, match="unknown drill point"):
        gate.UpgradePlan.check(deployment, "1.31.2", drill="later", say=say)
    deployment.healthy_services.discard(Service.UI)
    with pytest.raises(UserError, match=r"not healthy \(ui not\)"):
        gate.UpgradePlan.check(deployment, "1.31.2", say=say)
    plan = gate.UpgradePlan.check(deployment, "1.31.2", say=say, dry_run=True)
    assert "back up both databases to" in "\n".join(plan.describe())
    assert deployment.calls == []
    empty = ReleaseStack(Settings.load({"state_dir": str(tmp_path / "none")}, env={}))
    with pytest.raises(UserError, match="no deployment in"):
        gate.UpgradePlan.check(empty, "1.31.2", say=say)
    with pytest.raises(UserError, match="cannot be read before the upgrade"):
        gate.perform(plan, reads(served(error="refused")))
