"""Which images a compose deployment uses, and making sure each one is there before `up`.

With a registry, missing official images are pulled as usual. Without one, the locally built
images (`make images`) stand in: `compose_images=auto` picks them when the official images
are not present, and a missing image stops the run with one line saying how to get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say
from temporal_acceptance.stack.compose.cli import ComposeCli, capture_compose
from temporal_acceptance.stack.compose.project import ComposeProject
from temporal_acceptance.stack.local_images.spec import ImageVersions, is_local_image, local_images


def image_present(client: Any, reference: str) -> bool:
    import docker  # noqa: PLC0415

    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def versions_of(project: ComposeProject) -> ImageVersions:
    return ImageVersions(
        postgres_major=project.settings.postgres_major,
        admin_tools=project.variable("TEMPORAL_ADMINTOOLS_VERSION"),
        server=project.settings.temporal_version,
        ui=project.settings.ui_version,
    )


def choose(project: ComposeProject, client: Any, say: Say) -> ComposeProject:
    """For `auto`: the official images when present, else the local ones when built."""
    if project.settings.compose_images != "auto":
        return project
    official = set(project.official_images().values())
    if all(image_present(client, ref) for ref in official):
        return project
    local = set(local_images(versions_of(project)).values())
    if all(image_present(client, ref) for ref in local):
        say("  official images not present here: using the locally built ones (make images)")
        return project.with_local_images()
    return project


def configured_images(
    project: ComposeProject, cli: ComposeCli, env: Mapping[str, str]
) -> list[str]:
    """The images the project's compose files resolve to (`compose config`)."""
    result = capture_compose(
        cli,
        [*project.file_arguments(), "config"],
        cwd=project.directory,
        env={**env, **project.variables},
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(
            f"the compose files do not resolve: {last}",
            f"check {', '.join(str(p) for p in project.files)} and .env",
        )
    services = (yaml.safe_load(result.stdout) or {}).get("services") or {}
    return sorted(
        {str(s["image"]) for s in services.values() if isinstance(s, dict) and s.get("image")}
    )


def missing_image_error(reference: str, reason: str, project: ComposeProject) -> UserError:
    if is_local_image(reference):
        return UserError(
            f"image {reference} is not built on this machine",
            "build the local images: make images (or temporal-acceptance images)",
        )
    using_local = project.settings.compose_images == "local"
    fix = (
        "make a registry reachable, or build the local images (make images) and set "
        "TACC_COMPOSE_IMAGES=local"
        if not using_local
        else "make a registry reachable"
    )
    return UserError(
        f"image {reference} is not available locally and cannot be pulled ({reason})", fix
    )


def _short(reason: str) -> str:
    line = reason.strip().splitlines()[0] if reason.strip() else "no reason given"
    return line if len(line) <= 160 else line[:157] + "..."


def ensure_present(
    project: ComposeProject, cli: ComposeCli, client: Any, env: Mapping[str, str], say: Say
) -> None:
    """Pull what is missing (never the local names); one clear line when that fails."""
    import docker  # noqa: PLC0415

    for reference in configured_images(project, cli, env):
        if image_present(client, reference):
            continue
        if is_local_image(reference):
            raise missing_image_error(reference, "not built", project)
        repository, _, tag = reference.rpartition(":")
        if not repository or "/" in tag:  # no tag, or a registry port: the default tag
            repository, tag = reference, "latest"
        say(f"… pulling {reference}")
        try:
            client.images.pull(repository, tag=tag)
        except docker.errors.DockerException as exc:
            explanation = getattr(exc, "explanation", None) or str(exc)
            raise missing_image_error(reference, _short(str(explanation)), project) from None
