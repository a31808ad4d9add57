"""The safe upgrade path, shared by `temporal-acceptance upgrade --to X.Y.Z` and the
@upgrade gates: one hop (a patch, or the next minor line) on the same PostgreSQL data.

  check the path → provision the new release → read what the deployment serves → stop the
  UI and Temporal → back up both databases → update both schemas with the new release's
  temporal-sql-tool → start the new release and its UI → verify: healthy, and every
  workflow served before is served with the same history.

Each step is timed. When a step after the stop fails, the hop is rolled back: the backup is
restored (if a schema was touched), the old release started again and the same proof run
against it — the record says whether the old release serves the old data again. A drill
(`drill=...`) fails the hop on purpose at a named point, to rehearse the rollback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporal_acceptance.checks.served import served_differences
from temporal_acceptance.compat.upgrades import Hop, upgrade_hop
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say
from temporal_acceptance.core.versions import ui_for
from temporal_acceptance.probes.served import ServedData, read_served
from temporal_acceptance.stack.backup import (
    BackupManifest,
    default_directory,
    read_backup,
    restore_databases,
    take_backup,
)
from temporal_acceptance.stack.base import START_ORDER, Service, Stack
from temporal_acceptance.stack.deploy import (
    backup_before,
    deployed_release,
    pair_gate,
    record,
    record_upgrade,
)
from temporal_acceptance.stack.release import SchemaUpdate

# Where a drill may fail the hop on purpose (after that step has run).
DRILL_POINTS = ("schema", "start", "verify")


class DrillFailure(RuntimeError):
    """The failure a drill asked for."""


@dataclass
class UpgradeRecord:
    """What one hop did, how long each step took, and how it ended."""

    hop: Hop
    ui_from: str
    ui_to: str
    timings: dict[str, float] = field(default_factory=dict)
    schema_updates: list[SchemaUpdate] = field(default_factory=list)
    backup: str = ""
    served_before: ServedData | None = None
    outcome: str = "not started"  # upgraded | rolled back | rollback failed
    failure: str = ""
    problems: list[str] = field(default_factory=list)  # the proof's, after the hop or rollback

    @property
    def upgraded(self) -> bool:
        return self.outcome == "upgraded"

    def lines(self) -> list[str]:
        lines = [f"upgrade {self.hop} (UI {self.ui_from} → {self.ui_to}): {self.outcome}"]
        if self.failure:
            lines.append(f"  failed: {self.failure}")
        lines += [f"  {name:<28} {seconds:7.2f}s" for name, seconds in self.timings.items()]
        lines += [f"  schema {update.line()}" for update in self.schema_updates]
        if self.backup:
            lines.append(f"  backup: {self.backup}")
        if self.served_before is not None:
            lines.append(f"  proven on: {self.served_before.summary()}")
        lines += [f"  PROBLEM {problem}" for problem in self.problems]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.hop.from_version,
            "to": self.hop.to_version,
            "ui_from": self.ui_from,
            "ui_to": self.ui_to,
            "outcome": self.outcome,
            "failure": self.failure,
            "backup": self.backup,
            "seconds": self.timings,
            "schema_updates": [update.to_json() for update in self.schema_updates],
            "problems": self.problems,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


@dataclass
class UpgradePlan:
    """A checked hop for a stack: refuses a skipped line, a downgrade, an unsupported pair
    and a deployment that is not up before anything is touched."""

    stack: Stack
    hop: Hop
    ui_to: str
    backup_dir: Path
    drill: str = ""
    say: Say = stderr_say

    @classmethod
    def check(
        cls,
        stack: Stack,
        to: str,
        ui: str = "",
        backup_dir: Path | None = None,
        drill: str = "",
        say: Say = stderr_say,
        dry_run: bool = False,
    ) -> UpgradePlan:
        settings = stack.settings
        current = deployed_release(settings.state_dir)
        if current is None:
            raise UserError(
                f"no deployment in {settings.state_dir} to upgrade",
                "bring one up first (temporal-acceptance up), or point TACC_STATE_DIR at it",
            )
        hop = upgrade_hop(current, to, backup_before(settings.state_dir, to))
        if drill and drill not in DRILL_POINTS:
            raise UserError(f"unknown drill point {drill!r}", f"use one of {DRILL_POINTS}")
        pair_gate(replace(settings, temporal_version=to), say)
        down = [] if dry_run else [s.value for s in START_ORDER if not stack.healthy(s)]
        if down:
            raise UserError(
                f"the deployment is not healthy ({', '.join(down)} not): an upgrade starts "
                "from a healthy deployment",
                "bring it up first (temporal-acceptance up) and check `temporal-acceptance status`",
            )
        directory = backup_dir or default_directory(settings.state_dir, current, f"before-{to}")
        return cls(stack, hop, ui or ui_for(to), directory, drill, say)

    def describe(self) -> list[str]:
        """What perform() will do, step by step (the command's --dry-run)."""
        hop, old_ui = self.hop, self.stack.settings.ui_version
        return [
            f"upgrade Temporal {hop} and the UI {old_ui} → {self.ui_to} on "
            f"{self.stack.target} ({self.stack.settings.state_dir}):",
            "  read every workflow the deployment serves (the proof's baseline)",
            "  stop the UI and Temporal",
            f"  back up both databases to {self.backup_dir}",
            f"  update both schemas with Temporal {hop.to_version}'s temporal-sql-tool",
            f"  start Temporal {hop.to_version} and UI {self.ui_to} on the same data",
            "  verify: every workflow served before is served with the same history",
            "  on any failure: restore the backup, start the old release, verify it",
        ]


@contextmanager
def _timed(record: UpgradeRecord, name: str, say: Say) -> Iterator[None]:
    started = time.monotonic()
    yield
    record.timings[name] = round(time.monotonic() - started, 2)
    say(f"  {name}: {format_elapsed(record.timings[name])}")


def _read(stack: Stack) -> ServedData:
    endpoints = stack.endpoints()
    return read_served(endpoints.temporal_address, endpoints.namespace)


def _stop_temporal_and_ui(stack: Stack) -> None:
    stack.stop(Service.UI)
    stack.stop(Service.TEMPORAL)


def _start_temporal_and_ui(stack: Stack) -> None:
    stack.start(Service.TEMPORAL)
    stack.start(Service.UI)


def perform(plan: UpgradePlan, read: Callable[[Stack], ServedData] = _read) -> UpgradeRecord:
    """The hop, or its rollback; the record says which and why (nothing is raised once the
    deployment has been touched)."""
    stack, say, hop = plan.stack, plan.say, plan.hop
    old_ui = stack.settings.ui_version
    result = UpgradeRecord(hop, old_ui, plan.ui_to)
    started = time.monotonic()
    say(f"… upgrading Temporal {hop} (UI {old_ui} → {plan.ui_to})")
    with _timed(result, "provision new release", say):  # a failed build touches nothing
        stack.use_release(hop.to_version, plan.ui_to)
        stack.use_release(hop.from_version, old_ui)
    result.served_before = read(stack)
    if result.served_before.error:
        raise UserError(
            f"the deployment's workflows cannot be read before the upgrade: "
            f"{result.served_before.error}",
            "check `temporal-acceptance status`; nothing was changed",
        )
    manifest: BackupManifest | None = None
    touched = False
    try:
        with _timed(result, "stop UI and Temporal", say):
            _stop_temporal_and_ui(stack)
        with _timed(result, "back up both databases", say):
            manifest = _backup(stack, plan.backup_dir, hop.from_version, old_ui, say)
        result.backup = str(plan.backup_dir)
        stack.use_release(hop.to_version, plan.ui_to)
        touched = True
        with _timed(result, "update both schemas", say):
            result.schema_updates = stack.update_schemas()
        _drill(plan, "schema")
        with _timed(result, "start Temporal", say):
            stack.start(Service.TEMPORAL)
        with _timed(result, "start UI", say):
            stack.start(Service.UI)
        _drill(plan, "start")
        with _timed(result, "verify", say):
            result.problems = served_differences(
                result.served_before, read(stack), f"on Temporal {hop.to_version}"
            )
        _drill(plan, "verify")
        if result.problems:
            raise UserError(
                "the new release does not serve the old data", "; ".join(result.problems)
            )
    except Exception as exc:  # every failure after the stop is rolled back
        result.failure = (
            f"{type(exc).__name__}: {exc}" if not isinstance(exc, UserError) else exc.line()
        )
        say(f"✗ upgrade failed: {result.failure}; rolling back")
        _rollback(plan, result, manifest if touched else None, old_ui, read)
    else:
        result.outcome = "upgraded"
        stack.record_release()
        record(stack.settings.state_dir, pair_gate(stack.settings, say))
    result.timings["total"] = round(time.monotonic() - started, 2)
    record_upgrade(stack.settings.state_dir, result.to_json())
    return result


def _backup(stack: Stack, directory: Path, release: str, ui: str, say: Say) -> BackupManifest:
    """Both databases dumped (Temporal stopped: the pair is consistent), then read back:
    every dump present and intact before any schema changes."""
    release_info = (release, ui, stack.settings.postgres_major)
    take_backup(stack.maintenance_endpoints(), directory, release_info, False, say)
    return read_backup(directory)


def _drill(plan: UpgradePlan, point: str) -> None:
    if plan.drill == point:
        raise DrillFailure(f"drill: the hop fails on purpose after '{point}'")


def _rollback(
    plan: UpgradePlan,
    result: UpgradeRecord,
    manifest: BackupManifest | None,
    old_ui: str,
    read: Callable[[Stack], ServedData],
) -> None:
    """Back to the old release on the old data; the same proof as a successful hop."""
    stack, say = plan.stack, plan.say
    try:
        with _timed(result, "rollback: stop", say):
            _stop_temporal_and_ui(stack)
        if manifest is not None:
            with _timed(result, "rollback: restore backup", say):
                restore_databases(stack.maintenance_endpoints(), plan.backup_dir, manifest, say)
        stack.use_release(plan.hop.from_version, old_ui)
        with _timed(result, "rollback: start old release", say):
            _start_temporal_and_ui(stack)
        with _timed(result, "rollback: verify", say):
            if result.served_before is not None:
                result.problems = served_differences(
                    result.served_before, read(stack), f"on Temporal {plan.hop.from_version}"
                )
    except Exception as exc:
        result.outcome = "rollback failed"
        result.problems.append(f"the rollback failed: {type(exc).__name__}: {exc}")
        return
    result.outcome = "rolled back" if not result.problems else "rollback failed"
