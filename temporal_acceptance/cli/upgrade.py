"""`temporal-acceptance upgrade --to X.Y.Z`, `backup` and `restore`: changing a deployment's
Temporal release safely, and its backups (docs/UPGRADES.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import parse_temporal_version, parse_ui_version, ui_for
from temporal_acceptance.gates.upgrade import DRILL_POINTS, UpgradePlan, perform
from temporal_acceptance.probes.served import read_served
from temporal_acceptance.stack.backup import default_directory, take_backup
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.deploy import deployed_versions
from temporal_acceptance.stack.factory import make_stack
from temporal_acceptance.stack.restore import restore, settings_for_backup

NAMES = ("upgrade", "backup", "restore")


def add(commands: Any, settings_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the upgrade, backup and restore subcommands to the CLI's subparsers."""
    upgrade = commands.add_parser(
        "upgrade",
        help="upgrade the deployment's Temporal one release line at a time: back up, update "
        "both schemas, swap the release, verify; roll back on failure",
    )
    upgrade.add_argument("--to", required=True, help="the Temporal release, e.g. 1.31.2")
    upgrade.add_argument("--to-ui", default="", help="the UI release (default: the one for --to)")
    upgrade.add_argument("--backup-dir", type=Path, help="where the backup goes")
    upgrade.add_argument(
        "--drill",
        choices=DRILL_POINTS,
        help="rehearse a rollback: fail the hop on purpose after this step",
    )
    upgrade.add_argument("--json", type=Path, help="also write the record as JSON here")
    upgrade.add_argument(
        "--dry-run", action="store_true", help="check the path and say what would be done"
    )
    settings_args(upgrade)
    backup = commands.add_parser("backup", help="back up both Temporal databases (pg_dump)")
    backup.add_argument("--output", type=Path, help="a new directory for the backup")
    settings_args(backup)
    restore_cmd = commands.add_parser(
        "restore",
        help="replace both Temporal databases with a backup and run the release that wrote it",
    )
    restore_cmd.add_argument("--from", dest="source", type=Path, required=True)
    settings_args(restore_cmd)


def _deployed(settings: Settings) -> Settings:
    """The settings of the deployment as it runs now: the releases it recorded (a default
    or TACC_* version may name another release; the upgrade says which one it goes to)."""
    found = deployed_versions(settings.state_dir)
    if found is None:
        return settings
    temporal, ui = found
    given = settings.given | {"temporal_version", "ui_version"}
    return replace(settings, temporal_version=temporal, ui_version=ui, given=given)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "upgrade":
        return run_upgrade(args, settings)
    if args.command == "backup":
        return run_backup(args, settings)
    return run_restore(args, settings)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    to = str(parse_temporal_version(args.to))
    ui = str(parse_ui_version(args.to_ui)) if args.to_ui else ui_for(to)
    stack = make_stack(_deployed(settings))
    plan = UpgradePlan.check(
        stack, to, ui, args.backup_dir, args.drill or "", print, dry_run=args.dry_run
    )
    if args.dry_run:
        print("\n".join([*plan.describe(), "dry run: nothing was changed"]))
        return 0
    record = perform(plan)
    for line in record.lines():
        print(line)
    if args.json:
        args.json.write_text(json.dumps(record.to_json(), indent=2) + "\n")
    if record.upgraded:
        if stack.target == "compose":
            print(
                f"now set TEMPORAL_VERSION={to}, TEMPORAL_ADMINTOOLS_VERSION={to} and "
                f"TEMPORAL_UI_VERSION={ui} in .env (or TACC_TEMPORAL_VERSION/TACC_UI_VERSION)"
            )
        return 0
    if record.outcome == "rolled back":
        print(f"rolled back: Temporal {plan.hop.from_version} serves the old data again")
    return 1


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    stack = make_stack(_deployed(settings))
    if not stack.healthy(Service.POSTGRES):
        raise UserError("PostgreSQL is not running", "bring the stack up first")
    current = stack.settings
    directory = args.output or default_directory(current.state_dir, current.temporal_version)
    running = stack.healthy(Service.TEMPORAL)
    if running:
        print(
            "note: Temporal is running: each database is dumped consistently, but not the "
            "two together (the upgrade command stops Temporal before its backup)"
        )
    manifest = take_backup(
        stack.maintenance_endpoints(),
        directory,
        (current.temporal_version, current.ui_version, current.postgres_major),
        running,
        print,
    )
    print(f"backup in {directory}: {manifest.summary()}")
    return 0


def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    target = settings_for_backup(args.source, settings)
    stack = make_stack(target)
    outcome = restore(stack, args.source, print)
    for line in outcome.lines():
        print(line)
    endpoints = stack.endpoints()
    served = read_served(endpoints.temporal_address, endpoints.namespace)
    print(f"now served: {served.summary()}")
    return 0
