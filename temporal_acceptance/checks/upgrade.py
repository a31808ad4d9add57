"""Judging release changes: a hop's outcome, a rollback, and a server's refusal of an old
schema as the suite reports it (pure; the records come from gates/upgrade.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SERVER_SCHEMA_ERROR = "sql schema version compatibility check failed: version mismatch"
VERSION_COMPATIBILITY = "Version compatibility"


def hop_problems(record: Mapping[str, Any]) -> list[str]:
    """An upgrade record (UpgradeRecord.to_json) that did not end upgraded."""
    if record.get("outcome") == "upgraded":
        return []
    hop = f"{record.get('from')} → {record.get('to')}"
    problems = [f"the upgrade {hop} ended {record.get('outcome')!r}: {record.get('failure')}"]
    return problems + [str(p) for p in record.get("problems", [])]


def rollback_problems(
    record: Mapping[str, Any], exit_status: int, live_release: str, old_release: str
) -> list[str]:
    """A failed hop must be reported (exit 1), rolled back from its backup (restored, not
    merely restarted), and the old release must be what serves now, proven unchanged."""
    problems = []
    if exit_status != 1:
        problems.append(
            f"the upgrade command exited {exit_status}, expected 1 (failed, rolled back)"
        )
    if record.get("outcome") != "rolled back":
        problems.append(
            f"the hop ended {record.get('outcome')!r}, not 'rolled back': "
            + "; ".join([str(record.get("failure")), *map(str, record.get("problems", []))])
        )
    backup = Path(str(record.get("backup") or "/nonexistent"))
    if not (backup / "backup.json").is_file():
        problems.append(f"no backup was taken before the schemas changed (record: {backup})")
    if "rollback: restore backup" not in record.get("seconds", {}):
        problems.append("the rollback did not restore the backup")
    if live_release != old_release:
        problems.append(f"Temporal {live_release or '(no answer)'} serves now, not {old_release}")
    return problems


def refused_problems(message: str, still_running: bool) -> list[str]:
    """The newer server refused to start, in its own words."""
    problems = []
    if not message:
        problems.append("the newer release started on the old schema: nothing refused it")
    elif SERVER_SCHEMA_ERROR not in message:
        problems.append(f"it failed, but not with the server's schema check: {message}")
    if still_running:
        problems.append("the newer server is still running on the old schema")
    return problems


def reported_problems(message: str, category: str | None, commands: Sequence[str]) -> list[str]:
    """The failure is filed as a version-compatibility issue and names the fix: the exact
    update-schema command of each database."""
    problems = []
    if category != VERSION_COMPATIBILITY:
        problems.append(
            f"it is filed under {category or 'no category'}, not {VERSION_COMPATIBILITY}"
        )
    missing = [command for command in commands if command not in message]
    problems += [f"the fix does not name `{command}`" for command in missing]
    if not commands:
        problems.append("the suite knows no update-schema command for this release")
    return problems
