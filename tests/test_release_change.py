"""Changing a deployment's release: the server's refusal of an old schema found in its
output and turned into the fix, the flags each release takes its config by, the UI that
goes with each release, and the checks on a hop, a rollback and a refusal."""

from __future__ import annotations

from pathlib import Path

from temporal_acceptance.checks.upgrade import (
    hop_problems,
    refused_problems,
    reported_problems,
    rollback_problems,
)
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import DEFAULT_UI_VERSION, RELEASES, ui_for
from temporal_acceptance.reporting.categories import categorize
from temporal_acceptance.stack.native.temporal import server_argv
from temporal_acceptance.stack.release import (
    SchemaMismatch,
    SchemaUpdate,
    find_schema_mismatch,
    schema_refusal,
    sql_tool_commands,
)

# The end of temporal-server 1.30.8's log when started on a 1.29 schema (JSON, quotes escaped).
JSON_LOG = (
    '{"level":"info","msg":"starting"}\n'
    '{"level":"fatal","msg":"Unable to start server","error":"sql schema version compatibility '
    'check failed: version mismatch for keyspace/database: \\"temporal_visibility\\". Expected '
    'version: 1.13 cannot be greater than Actual version: 1.9."}\n'
)
PLAIN = (
    "Unable to start server. Error: sql schema version compatibility check failed: version "
    'mismatch for keyspace/database: "temporal". Expected version: 1.19 cannot be greater than '
    "Actual version: 1.18"
)


def test_the_servers_refusal_is_found_in_its_log() -> None:
    assert find_schema_mismatch(JSON_LOG) == SchemaMismatch("temporal_visibility", "1.13", "1.9")
    assert find_schema_mismatch(PLAIN) == SchemaMismatch("temporal", "1.19", "1.18")
    assert find_schema_mismatch(JSON_LOG + PLAIN).database == "temporal"  # type: ignore[union-attr]
    assert find_schema_mismatch("all fine") is None


def test_the_refusal_is_a_version_compatibility_issue_naming_both_commands() -> None:
    commands = sql_tool_commands("/c/temporal-sql-tool", "127.0.0.1", 5432, "temporal")
    assert commands == [
        "/c/temporal-sql-tool --plugin postgres12 --ep 127.0.0.1 --port 5432 --user temporal "
        "--db temporal update-schema --schema-name postgresql/v12/temporal",
        "/c/temporal-sql-tool --plugin postgres12 --ep 127.0.0.1 --port 5432 --user temporal "
        "--db temporal_visibility update-schema --schema-name postgresql/v12/visibility",
    ]
    mismatch = SchemaMismatch("temporal", "1.19", "1.18")
    message = schema_refusal("1.31.2", mismatch, commands).line()
    assert mismatch.server_says in message
    assert categorize("failed", message) == "Version compatibility"
    assert reported_problems(message, categorize("failed", message), commands) == []
    assert "upgrade --to 1.31.2" in message
    # A message without the commands, or filed elsewhere, is caught.
    problems = reported_problems("it broke", "Other", commands)
    assert problems[0] == "it is filed under Other, not Version compatibility"
    assert len(problems) == 3
    assert reported_problems(message, "Version compatibility", []) == [
        "the suite knows no update-schema command for this release"
    ]


def test_a_refusal_must_be_the_servers_own_and_leave_nothing_running() -> None:
    assert refused_problems(PLAIN, still_running=False) == []
    assert "nothing refused it" in refused_problems("", False)[0]
    assert "not with the server's schema check" in refused_problems("port taken", False)[0]
    assert "still running" in refused_problems(PLAIN, True)[0]


def test_schema_updates_read_as_lines() -> None:
    assert SchemaUpdate("temporal", "1.18", "1.19", 0.5).line() == "temporal: 1.18 → 1.19 in 0.50s"
    same = SchemaUpdate("temporal", "1.19", "1.19", 0.25)
    assert same.line() == "temporal: unchanged in 0.25s"
    assert same.to_json()["after"] == "1.19"


def test_each_release_takes_its_config_the_way_it_knows() -> None:
    config = Path("/s/temporal/config.yaml")
    assert server_argv(Path("/b/server"), "1.29.2", config) == [
        "/b/server", "--root", "/s/temporal", "--config", ".", "--env", "config",
        "--allow-no-auth", "start",
    ]  # fmt: skip
    assert server_argv(Path("/b/server"), "1.30.8", config)[1:3] == ["--config-file", str(config)]
    assert server_argv(Path("/b/server"), "", config)[1] == "--config-file"


def test_the_ui_follows_the_temporal_release() -> None:
    assert ui_for("1.29.2") == RELEASES["1.29"].ui == "2.42.1"
    assert ui_for("1.32.2") == DEFAULT_UI_VERSION
    assert ui_for("1.99.0") == DEFAULT_UI_VERSION
    assert Settings.load({"temporal_version": "1.31.2"}, env={}).ui_version == "2.52.0"
    given = Settings.load({"temporal_version": "1.31.2", "ui_version": "2.55.0"}, env={})
    assert given.ui_version == "2.55.0"
    assert [line.series for line in RELEASES.values()] == ["1.29", "1.30", "1.31", "1.32"]


def test_a_hop_that_did_not_end_upgraded_says_why() -> None:
    assert hop_problems({"outcome": "upgraded"}) == []
    problems = hop_problems(
        {"from": "1.30.8", "to": "1.31.2", "outcome": "rolled back", "failure": "boom",
         "problems": ["x lost"]}
    )  # fmt: skip
    assert problems == ["the upgrade 1.30.8 → 1.31.2 ended 'rolled back': boom", "x lost"]


def test_a_rollback_must_restore_the_backup_and_serve_the_old_release(tmp_path: Path) -> None:
    (tmp_path / "backup.json").write_text("{}")
    good = {
        "outcome": "rolled back",
        "backup": str(tmp_path),
        "seconds": {"rollback: restore backup": 1.0},
    }
    assert rollback_problems(good, 1, "1.30.8", "1.30.8") == []
    bad = rollback_problems(
        {"outcome": "rollback failed", "failure": "f", "problems": ["p"], "seconds": {}},
        0,
        "1.31.2",
        "1.30.8",
    )
    assert len(bad) == 5
    assert bad[0] == "the upgrade command exited 0, expected 1 (failed, rolled back)"
    assert "Temporal 1.31.2 serves now, not 1.30.8" in bad
