"""Restoring a backup into a deployment (an existing one, or a fresh state directory): the
databases are replaced by the backup's and the release that wrote them is started on them.

Whatever the databases held before is itself backed up first (nothing is lost by a restore
into the wrong place), and the releases come from the backup: a request for another
Temporal release is refused, as the data could not take it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.backup import (
    BackupManifest,
    Restored,
    default_directory,
    holds_data,
    read_backup,
    restore_databases,
    take_backup,
)
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.deploy import deployed_release, pair_gate, record


@dataclass
class RestoreOutcome:
    manifest: BackupManifest
    restored: list[Restored] = field(default_factory=list)
    saved_first: str = ""  # where the databases' previous contents went
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"restored {self.manifest.summary()}"]
        if self.saved_first:
            lines.append(f"  the databases' previous contents were backed up to {self.saved_first}")
        lines += [f"  {restored.line()}" for restored in self.restored]
        lines += [f"  {name:<28} {seconds:7.2f}s" for name, seconds in self.timings.items()]
        return lines


def settings_for_backup(directory: Path, settings: Settings) -> Settings:
    """The settings that run the backup's releases; a release the user asked for that
    differs from the backup's is refused (the data could not take it)."""
    manifest = read_backup(directory)
    if "temporal_version" in settings.given and (
        settings.temporal_version != manifest.temporal_version
    ):
        raise UserError(
            f"the backup in {directory} holds the data of Temporal {manifest.temporal_version}, "
            f"not {settings.temporal_version}",
            f"restore it with Temporal {manifest.temporal_version} (leave the version out), "
            f"then upgrade: temporal-acceptance upgrade --to ...",
        )
    major = settings.postgres_major if "postgres_version" in settings.given else None
    if major is not None and major < manifest.postgres_major:
        raise UserError(
            f"the backup comes from PostgreSQL {manifest.postgres_major}; {major} is older",
            f"restore it into PostgreSQL {manifest.postgres_major} or newer",
        )
    ui = settings.ui_version if "ui_version" in settings.given else manifest.ui_version
    return replace(
        settings,
        temporal_version=manifest.temporal_version,
        ui_version=ui,
        postgres_major=major or manifest.postgres_major,
        given=settings.given | {"temporal_version", "ui_version", "postgres_version"},
    )


def restore(stack: Stack, directory: Path, say: Say) -> RestoreOutcome:
    """Replace the deployment's databases with the backup's and run its release on them."""
    manifest = read_backup(directory)
    settings = stack.settings
    outcome = RestoreOutcome(manifest)
    decision = pair_gate(settings, say)
    started = time.monotonic()
    stack.start(Service.POSTGRES)
    stack.stop(Service.UI)
    stack.stop(Service.TEMPORAL)
    endpoints = stack.maintenance_endpoints()  # the admin: a restore re-creates databases
    if holds_data(endpoints):
        previous = deployed_release(settings.state_dir) or "unknown"
        safety = default_directory(settings.state_dir, previous, "before-restore")
        take_backup(endpoints, safety, (previous, "", settings.postgres_major), False, say)
        outcome.saved_first = str(safety)
    outcome.timings["stop and save"] = round(time.monotonic() - started, 2)
    started = time.monotonic()
    outcome.restored = restore_databases(endpoints, directory, manifest, say)
    outcome.timings["restore"] = round(time.monotonic() - started, 2)
    started = time.monotonic()
    stack.use_release(manifest.temporal_version, settings.ui_version)
    record(settings.state_dir, decision)
    stack.start(Service.TEMPORAL)
    stack.start(Service.UI)
    stack.record_release()
    outcome.timings["start"] = round(time.monotonic() - started, 2)
    return outcome
