"""The deploy command's version gate: decide, refuse or warn, record, then bring the stack up.

The CLI's `up`/`deploy`, the behave harness and the @matrix stacks all deploy through
`deploy()`, so the same pair gets the same answer and the same recorded warning everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporal_acceptance.compat.decision import Decision, decide
from temporal_acceptance.compat.upgrades import deploy_refusal
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.versions import ui_for
from temporal_acceptance.stack.base import Stack
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.ownership import claim

RECORD_KEY = "compatibility"
UPGRADES_KEY = "upgrades"


def deployed_release(state_dir: Path) -> str | None:
    """The Temporal release whose schema the deployment in `state_dir` holds: the one it
    last ran (native), else the one its deploy decision was recorded for; None when there
    is no deployment there yet."""
    data = Layout(state_dir).recorded()
    running = data.get("temporal_version")
    if isinstance(running, str) and running:
        return running
    entry = data.get(RECORD_KEY)
    version = entry.get("temporal_version") if isinstance(entry, dict) else None
    return version if isinstance(version, str) and version else None


def deployed_versions(state_dir: Path) -> tuple[str, str] | None:
    """The Temporal and UI releases the deployment runs (see deployed_release); the UI is
    the recorded one, else the one that goes with the Temporal release."""
    temporal = deployed_release(state_dir)
    if temporal is None:
        return None
    ui = Layout(state_dir).recorded().get("ui_version")
    return temporal, ui if isinstance(ui, str) and ui else ui_for(temporal)


def backup_before(state_dir: Path, release: str) -> str:
    """The backup an upgrade away from `release` took (the way back to it), or ''."""
    history = Layout(state_dir).recorded().get(UPGRADES_KEY)
    for entry in reversed(history if isinstance(history, list) else []):
        if isinstance(entry, dict) and entry.get("from") == release and entry.get("backup"):
            return str(entry["backup"])
    return ""


def path_gate(settings: Settings) -> None:
    """Refuse a release the deployment's data cannot take directly: a skipped minor line or
    a downgrade (with the path to take instead), and a next minor line (sent to the
    upgrade command, which backs up and updates the schemas first)."""
    current = deployed_release(settings.state_dir)
    if current is None:
        return
    refusal = deploy_refusal(
        current,
        settings.temporal_version,
        backup_before(settings.state_dir, settings.temporal_version),
    )
    if refusal is not None:
        raise refusal


def record_upgrade(state_dir: Path, entry: dict[str, Any]) -> None:
    """Append an upgrade (or its rollback) to the deployment's history in stack.json."""
    layout = Layout(state_dir)
    data = layout.recorded()
    history = data.get(UPGRADES_KEY)
    data[UPGRADES_KEY] = [*(history if isinstance(history, list) else []), entry]
    layout.record(data)


def gate(settings: Settings, say: Say = stderr_say) -> Decision:
    """Decide for the requested pair: raise the refusal (nothing started), say the warning
    of an untested or forced pair; a supported pair passes quietly (`status` shows it).
    On an existing deployment the release must be one its data can take (path_gate)."""
    path_gate(settings)
    return pair_gate(settings, say)


def pair_gate(settings: Settings, say: Say = stderr_say) -> Decision:
    """The compatibility matrix's answer for the pair alone (see gate)."""
    decision = decide(settings.temporal_version, settings.postgres_major, settings.force_version)
    if not decision.allowed:
        raise decision.refusal()
    if decision.warning:
        say(decision.warning)
    return decision


def record(state_dir: Path, decision: Decision) -> dict[str, Any]:
    """Keep the decision (and its warning) in the state directory's stack.json, where the
    report and `temporal-acceptance status` find it; returns what was recorded."""
    claim(state_dir)  # refuses a non-empty directory the suite did not create
    layout = Layout(state_dir)
    entry = {**decision.as_record(), "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    layout.record({**layout.recorded(), RECORD_KEY: entry})
    return entry


def recorded(state_dir: Path) -> dict[str, Any] | None:
    """The decision recorded with the deployment in `state_dir`, if any."""
    entry = Layout(state_dir).recorded().get(RECORD_KEY)
    return entry if isinstance(entry, dict) else None


def compatibility_facts(state_dir: Path) -> dict[str, str]:
    """For the report's environment: the version decision recorded with the deployment,
    and its warning when the pair was untested or forced."""
    entry = recorded(state_dir)
    if entry is None:
        return {"Version compatibility": "not recorded (deployed by another tool?)"}
    facts = {"Version compatibility": f"{entry['outcome']}: {entry['reason']}"}
    if entry.get("warning"):
        facts["Version warning"] = str(entry["warning"])
    return facts


def deploy(settings: Settings, stack: Stack, say: Say = stderr_say) -> Decision:
    decision = gate(settings, say)
    bring_up(settings, stack, decision)
    return decision


def bring_up(settings: Settings, stack: Stack, decision: Decision) -> None:
    """Record an allowed decision with the deployment, then bring the stack up."""
    if not decision.allowed:
        raise decision.refusal()
    record(settings.state_dir, decision)
    stack.up()
