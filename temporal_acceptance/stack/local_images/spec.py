"""The locally built images: their names, and what goes into each.

Names follow the official images (`temporalio/server:1.30.8` → `temporal-acceptance/server:
1.30.8`) and compose/local-images.yml swaps them in service by service.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCAL_REPOSITORY = "temporal-acceptance"
BASE_REPOSITORY = f"{LOCAL_REPOSITORY}/base"
LABEL_PREFIX = "io.temporal-acceptance"
CONTENT_HASH_LABEL = f"{LABEL_PREFIX}.content-hash"
SOURCES_LABEL = f"{LABEL_PREFIX}.sources"
FILES_DIR = Path(__file__).parent / "files"


@dataclass(frozen=True)
class ImageVersions:
    postgres_major: int
    admin_tools: str
    server: str
    ui: str


def local_image(name: str, tag: str) -> str:
    return f"{LOCAL_REPOSITORY}/{name}:{tag}"


def local_images(versions: ImageVersions) -> dict[str, str]:
    """Compose service → local image reference."""
    return {
        "postgresql": local_image("postgres", str(versions.postgres_major)),
        "temporal-schema-setup": local_image("admin-tools", versions.admin_tools),
        "temporal": local_image("server", versions.server),
        "temporal-create-namespace": local_image("admin-tools", versions.admin_tools),
        "temporal-ui": local_image("ui", versions.ui),
    }


def is_local_image(reference: str) -> bool:
    return reference.startswith(f"{LOCAL_REPOSITORY}/")


@dataclass(frozen=True)
class ImageSpec:
    """One image: a folder of our own files (Dockerfile, entrypoint) plus build inputs
    (binaries, trees) placed into the build context under the given names."""

    name: str
    tag: str
    inputs: tuple[tuple[str, Path], ...]  # (name in the build context, source file or dir)
    sources: str  # where the inputs came from, recorded as a label
    build_args: tuple[tuple[str, str], ...] = ()  # besides BASE

    @property
    def reference(self) -> str:
        return local_image(self.name, self.tag)

    @property
    def files_dir(self) -> Path:
        return FILES_DIR / self.name


def postgres_layout(major: int) -> tuple[tuple[str, str], ...]:
    """The official postgres image's data layout for a major: PGDATA and the VOLUME it
    declares. Up to 17 both are /var/lib/postgresql/data; from 18 on the data lives in
    /var/lib/postgresql/<major>/docker under one volume at /var/lib/postgresql
    (docker-library/postgres#1259)."""
    if major >= 18:
        return (
            ("PGDATA", f"/var/lib/postgresql/{major}/docker"),
            ("PG_VOLUME", "/var/lib/postgresql"),
        )
    return (("PGDATA", "/var/lib/postgresql/data"), ("PG_VOLUME", "/var/lib/postgresql/data"))
