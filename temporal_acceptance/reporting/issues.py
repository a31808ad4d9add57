"""ISSUES.md: the sprint plan's issue log, generated from a run's Allure results.

Every failed or broken scenario, grouped by category (reporting.categories) and P-level,
with its message, the step that failed and the attachments to open first; then the gates
passed per phase and the run's timings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.reporting.categories import category_names
from temporal_acceptance.reporting.labels import NO_PHASE, SEVERITY_OF_PLEVEL
from temporal_acceptance.reporting.results import ScenarioResult

MESSAGE_LINES = 8
SLOWEST_SHOWN = 5
# Attachments that explain a failure best, in the order a reader should open them.
EVIDENCE_FIRST = ("log: ", "effective configuration")


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _plevel_order(plevel: str) -> tuple[int, str]:
    return (int(plevel[1]) if plevel in SEVERITY_OF_PLEVEL else 9, plevel)


def _phase_order(epic: str) -> tuple[int, str]:
    # "Phase 2 — ..." sorts by its number; scenarios without a phase go last.
    number = epic.split(" ", 2)[1] if epic.startswith("Phase ") else ""
    return (int(number) if number.isdigit() else 99, epic)


def _attachments_to_open(result: ScenarioResult) -> list[str]:
    evidence = [
        name for name in result.attachments if any(name.startswith(p) for p in EVIDENCE_FIRST)
    ]
    rest = [name for name in result.attachments if name not in evidence and name != "timings"]
    ordered = [*result.step_attachments, *evidence, *rest]
    return list(dict.fromkeys(ordered))


def _failure_entry(result: ScenarioResult) -> list[str]:
    message_lines = (result.message or "(no message)").splitlines()
    shown = message_lines[:MESSAGE_LINES]
    if len(message_lines) > MESSAGE_LINES:
        shown.append(f"… ({len(message_lines) - MESSAGE_LINES} more lines in the report)")
    step = f"`{result.failing_step}`" if result.failing_step else "a hook (no step failed)"
    attachments = ", ".join(f"“{name}”" for name in _attachments_to_open(result)) or "none"
    return [
        f"- **{result.name}** — {result.status}",
        f"  - where: {result.epic} / {result.label('feature')} / gate “{result.gate}”",
        f"  - failing step: {step}",
        "  - message:",
        "",
        "    ```text",
        *(f"    {line}" for line in shown),
        "    ```",
        "",
        f"  - open in the report: {attachments}",
    ]


def failures_section(results: Sequence[ScenarioResult]) -> list[str]:
    failing = [r for r in results if r.failing]
    lines = ["## Failures by category and P-level", ""]
    if not failing:
        return [*lines, "No scenario failed or broke in this run.", ""]
    by_category: dict[str, list[ScenarioResult]] = defaultdict(list)
    for result in failing:
        by_category[result.category or "Other"].append(result)
    for category in category_names():
        found = by_category.get(category, [])
        if not found:
            continue
        lines += [f"### {category} ({len(found)})", ""]
        by_plevel: dict[str, list[ScenarioResult]] = defaultdict(list)
        for result in found:
            by_plevel[result.plevel].append(result)
        for plevel in sorted(by_plevel, key=_plevel_order):
            severity = SEVERITY_OF_PLEVEL.get(plevel, "")
            lines += [f"#### {plevel}{f' ({severity})' if severity else ''}", ""]
            for result in by_plevel[plevel]:
                lines += [*_failure_entry(result), ""]
    return lines


def _gates(results: Iterable[ScenarioResult]) -> Mapping[str, Mapping[str, list[str]]]:
    """phase → gate → statuses of its scenarios."""
    phases: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        phases[result.epic][f"{result.label('feature')} / {result.gate}"].append(result.status)
    return phases


def gates_section(results: Sequence[ScenarioResult]) -> list[str]:
    lines = [
        "## Gates passed per phase",
        "",
        "A gate (a `Rule:` of a feature) passes when every scenario of it ran and passed.",
        "",
        "| phase | gates passed | scenarios passed | failed | broken | skipped | time |",
        "|---|---|---|---|---|---|---|",
    ]
    phases = _gates(results)
    for epic in sorted(phases, key=_phase_order):
        gates = phases[epic]
        statuses = [status for gate in gates.values() for status in gate]
        passed_gates = sum(1 for gate in gates.values() if set(gate) == {"passed"})
        seconds = sum(r.seconds for r in results if r.epic == epic)
        lines.append(
            f"| {_cell(epic)} | {passed_gates}/{len(gates)} | "
            f"{statuses.count('passed')}/{len(statuses)} | {statuses.count('failed')} | "
            f"{statuses.count('broken')} | {statuses.count('skipped')} | {_duration(seconds)} |"
        )
    open_gates = [
        f"- {epic}: {gate} ({', '.join(sorted(set(s for s in statuses if s != 'passed')))})"
        for epic in sorted(phases, key=_phase_order)
        for gate, statuses in phases[epic].items()
        if set(statuses) != {"passed"}
    ]
    if open_gates:
        lines += ["", "Gates not passed:", "", *open_gates]
    return [*lines, ""]


def timings_section(results: Sequence[ScenarioResult]) -> list[str]:
    start = min(r.start_ms for r in results)
    stop = max(r.stop_ms for r in results)
    busy = sum(r.seconds for r in results)
    slowest = sorted(results, key=lambda r: r.seconds, reverse=True)[:SLOWEST_SHOWN]
    return [
        "## Run timings",
        "",
        f"- first scenario started {_when(start)}, last ended {_when(stop)}",
        f"- wall time {_duration((stop - start) / 1000)}; time inside scenarios "
        f"{_duration(busy)} over {len(results)} scenarios",
        "",
        "| slowest scenarios | phase | time |",
        "|---|---|---|",
        *(f"| {_cell(r.name)} | {_cell(r.epic)} | {_duration(r.seconds)} |" for r in slowest),
        "",
    ]


def render(results: Sequence[ScenarioResult], environment: Mapping[str, str]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed")}
    broken = sum(1 for r in results if r.status == "broken")
    skipped = sum(1 for r in results if r.status == "skipped")
    facts = [f"{key}: {value}" for key, value in environment.items()]
    header = [
        "# Issues found by the acceptance run",
        "",
        "Generated from the Allure results by `temporal-acceptance report`; do not edit by "
        "hand — fix the deployment or the suite and run again.",
        "",
        f"**{len(results)} scenarios: {counts['passed']} passed, {counts['failed']} failed, "
        f"{broken} broken, {skipped} skipped.**",
        "",
    ]
    # ---- reporting: the run's verdict and what it did not check (reporting/verdict.py)
    if verdict := environment.get("Verdict"):
        header += [f"**Verdict: {verdict}**", ""]
    if not_checked := environment.get("Skipped on this target"):
        header += ["Not checked by this run (skipped, with the reason):", ""]
        header += [f"- {gate}" for gate in not_checked.split("; ")] + [""]
    if facts:
        header += ["<details><summary>Environment</summary>", "", *(f"- {f}" for f in facts)]
        header += ["", "</details>", ""]
    if any(r.epic == NO_PHASE for r in results):
        header += [f"Some scenarios carry no @phaseN tag; they are listed as “{NO_PHASE}”.", ""]
    body = failures_section(results) + gates_section(results) + timings_section(results)
    return "\n".join(header + body).rstrip() + "\n"


def write_issues(
    results: Sequence[ScenarioResult], environment: Mapping[str, str], path: Path
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results, environment), encoding="utf-8")
    return path
