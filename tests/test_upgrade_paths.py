"""Upgrade paths (compat/upgrades.py) and the deploy command's path gate (stack/deploy.py):
one minor line at a time, never backwards, each refusal naming the path to take."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.compat.upgrades import (
    Hop,
    Step,
    classify,
    deploy_refusal,
    path,
    refusal,
    release_of,
    upgrade_hop,
)
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.deploy import (
    backup_before,
    deployed_release,
    deployed_versions,
    path_gate,
    record_upgrade,
)
from temporal_acceptance.stack.native.layout import Layout


@pytest.mark.parametrize(
    ("current", "target", "step"),
    [
        ("1.30.8", "1.30.8", Step.SAME),
        ("1.30.8", "1.30.9", Step.PATCH),
        ("1.30.8", "1.31.2", Step.NEXT_MINOR),
        ("1.30.8", "1.32.2", Step.SKIP),
        ("1.31.2", "1.30.8", Step.DOWNGRADE),
        ("1.30.9", "1.30.8", Step.DOWNGRADE),
        ("1.30.8", "2.0.0", Step.OTHER_MAJOR),
    ],
)
def test_classify(current: str, target: str, step: Step) -> None:
    assert classify(current, target) is step


def test_the_path_goes_through_each_line_in_between() -> None:
    assert path("1.29.2", "1.32.2") == [
        Hop("1.29.2", "1.30.8"),
        Hop("1.30.8", "1.31.2"),
        Hop("1.31.2", "1.32.2"),
    ]
    assert path("1.30.8", "1.30.8") == []
    assert path("1.30.8", "1.30.9") == [Hop("1.30.8", "1.30.9")]
    assert str(Hop("1.30.8", "1.31.2")) == "1.30.8 → 1.31.2"
    assert release_of(1, 33) == "1.33.x (the newest 1.33 patch)"
    with pytest.raises(UserError, match="a downgrade is refused"):
        path("1.31.2", "1.30.8")


def test_a_skipped_line_is_refused_with_the_commands_of_the_path() -> None:
    error = refusal("1.30.8", "1.32.2")
    assert "skips the 1.31 release line" in error.problem
    assert error.fix == (
        "take the path 1.30.8 → 1.31.2 → 1.32.2: `temporal-acceptance upgrade --to 1.31.2`, "
        "then `temporal-acceptance upgrade --to 1.32.2`"
    )
    two = refusal("1.29.2", "1.32.2")
    assert "skips the 1.30, 1.31 release lines" in two.problem


def test_a_downgrade_names_the_backup_to_restore() -> None:
    error = refusal("1.31.2", "1.30.8", backup="/b/before-1.31.2")
    assert "a downgrade is refused" in error.problem
    assert "temporal-acceptance restore --from /b/before-1.31.2" in error.fix
    assert "<the backup taken before the upgrade>" in refusal("1.31.2", "1.30.8").fix
    assert "changes the major version" in refusal("1.30.8", "2.0.0").problem


def test_deploy_takes_the_same_line_and_sends_the_next_to_the_upgrade_command() -> None:
    assert deploy_refusal("1.30.8", "1.30.8") is None
    assert deploy_refusal("1.30.8", "1.30.9") is None
    error = deploy_refusal("1.30.8", "1.31.2")
    assert error is not None
    assert "needs both schemas updated before it starts" in error.problem
    assert "`temporal-acceptance upgrade --to 1.31.2`" in error.fix


def test_the_upgrade_command_takes_one_hop_only() -> None:
    assert upgrade_hop("1.30.8", "1.31.2") == Hop("1.30.8", "1.31.2")
    assert upgrade_hop("1.30.8", "1.30.9") == Hop("1.30.8", "1.30.9")
    with pytest.raises(UserError, match="already runs Temporal 1.30.8"):
        upgrade_hop("1.30.8", "1.30.8")
    with pytest.raises(UserError, match="skips the 1.31 release line"):
        upgrade_hop("1.30.8", "1.32.2")
    with pytest.raises(UserError, match="downgrade"):
        upgrade_hop("1.31.2", "1.30.8")


def _deployment(tmp_path: Path, data: dict[str, object]) -> Path:
    tmp_path.mkdir(parents=True)
    Layout(tmp_path).record(data)
    return tmp_path


def test_the_deployed_release_comes_from_the_record(tmp_path: Path) -> None:
    assert deployed_release(tmp_path / "none") is None
    assert deployed_versions(tmp_path / "none") is None
    only_decision = _deployment(tmp_path / "a", {"compatibility": {"temporal_version": "1.30.8"}})
    assert deployed_release(only_decision) == "1.30.8"
    assert deployed_versions(only_decision) == ("1.30.8", "2.52.0")  # the line's UI
    running = _deployment(
        tmp_path / "b",
        {"temporal_version": "1.31.2", "ui_version": "2.55.0",
         "compatibility": {"temporal_version": "1.30.8"}},
    )  # fmt: skip
    assert deployed_versions(running) == ("1.31.2", "2.55.0")


def test_the_path_gate_refuses_before_anything_starts(tmp_path: Path) -> None:
    state = _deployment(tmp_path / "s", {"temporal_version": "1.30.8"})
    ok = Settings.load({"state_dir": str(state), "temporal_version": "1.30.9"}, env={})
    path_gate(ok)
    path_gate(Settings.load({"state_dir": str(tmp_path / "new")}, env={}))  # no deployment
    with pytest.raises(UserError, match="skips the 1.31 release line"):
        path_gate(Settings.load({"state_dir": str(state), "temporal_version": "1.32.2"}, env={}))


def test_upgrades_are_recorded_and_name_the_way_back(tmp_path: Path) -> None:
    state = _deployment(tmp_path / "s", {"temporal_version": "1.31.2"})
    assert backup_before(state, "1.30.8") == ""
    record_upgrade(state, {"from": "1.30.8", "to": "1.31.2", "backup": "/b/1"})
    record_upgrade(state, {"from": "1.29.2", "to": "1.30.8", "backup": ""})
    assert backup_before(state, "1.30.8") == "/b/1"
    assert len(Layout(state).recorded()["upgrades"]) == 2
    settings = Settings.load({"state_dir": str(state), "temporal_version": "1.30.8"}, env={})
    with pytest.raises(UserError) as info:
        path_gate(settings)
    assert "temporal-acceptance restore --from /b/1" in info.value.fix
