"""The deploy command's version gate: decide, refuse or warn, record, then bring the stack up.

The CLI's `up`/`deploy`, the behave harness and the @matrix stacks all deploy through
`deploy()`, so the same pair gets the same answer and the same recorded warning everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporal_acceptance.compat.decision import Decision, decide
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Stack
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.ownership import claim

RECORD_KEY = "compatibility"


def gate(settings: Settings, say: Say = stderr_say) -> Decision:
    """Decide for the requested pair: raise the refusal (nothing started), say the warning
    of an untested or forced pair; a supported pair passes quietly (`status` shows it)."""
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
