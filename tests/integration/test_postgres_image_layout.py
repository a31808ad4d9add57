"""The local postgres images follow the official images' data layout and refusal per major
(docker-library/postgres#1259), proven offline against the images `make images` built.
Skipped where there is no Docker engine or the image of a major was not built
(`TACC_POSTGRES_VERSION=18 temporal-acceptance images` builds the 18 one)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from temporal_acceptance.stack.compose.project import data_mount
from temporal_acceptance.stack.local_images.spec import local_image

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine() -> Any:
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine: {exc}")
    return client


@pytest.fixture
def volume(engine: Any) -> Iterator[str]:
    name = f"tacc-layout-test-{uuid.uuid4().hex[:8]}"
    engine.volumes.create(name)
    try:
        yield name
    finally:
        engine.volumes.get(name).remove(force=True)


def _image(engine: Any, major: int) -> str:
    import docker

    reference = local_image("postgres", str(major))
    try:
        engine.images.get(reference)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{reference} is not built")
    return reference


def _run(engine: Any, image: str, volume: str, mount: str, command: str) -> tuple[int, str]:
    container = engine.containers.run(
        image,
        ["sh", "-c", command] if command else None,
        user="postgres" if command else None,
        environment={"POSTGRES_PASSWORD": "layout-test"},
        volumes={volume: {"bind": mount, "mode": "rw"}},
        detach=True,
    )
    try:
        status = container.wait(timeout=120)["StatusCode"]
        return int(status), container.logs().decode(errors="replace")
    finally:
        # v=True: the image's own VOLUME, when the test mounts elsewhere, is an anonymous
        # volume that would outlive the container (one leaked per CI run before).
        container.remove(force=True, v=True)


@pytest.mark.parametrize("major", [16, 18])
def test_the_data_lands_inside_the_volume_mounted_where_the_major_wants_it(
    engine: Any, volume: str, major: int
) -> None:
    image = _image(engine, major)
    status, logs = _run(
        engine, image, volume, data_mount(major),
        "initdb -D \"$PGDATA\" -U postgres >/dev/null 2>&1 && test -s \"$PGDATA/PG_VERSION\" "
        f"&& case \"$PGDATA\" in {data_mount(major)}*) echo inside;; *) echo outside;; esac",
    )  # fmt: skip
    assert status == 0, logs
    assert logs.strip().endswith("inside")


def test_postgres_18_refuses_a_volume_at_the_old_place(engine: Any, volume: str) -> None:
    image = _image(engine, 18)
    status, logs = _run(engine, image, volume, "/var/lib/postgresql/data", "")
    assert status == 1
    assert "/var/lib/postgresql/data (unused mount/volume)" in logs
    assert "Mount one volume at /var/lib/postgresql" in logs
