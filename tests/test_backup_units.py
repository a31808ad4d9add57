"""Backups without a server: the manifest, a damaged or foreign backup refused, the
client tools found (or a line saying how to get them), the restore script's filter, the
restore command's choice of releases, and the @upgrade stacks' places."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_script

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.run import HARNESS_KEYS
from temporal_acceptance.fixtures.upgrade import USERDATA_KEYS, at_release, upgrade_settings
from temporal_acceptance.provision import pgclient
from temporal_acceptance.stack import backup
from temporal_acceptance.stack.restore import settings_for_backup

MANIFEST = backup.BackupManifest(
    "1.30.8",
    "2.52.0",
    16,
    "16.14",
    "2026-12-01T20:00:00+00:00",
    False,
    "pg_dump 18.6",
    (backup.Dump("temporal", "temporal.dump", 2048, "", 0.3, "1.18"),),
)


def write_backup(directory: Path, content: bytes = b"dump") -> Path:
    directory.mkdir(parents=True)
    (directory / "temporal.dump").write_bytes(content)
    digest = backup._sha256(directory / "temporal.dump")
    dumps = (backup.Dump("temporal", "temporal.dump", len(content), digest, 0.3, "1.18"),)
    manifest = backup.BackupManifest(**{**MANIFEST.__dict__, "dumps": dumps})
    (directory / backup.MANIFEST).write_text(json.dumps(manifest.to_json()))
    return directory


def test_a_backup_reads_back_and_says_what_it_holds(tmp_path: Path) -> None:
    directory = write_backup(tmp_path / "b")
    manifest = backup.read_backup(directory)
    assert manifest.temporal_version == "1.30.8"
    assert manifest.summary().startswith("Temporal 1.30.8 on PostgreSQL 16.14, taken 2026-12-01")
    assert "temporal 0 KiB (schema 1.18)" in manifest.summary()
    assert backup.BackupManifest.from_json(manifest.to_json()) == manifest


def test_a_missing_foreign_or_damaged_backup_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="holds no backup"):
        backup.read_backup(tmp_path)
    (tmp_path / backup.MANIFEST).write_text('{"dumps": []}')
    with pytest.raises(UserError, match="is not a backup manifest"):
        backup.read_backup(tmp_path)
    damaged = write_backup(tmp_path / "d")
    (damaged / "temporal.dump").write_bytes(b"changed")
    with pytest.raises(UserError, match="damaged: temporal.dump is missing or changed"):
        backup.read_backup(damaged)


def test_backups_go_under_the_state_directory_with_their_release(tmp_path: Path) -> None:
    directory = backup.default_directory(tmp_path, "1.30.8", "before-1.31.2")
    assert directory.parent == tmp_path / "backups"
    assert directory.name.endswith("-temporal-1.30.8-before-1.31.2")


def test_newer_settings_are_left_out_for_older_servers() -> None:
    assert backup.script_filter(16) == {"SET transaction_timeout = 0;"}
    assert backup.script_filter(17) == set()


def test_the_client_tools_come_from_the_wheel_or_the_override(tmp_path: Path) -> None:
    assert pgclient.client_tool("pg_dump", {}).name == "pg_dump"
    assert pgclient.tool_version(pgclient.client_tool("pg_dump", {})).startswith("18.")
    own = write_script(tmp_path / "pg_restore", "echo 'pg_restore (PostgreSQL) 17.2'")
    found = pgclient.client_tool("pg_restore", {pgclient.OVERRIDE: str(tmp_path)})
    assert found == own
    assert pgclient.tool_version(found) == "17.2"
    with pytest.raises(UserError, match="pg_dump is not available from TACC_POSTGRES_CLIENT_DIR"):
        pgclient.client_tool("pg_dump", {pgclient.OVERRIDE: str(tmp_path)})


def test_a_restore_runs_the_release_that_wrote_the_backup(tmp_path: Path) -> None:
    directory = write_backup(tmp_path / "b")
    chosen = settings_for_backup(directory, Settings.load({}, env={}))
    assert (chosen.temporal_version, chosen.ui_version, chosen.postgres_major) == (
        "1.30.8",
        "2.52.0",
        16,
    )
    newer_major = Settings.load({"postgres_version": "17"}, env={})
    assert settings_for_backup(directory, newer_major).postgres_major == 17
    with pytest.raises(UserError, match="holds the data of Temporal 1.30.8, not 1.31.2"):
        settings_for_backup(directory, Settings.load({"temporal_version": "1.31.2"}, env={}))
    with pytest.raises(UserError, match="comes from PostgreSQL 16; 15 is older"):
        settings_for_backup(directory, Settings.load({"postgres_version": "15"}, env={}))


def test_the_upgrade_stacks_have_places_of_their_own(tmp_path: Path) -> None:
    assert set(USERDATA_KEYS) <= set(HARNESS_KEYS)
    base = Settings.load(
        {"state_dir": str(tmp_path / "run"), "postgres_port": "58010", "temporal_port": "20233",
         "ui_port": "20080"}, env={},
    )  # fmt: skip
    alone = upgrade_settings({}, base, shared_up=False)
    assert (alone.postgres_port, alone.temporal_port, alone.ui_port) == (58010, 20233, 20080)
    assert alone.state_dir == tmp_path / "run-upgrade"
    beside = upgrade_settings({}, base, shared_up=True)
    assert (beside.postgres_port, beside.temporal_port, beside.ui_port) == (58012, 20253, 20082)
    chosen = upgrade_settings({"upgrade_temporal_port": "21233"}, base, shared_up=True)
    assert chosen.temporal_port == 21233
    with pytest.raises(UserError, match="upgrade_ui_port 'x' is not a usable port"):
        upgrade_settings({"upgrade_ui_port": "x"}, base, shared_up=False)
    first, second = at_release(alone, "1.29.2"), at_release(alone, "1.29.2", slot=1)
    assert (first.temporal_version, first.ui_version) == ("1.29.2", "2.42.1")
    assert first.state_dir.parent == alone.state_dir
    assert (second.postgres_port, second.temporal_port) == (58011, 20253)
    assert first.state_dir != second.state_dir


def test_the_hops_timings_are_printed_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from temporal_acceptance.fixtures import upgrade

    monkeypatch.setattr(upgrade, "REPORT", tmp_path / "hops.json")
    out = io.StringIO()
    fixture = upgrade.UpgradeFixture(lambda: Settings.load({}, env={}), loop=None, out=out)
    fixture.close()
    assert out.getvalue() == ""  # no hop, nothing to say
    fixture.record(
        {"from": "1.30.8", "to": "1.31.2", "outcome": "upgraded",
         "seconds": {"update both schemas": 3.72, "total": 18.4},
         "schema_updates": [{"database": "temporal", "before": "1.18", "after": "1.19",
                             "seconds": 0.29}]}
    )  # fmt: skip
    fixture.close()
    assert "1.30.8 → 1.31.2 (upgraded): update both schemas 3.72, total 18.40; schema: " \
           "temporal 1.18→1.19 0.29" in out.getvalue()  # fmt: skip
    assert json.loads((tmp_path / "hops.json").read_text())[0]["to"] == "1.31.2"


def test_backups_and_restores_run_as_the_admin_where_the_suite_holds_it() -> None:
    from fake_stack import RecordingStack

    from temporal_acceptance.clients.endpoints import PostgresAddress
    from temporal_acceptance.core.secrets import Secret

    stack = RecordingStack()
    assert stack.maintenance_endpoints() == stack.endpoints()  # no admin: Temporal's role
    admin = PostgresAddress("127.0.0.1", 3, "postgres", Secret("admin-pw"), ca_file="/ca.pem")
    stack.admin_address = lambda: admin  # type: ignore[method-assign]
    maintenance = stack.maintenance_endpoints()
    assert (maintenance.postgres_user, maintenance.postgres_password) == (
        "postgres",
        admin.password,
    )
    assert maintenance.postgres.ca_file == "/ca.pem"
    assert maintenance.temporal_address == stack.endpoints().temporal_address


def test_the_upgrade_folder_goes_once_empty_and_stays_while_it_holds_data(tmp_path: Path) -> None:
    from dataclasses import replace

    from temporal_acceptance.fixtures import upgrade

    root = tmp_path / "state-upgrade"
    settings = replace(Settings.load({}, env={}), state_dir=root)
    fixture = upgrade.UpgradeFixture(lambda: settings, loop=None)
    fixture.close()  # never asked for a deployment: its folder was never worked out
    root.mkdir()
    (root / "1.30.8-0-abc").mkdir()
    assert fixture.settings.state_dir == root
    fixture.close()
    assert root.is_dir()  # a deployment's folder still in it: kept
    (root / "1.30.8-0-abc").rmdir()
    named = upgrade.UpgradeFixture(lambda: settings, loop=None, owns_root=False)
    assert named.settings.state_dir == root
    named.close()
    assert root.is_dir()  # a folder the user named (-D upgrade_root) is theirs
    fixture.close()
    assert not root.exists()
