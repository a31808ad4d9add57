"""The compose target's release change with fakes at the docker SDK and Compose CLI
boundaries: image tags swapped for the next starts (Temporal and the UI recreated from
them), each schema updated by the admin-tools image's temporal-sql-tool, the new tags
recorded, and a Temporal container that exits on the schema check reported with the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker_fakes import compose_calls
from test_compose_stack import LOCAL, Harness

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.compose import release
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.ownership import claim


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    (tmp_path / "bin").mkdir()
    built: list[Any] = []
    monkeypatch.setattr(
        release, "build_all", lambda client, versions, *args: built.append(versions)
    )
    made = Harness(tmp_path, state_dir=str(tmp_path / "state"))
    made.have_images(list(LOCAL.values()))
    made.built = built  # type: ignore[attr-defined]
    return made


def test_a_new_release_is_swapped_in_and_started_from_its_images(harness: Harness) -> None:
    stack = harness.stack
    stack.use_release("1.31.2", "2.52.0")
    assert stack.settings.temporal_version == "1.31.2"
    assert stack.project.variables["TEMPORAL_ADMINTOOLS_VERSION"] == "1.31.2"
    assert stack.project.variables["TEMPORAL_UI_VERSION"] == "2.52.0"
    assert [v.server for v in harness.built] == ["1.31.2"]  # type: ignore[attr-defined]
    stack.start(Service.TEMPORAL)
    stack.start(Service.TEMPORAL)  # recreated once; later starts just start
    calls = [c for c in compose_calls(harness.tmp_path / "bin") if " up " in c]
    assert len(calls) == 1
    assert calls[0].endswith("up -d --no-deps temporal|55500")
    assert stack.recreate == {Service.UI}


def test_each_schema_is_updated_by_the_admin_tools_image_while_temporal_is_stopped(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = harness.stack
    with pytest.raises(UserError, match="Temporal is running"):
        stack.update_schemas()
    harness.containers["temporal"].running = False
    versions = iter(["1.18", "1.19", "1.13", "1.14"])
    monkeypatch.setattr(release, "schema_version", lambda endpoints, database: next(versions))
    stack.use_release("1.31.2", "2.52.0")
    updates = stack.update_schemas()
    assert [(u.database, u.before, u.after) for u in updates] == [
        ("temporal", "1.18", "1.19"),
        ("temporal_visibility", "1.13", "1.14"),
    ]
    runs = [c for c in compose_calls(harness.tmp_path / "bin") if " run " in c]
    assert "run --rm --no-deps --entrypoint temporal-sql-tool temporal-schema-setup" in runs[0]
    assert "--ep postgresql --port 5432 --user temporal --db temporal update-schema" in runs[0]
    assert "--schema-name postgresql/v12/visibility" in runs[1]
    commands = stack.update_schema_commands()
    assert commands[0].startswith("TEMPORAL_ADMINTOOLS_VERSION=1.31.2 fake-compose -p ")
    assert commands[1].endswith("--db temporal_visibility update-schema --schema-name "
                                "postgresql/v12/visibility")  # fmt: skip


def test_the_running_release_is_recorded_with_the_deployment(harness: Harness) -> None:
    stack = harness.stack
    claim(stack.settings.state_dir)
    stack.use_release("1.31.2", "2.52.0")
    stack.record_release()
    recorded = Layout(stack.settings.state_dir).recorded()
    assert (recorded["temporal_version"], recorded["ui_version"]) == ("1.31.2", "2.52.0")
    assert recorded["compose_variables"]["TEMPORAL_ADMINTOOLS_VERSION"] == "1.31.2"


def test_a_server_that_exits_on_the_schema_check_is_reported_with_the_fix(
    harness: Harness,
) -> None:
    stack = harness.stack
    stack.use_release("1.31.2", "2.52.0")
    server = harness.containers["temporal"]
    server.running, server.exit_code = False, 1
    server.log_bytes = (
        b"2026-12-01T10:00:00Z Unable to start server. Error: sql schema version compatibility "
        b'check failed: version mismatch for keyspace/database: "temporal". Expected version: '
        b"1.19 cannot be greater than Actual version: 1.18\n"
    )
    with pytest.raises(UserError) as raised:
        stack.start(Service.TEMPORAL)
    message = raised.value.line()
    assert "version compatibility: Temporal 1.31.2 refuses the schema" in message
    assert "Expected version: 1.19 cannot be greater than Actual version: 1.18" in message
    assert "--db temporal_visibility update-schema" in message
    server.log_bytes = b"2026-12-01T10:00:00Z panic: something else\n"
    stack.recreate.add(Service.TEMPORAL)
    with pytest.raises(UserError, match="the compose temporal service u_temporal_1 exited"):
        stack.start(Service.TEMPORAL)
