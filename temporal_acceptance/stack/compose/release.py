"""Changing the Temporal release of a compose deployment: the image tags (.env's
TEMPORAL_VERSION, TEMPORAL_ADMINTOOLS_VERSION and TEMPORAL_UI_VERSION) swapped for the
next starts, the schema updated by the new admin-tools image's temporal-sql-tool one
database at a time (as upstream documents it), and the new tags recorded with the
deployment. The compose file is not edited: the command says which tags to put in .env.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack.backup import schema_version
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.compose.images import versions_of
from temporal_acceptance.stack.compose.project import (
    SCHEMA_JOB,
    TEMPORAL_SERVICE,
    ComposeProject,
    is_secret_name,
)
from temporal_acceptance.stack.local_images.build import build_all
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.release import (
    SCHEMA_NAMES,
    SCHEMA_PLUGIN,
    SchemaUpdate,
    find_schema_mismatch,
    schema_refusal,
)

if TYPE_CHECKING:
    from temporal_acceptance.stack.compose.stack import ComposeStack

RELEASE_VARIABLES = ("TEMPORAL_VERSION", "TEMPORAL_ADMINTOOLS_VERSION", "TEMPORAL_UI_VERSION")
# Inside the project's network the schema job reaches PostgreSQL by its service name.
DB_HOST, DB_PORT = "postgresql", 5432


def with_release(project: ComposeProject, temporal: str, ui: str) -> ComposeProject:
    variables = {
        **project.variables,
        "TEMPORAL_VERSION": temporal,
        "TEMPORAL_ADMINTOOLS_VERSION": temporal,
        "TEMPORAL_UI_VERSION": ui,
    }
    settings = replace(project.settings, temporal_version=temporal, ui_version=ui)
    return replace(project, variables=variables, settings=settings)


def sql_tool_arguments(database: str, user: str) -> list[str]:
    return [
        "--plugin", SCHEMA_PLUGIN, "--ep", DB_HOST, "--port", str(DB_PORT), "--user", user,
        "--db", database, "update-schema", "--schema-name", SCHEMA_NAMES[database],
    ]  # fmt: skip


def job_arguments(database: str, user: str) -> list[str]:
    """`compose run` of the schema job's image with temporal-sql-tool as its entrypoint."""
    return [
        "run", "--rm", "--no-deps", "--entrypoint", "temporal-sql-tool", SCHEMA_JOB,
        *sql_tool_arguments(database, user),
    ]  # fmt: skip


def use_release(stack: ComposeStack, temporal: str, ui: str) -> None:
    """Swap the image tags; Temporal and the UI are recreated from them at their next
    start. Local images of the release are built now (nothing stops if a build fails)."""
    project = with_release(stack._project_in_use(), temporal, ui)
    if any(str(path).endswith("local-images.yml") for path in project.files):
        build_all(
            stack.client, versions_of(project), stack.settings.cache_dir, stack.env, stack.say
        )
    stack.project = project
    stack.settings = project.settings
    stack.recreate |= {Service.TEMPORAL, Service.UI}


def update_schemas(stack: ComposeStack) -> list[SchemaUpdate]:
    """Both databases brought to the admin-tools release's schema (Temporal stopped)."""
    if stack.status(Service.TEMPORAL).running:
        raise UserError(
            "Temporal is running: its schemas are updated only while it is stopped",
            "stop it first (the upgrade command does)",
        )
    endpoints, user = stack.endpoints(), stack.settings.postgres_user
    updates = []
    for database in SCHEMA_NAMES:
        before = schema_version(endpoints, database)
        started = time.monotonic()
        stack._compose(stack.project, *job_arguments(database, user))
        seconds = round(time.monotonic() - started, 2)
        updates.append(SchemaUpdate(database, before, schema_version(endpoints, database), seconds))
    return updates


def update_schema_commands(stack: ComposeStack) -> list[str]:
    """The commands a user runs (the password reaches the tool from the job's SQL_PASSWORD)."""
    project = stack.project
    spelling = stack.cli.spelling
    files = " ".join(project.file_arguments())
    tag = f"TEMPORAL_ADMINTOOLS_VERSION={project.variables.get('TEMPORAL_ADMINTOOLS_VERSION')}"
    user = stack.settings.postgres_user
    return [
        f"{tag} {spelling} {files} {' '.join(job_arguments(database, user))}"
        for database in SCHEMA_NAMES
    ]


def record_release(stack: ComposeStack) -> None:
    layout = Layout(stack.settings.state_dir)
    data = layout.recorded()
    data.update(
        {
            "temporal_version": stack.settings.temporal_version,
            "ui_version": stack.settings.ui_version,
            "compose_variables": {
                name: stack.project.variables.get(name, "")
                for name in RELEASE_VARIABLES
                if not is_secret_name(name)
            },
        }
    )
    layout.record(data)


def refusal_from_logs(stack: ComposeStack, error: Exception) -> Exception:
    """A Temporal container that exited on the schema check, as a version-compatibility
    failure naming the commands; any other failure unchanged."""
    container = stack._container(TEMPORAL_SERVICE)
    if container is None:
        return error
    raw = container.logs(stdout=True, stderr=True, tail=60)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    mismatch = find_schema_mismatch(text)
    if mismatch is None:
        return error
    return schema_refusal(stack.settings.temporal_version, mismatch, update_schema_commands(stack))


class ComposeReleases:
    """The Stack's release-change methods for the compose target (mixed into ComposeStack)."""

    def _compose_stack(self) -> ComposeStack:
        return cast("ComposeStack", self)

    def use_release(self, temporal_version: str, ui_version: str) -> None:
        use_release(self._compose_stack(), temporal_version, ui_version)

    def update_schemas(self) -> list[SchemaUpdate]:
        return update_schemas(self._compose_stack())

    def update_schema_commands(self) -> list[str]:
        return update_schema_commands(self._compose_stack())

    def record_release(self) -> None:
        record_release(self._compose_stack())
