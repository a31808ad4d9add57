"""`temporal-acceptance upgrade`, `backup` and `restore` through the real command line,
with the procedure and the databases faked at their boundaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_stack import RecordingStack
from test_backup_units import MANIFEST, write_backup

from temporal_acceptance.cli import main as cli
from temporal_acceptance.cli import upgrade as command
from temporal_acceptance.compat.upgrades import Hop
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.gates.upgrade import UpgradeRecord
from temporal_acceptance.probes.served import ServedData
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.ownership import claim
from temporal_acceptance.stack.restore import RestoreOutcome


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    claim(directory)
    Layout(directory).record({"temporal_version": "1.30.8", "ui_version": "2.52.0"})
    return directory


def env(state: Path) -> dict[str, str]:
    return {"TACC_STATE_DIR": str(state), "TACC_POSTGRES_PORT": "59432",
            "TACC_TEMPORAL_PORT": "33033", "TACC_UI_PORT": "59080", "PATH": ""}  # fmt: skip


def test_a_dry_run_says_what_the_hop_will_do(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["upgrade", "--to", "1.31.2", "--dry-run"], env(state)) == 0
    out = capsys.readouterr().out
    assert "upgrade Temporal 1.30.8 → 1.31.2 and the UI 2.52.0 → 2.52.0 on native" in out
    assert "update both schemas with Temporal 1.31.2's temporal-sql-tool" in out
    assert out.rstrip().endswith("dry run: nothing was changed")


def test_a_skipped_line_is_one_line_and_exit_2(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["upgrade", "--to", "1.32.2"], env(state)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "skips the 1.31 release line" in err[0]


def _record(outcome: str) -> UpgradeRecord:
    record = UpgradeRecord(Hop("1.30.8", "1.31.2"), "2.52.0", "2.52.0")
    record.outcome, record.timings = outcome, {"total": 9.5}
    return record


@pytest.mark.parametrize(("outcome", "status"), [("upgraded", 0), ("rolled back", 1)])
def test_the_command_reports_the_hop(
    state: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    outcome: str,
    status: int,
) -> None:
    class Plan:
        hop = Hop("1.30.8", "1.31.2")

    monkeypatch.setattr(command.UpgradePlan, "check", lambda *args, **kwargs: Plan())
    monkeypatch.setattr(command, "perform", lambda plan: _record(outcome))
    out_file = tmp_path / "record.json"
    argv = ["upgrade", "--to", "1.31.2", "--json", str(out_file)]
    assert cli.main(argv, env(state)) == status
    out = capsys.readouterr().out
    assert f"upgrade 1.30.8 → 1.31.2 (UI 2.52.0 → 2.52.0): {outcome}" in out
    assert json.loads(out_file.read_text())["outcome"] == outcome
    if outcome == "rolled back":
        assert "rolled back: Temporal 1.30.8 serves the old data again" in out


def test_backup_needs_postgresql_and_writes_where_asked(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = RecordingStack(Settings.load({"state_dir": str(state)}, env={}))
    monkeypatch.setattr(command, "make_stack", lambda settings: stack)
    taken: list[Any] = []
    monkeypatch.setattr(
        command,
        "take_backup",
        lambda *args: taken.append(args) or MANIFEST,  # type: ignore[func-returns-value]
    )
    assert cli.main(["backup", "--output", str(tmp_path / "b")], env(state)) == 0
    out = capsys.readouterr().out
    assert "note: Temporal is running" in out
    assert f"backup in {tmp_path / 'b'}: Temporal 1.30.8" in out
    assert taken[0][3] is True  # Temporal was running
    stack.healthy_services.clear()
    assert cli.main(["backup"], env(state)) == 2
    assert "PostgreSQL is not running" in capsys.readouterr().err


def test_restore_runs_the_backups_release_and_says_what_is_served(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = write_backup(tmp_path / "b")
    made: list[Settings] = []

    def make(settings: Settings) -> RecordingStack:
        made.append(settings)
        return RecordingStack(settings)

    monkeypatch.setattr(command, "make_stack", make)
    monkeypatch.setattr(command, "restore", lambda stack, source, say: RestoreOutcome(MANIFEST))
    monkeypatch.setattr(command, "read_served", lambda *args: ServedData())
    assert cli.main(["restore", "--from", str(directory)], env(state)) == 0
    assert made[0].temporal_version == "1.30.8"
    out = capsys.readouterr().out
    assert out.startswith("restored Temporal 1.30.8 on PostgreSQL 16.14")
    assert "now served: 0 workflows" in out
