"""The base image: a minimal Debian root filesystem made with debootstrap from Debian's
mirror (the one registry CI machines reach), cached as a tarball and imported into docker.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, ticking
from temporal_acceptance.provision.cache import locked, write_manifest

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# netcat-openbsd (`nc -z`) and busybox (`wget`) for healthchecks, as the official images'
# alpine has them (Debian's busybox nc lacks -z); postgresql-client-15: psql and pg_isready
# for the PostgreSQL image's entrypoint and healthcheck (a 15 client talks to newer servers).
PACKAGES = ("busybox", "netcat-openbsd", "ca-certificates", "tzdata", "postgresql-client-15")
BUSYBOX_TOOLS = ("wget",)
# Bulk the images never use: package caches, documentation, translations.
TRIM = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)


def rootfs_key(suite: str, packages: tuple[str, ...], mirror: str) -> str:
    """What the root filesystem is made of; a new key means a new tarball."""
    text = "\n".join([suite, mirror, *sorted(packages), *TRIM, *BUSYBOX_TOOLS])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def debootstrap_command(target: Path, suite: str, mirror: str) -> list[str]:
    return [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        suite,
        str(target),
        mirror,
    ]


def _require_debootstrap(env: Mapping[str, str]) -> str:
    found = shutil.which("debootstrap", path=env.get("PATH"))
    if found is None:
        raise UserError(
            "debootstrap is needed to build the base image and is not installed",
            "install it: apt-get install debootstrap",
        )
    if os.geteuid() != 0:
        raise UserError("building the base image needs root (debootstrap)", "run as root")
    return found


def _trim(root: Path) -> None:
    for relative in TRIM:
        path = root / relative
        if path.is_dir():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    local_bin = root / "usr/local/bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    for tool in BUSYBOX_TOOLS:
        link = local_bin / tool
        if not link.exists():
            link.symlink_to("/bin/busybox")


def ensure_rootfs_tarball(cache_dir: Path, env: Mapping[str, str], say: Say) -> tuple[Path, str]:
    """The cached root filesystem tarball and its key, made with debootstrap if missing."""
    mirror = env.get("TACC_DEBIAN_MIRROR") or DEFAULT_MIRROR
    key = rootfs_key(SUITE, PACKAGES, mirror)
    entry = cache_dir / f"rootfs-{SUITE}-{key}"
    tarball = entry / "rootfs.tar"
    if tarball.is_file():
        return tarball, key
    debootstrap = _require_debootstrap(env)
    with locked(cache_dir, f"rootfs-{key}"):
        if tarball.is_file():
            return tarball, key
        entry.mkdir(parents=True, exist_ok=True)
        log_path = entry / "debootstrap.log"
        with tempfile.TemporaryDirectory(dir=entry, prefix=".root-") as tmp:
            root = Path(tmp) / "root"
            command = debootstrap_command(root, SUITE, mirror)
            command[0] = debootstrap
            what = f"debootstrap {SUITE} ({', '.join(PACKAGES)}) from {mirror}"
            with ticking(what, say), log_path.open("w") as log:
                result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
            if result.returncode != 0:
                last = (log_path.read_text(errors="replace").strip().splitlines() or ["?"])[-1]
                raise UserError(
                    f"debootstrap failed: {last}",
                    f"see {log_path}; check that {mirror} is reachable (TACC_DEBIAN_MIRROR)",
                )
            _trim(root)
            partial = entry / "rootfs.tar.tmp"
            subprocess.run(
                ["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], check=True
            )
            partial.replace(tarball)
        write_manifest(entry, {"suite": SUITE, "packages": list(PACKAGES), "mirror": mirror})
    return tarball, key
