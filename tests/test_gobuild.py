from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_script

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import format_elapsed, ticking
from temporal_acceptance.provision import gobuild
from temporal_acceptance.provision.binaries import (
    ReleaseSchema,
    expected_schema,
    known_schema,
    parse_schema_versions,
)


def test_tools_and_commands() -> None:
    server = gobuild.temporal_server("1.30.8")
    assert server.module == "go.temporal.io/server"
    assert gobuild.go_install_command("go", server) == [
        "go",
        "install",
        "-tags",
        "disable_grpc_modules",
        "go.temporal.io/server/cmd/server@v1.30.8",
    ]
    ui = gobuild.ui_server("2.55.0")
    assert gobuild.go_install_command("go", ui)[-1].endswith("ui-server/v2/cmd/server@v2.55.0")
    assert ui.cached_binary(Path("/c")) == Path("/c/temporal-ui-server-2.55.0/temporal-ui-server")


def test_build_env_is_static_and_never_fetches_a_toolchain(tmp_path: Path) -> None:
    env = gobuild.go_build_env(tmp_path, {"GOFLAGS": "-buildvcs=false", "HOME": "/root"})
    assert env["CGO_ENABLED"] == "0"
    assert env["GOTOOLCHAIN"] == "local"
    assert env["GOBIN"] == str(tmp_path)
    assert env["GOFLAGS"] == "-buildvcs=false -trimpath"


def test_override_wins_and_must_be_executable(tmp_path: Path) -> None:
    tool = gobuild.temporal_server("1.30.8")
    binary = write_script(tmp_path / "my-server", "exit 0")
    env = {"TACC_TEMPORAL_SERVER_BIN": str(binary), "PATH": ""}
    assert gobuild.ensure_go_binary(tool, tmp_path / "cache", env) == binary
    env["TACC_TEMPORAL_SERVER_BIN"] = str(tmp_path / "missing")
    with pytest.raises(UserError, match="is not an executable file"):
        gobuild.ensure_go_binary(tool, tmp_path / "cache", env)


def test_cached_binary_is_reused_without_go(tmp_path: Path) -> None:
    tool = gobuild.ui_server("2.55.0")
    cached = write_script(tool.cached_binary(tmp_path), "exit 0")
    assert gobuild.ensure_go_binary(tool, tmp_path, {"PATH": ""}) == cached


def test_missing_go_with_nothing_cached_says_what_to_install(tmp_path: Path) -> None:
    tool = gobuild.temporal_server("1.30.8")
    with pytest.raises(UserError) as info:
        gobuild.ensure_go_binary(tool, tmp_path, {"PATH": str(tmp_path)})
    assert "Go is not installed and temporal-server 1.30.8 is not cached" in info.value.problem
    assert "install Go" in info.value.fix
    assert "TACC_TEMPORAL_SERVER_BIN" in info.value.fix


def test_build_with_a_fake_go_caches_once(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    go_dir = tmp_path / "gobin"
    go_mod = tmp_path / "server.mod"
    go_mod.write_text("module go.temporal.io/server\n\ngo 1.26.10\n")
    write_script(
        go_dir / "go",
        f'echo "$@ GOTOOLCHAIN=$GOTOOLCHAIN" >> {calls}\n'
        'if [ "$1" = version ]; then echo "go version go1.26.8 linux/amd64"; exit 0; fi\n'
        f'if [ "$1" = list ]; then echo \'{{"GoMod": "{go_mod}"}}\'; exit 0; fi\n'
        'printf "#!/bin/sh\\necho built\\n" > "$GOBIN/server"; chmod +x "$GOBIN/server"',
    )
    tool = gobuild.temporal_server("1.30.8")
    said: list[str] = []
    env = {"PATH": f"{go_dir}:/usr/bin:/bin"}
    built = gobuild.ensure_go_binary(tool, tmp_path / "cache", env, said.append)
    again = gobuild.ensure_go_binary(tool, tmp_path / "cache", env, said.append)
    assert built == again == tool.cached_binary(tmp_path / "cache")
    assert calls.read_text().count("install") == 1  # never built twice
    # The module asks for Go 1.26.10: the build uses exactly that toolchain.
    assert "install -tags disable_grpc_modules" in calls.read_text()
    assert "GOTOOLCHAIN=go1.26.10" in calls.read_text().split("install", 1)[1]
    manifest = json.loads((built.parent / "manifest.json").read_text())
    assert (manifest["go"], manifest["toolchain"]) == ("1.26.10", "go1.26.10")
    assert manifest["version"] == "1.30.8"
    assert any(line.startswith("✓ building temporal-server 1.30.8") for line in said)
    assert any("with Go 1.26.10, which the module requires" in line for line in said)


def test_failed_build_reports_the_go_error(tmp_path: Path) -> None:
    go_dir = tmp_path / "gobin"
    go_mod = tmp_path / "server.mod"
    go_mod.write_text("module go.temporal.io/server\n\ngo 1.25\n")
    write_script(
        go_dir / "go",
        'if [ "$1" = version ]; then echo "go version go1.26.8 linux/amd64"; exit 0; fi\n'
        f'if [ "$1" = list ]; then echo \'{{"GoMod": "{go_mod}"}}\'; exit 0; fi\n'
        'echo "go: downloading x"\n'
        'echo "go: go.temporal.io/server@v1.30.9 requires go >= 1.26.10 (running go 1.26.8)"\n'
        "exit 1",
    )
    with pytest.raises(UserError, match="requires go >= 1.26.10") as info:
        gobuild.ensure_go_binary(
            gobuild.temporal_server("1.30.9"), tmp_path / "cache", {"PATH": str(go_dir)}, print
        )
    assert "build.log" in info.value.fix


def test_schema_versions_from_source_and_table() -> None:
    source = 'package v12\n\nconst Version = "1.18"\n\nconst VisibilityVersion = "1.13"\n'
    parsed = parse_schema_versions(source)
    assert (parsed.temporal, parsed.visibility) == ("1.18", "1.13")
    with pytest.raises(ValueError, match="not found"):
        parse_schema_versions("const Version = 1")
    assert known_schema("1.31.4").temporal == "1.19"
    with pytest.raises(UserError, match="unknown"):
        known_schema("1.99.0")


def test_expected_schema_prefers_the_recorded_manifest(tmp_path: Path) -> None:
    entry = tmp_path / "temporal-server-1.30.8"
    entry.mkdir()
    recorded = {"temporal": "1.18", "visibility": "1.13", "temporal_tables": ["executions"]}
    (entry / "manifest.json").write_text(json.dumps({"release_schema": recorded}))
    schema = expected_schema("1.30.8", entry / "temporal-server", {"PATH": ""})
    assert (schema.visibility, schema.temporal_tables) == ("1.13", ("executions",))
    # Without Go (no module source), an overridden binary falls back to the release line's
    # known versions, and no table list: the table gate then says it cannot know.
    override = expected_schema(
        "1.29.2", tmp_path / "x", {"TACC_TEMPORAL_SERVER_BIN": "/x", "PATH": ""}
    )
    assert (override.visibility, override.temporal_tables) == ("1.9", ())


def test_a_release_schema_is_read_from_its_schema_files(tmp_path: Path) -> None:
    from temporal_acceptance.provision.binaries import read_release_schema

    root = tmp_path / "schema/postgresql/v12"
    (root / "temporal").mkdir(parents=True)
    (root / "visibility").mkdir()
    (root / "version.go").write_text('const Version = "1.18"\nconst VisibilityVersion = "1.13"\n')
    (root / "temporal/schema.sql").write_text(
        "CREATE TABLE namespaces(id BYTEA);\ncreate table if not exists shards (x int);\n"
    )
    (root / "visibility/schema.sql").write_text(
        "CREATE EXTENSION btree_gin;\nCREATE FUNCTION convert_ts(s VARCHAR)\n"
        "CREATE TABLE executions_visibility (namespace_id CHAR(64));\n"
    )
    schema = read_release_schema(tmp_path)
    assert schema.temporal_tables == ("namespaces", "schema_version", "shards")
    assert schema.visibility_tables == ("executions_visibility", "schema_version")
    assert (schema.visibility_extensions, schema.visibility_functions) == (
        ("btree_gin",),
        ("convert_ts",),
    )
    assert ReleaseSchema.from_json(schema.to_json()) == schema


def test_progress_lines() -> None:
    assert format_elapsed(4.24) == "4.2s"
    assert format_elapsed(185) == "3m05s"
    said: list[str] = []
    with ticking("doing a thing", said.append, every=60):
        pass
    assert said[0] == "… doing a thing"
    assert said[-1].startswith("✓ doing a thing took")
    with pytest.raises(RuntimeError), ticking("failing", said.append):
        raise RuntimeError("boom")
    assert said[-1].startswith("✗ failing failed after")


def test_build_failure_names_the_proxy_error_not_the_download_progress() -> None:
    # The tail of temporal-server 1.31.4's real build log (observed 2026-11-25).
    log = (
        "go: downloading go.temporal.io/auto-scaled-workers v0.0.0-1.31.2\n"
        "server/fx.go:7:2: go.temporal.io/auto-scaled-workers@v0.0.0-1.31.2: reading "
        "https://proxy.golang.org/go.temporal.io/auto-scaled-workers/@v/v0.0.0-1.31.2.zip: "
        "403 Forbidden\n"
        "\tserver response: This module version is not available.\n"
        "go: downloading github.com/aws/aws-sdk-go-v2/service/internal/s3shared v1.19.21\n"
    )
    assert "403 Forbidden" in gobuild._last_meaningful_line(log)


def test_the_toolchain_comes_from_the_modules_go_mod() -> None:
    assert gobuild.required_go("module x\n\ngo 1.25.0\n") == "1.25.0"
    assert gobuild.required_go("module x\ngo 1.26.4\ntoolchain go1.26.10\n") == "1.26.10"
    assert gobuild.required_go("module x\ngo 1.26.10 // comment\ntoolchain go1.26.4\n") == "1.26.10"
    assert gobuild.required_go("module x\n") is None
    assert gobuild.toolchain_for("1.26.10", "1.26.8") == "go1.26.10"
    assert gobuild.toolchain_for("1.26.8", "1.26.8") == "local"
    assert gobuild.toolchain_for("1.25", "1.26.8") == "local"
    assert gobuild.toolchain_for("1.27", "1.26.8") == "go1.27.0"  # 'go 1.27' means 1.27.0
    assert gobuild.toolchain_for(None, "1.26.8") == "local"
    assert gobuild.toolchain_for("1.26.10", "unknown") == "local"
    assert gobuild.go_version_key("1.26.10") > gobuild.go_version_key("1.26.9")


def test_an_unreadable_go_mod_says_what_to_check(tmp_path: Path) -> None:
    go_dir = tmp_path / "gobin"
    write_script(go_dir / "go", 'echo "go: module lookup disabled" >&2; exit 1')
    with pytest.raises(UserError, match="could not read the go.mod of go.temporal.io/server"):
        gobuild.module_go_mod(str(go_dir / "go"), "go.temporal.io/server", "9.9.9", {"PATH": ""})
