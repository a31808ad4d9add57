"""A run over several stacks: which scenario goes where (core/shares.py), how the shares'
results become the run's (reporting/merge.py), and the driver's pure parts (cli/stacks.py)."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from temporal_acceptance.cli import stacks
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.shares import (
    UNTIMED_DISRUPTIVE,
    UNTIMED_OTHER,
    UNTIMED_SLOW,
    Planned,
    planned,
    share_out,
    timing_history,
)
from temporal_acceptance.reporting import merge, timings
from temporal_acceptance.reporting.verdict import (
    FAILED,
    NOT_SELECTED,
    PASSED,
    SKIPPED,
    GateResult,
    Verdict,
    write_verdict,
)


def _s(loc: str, seconds: float, anywhere: bool = False, alone: bool = False) -> Planned:
    return Planned(loc, f"scenario at {loc}", seconds, anywhere, alone)


# ---------------------------------------------------------------- shares


def test_estimates_come_from_the_last_run_else_from_the_kind_of_scenario() -> None:
    history = {"f/p.feature:10": 12.5}
    assert planned("f/p.feature:10", "a", ["disruptive"], history).seconds == 12.5
    untimed = planned("f/p.feature:20", "b", ["disruptive", "P0"], history)
    assert (untimed.seconds, untimed.anywhere, untimed.alone) == (UNTIMED_DISRUPTIVE, True, False)
    assert planned("f/p.feature:30", "d", ["disruptive", "slow"], {}).seconds == UNTIMED_SLOW
    other = planned("f/d.feature:3", "c", ["load"], {})
    assert (other.seconds, other.anywhere, other.alone) == (UNTIMED_OTHER, False, True)
    assert other.path == "f/d.feature"


def test_disruptive_scenarios_spread_longest_first_and_the_rest_stays_on_the_first() -> None:
    scenarios = [
        _s("a.feature:1", 3), _s("a.feature:2", 4),  # one feature: 7 s together
        _s("p.feature:1", 10, True), _s("p.feature:2", 9, True),
        _s("p.feature:3", 2, True), _s("u.feature:5", 6),
    ]  # fmt: skip
    shares = share_out(scenarios, 3)
    assert [s.locations() for s in shares] == [
        ["a.feature:1", "a.feature:2", "u.feature:5"],
        ["p.feature:1"],
        ["p.feature:2", "p.feature:3"],  # file order kept within a share
    ]
    assert [s.label for s in shares] == ["stack 1", "stack 2", "stack 3"]
    assert [round(s.seconds) for s in shares] == [13, 10, 11]
    # with little other work, the first stack takes disruptive scenarios too
    light = share_out([_s("a.feature:1", 1), *scenarios[2:5]], 2)
    assert [s.locations() for s in light] == [
        ["a.feature:1", "p.feature:2", "p.feature:3"], ["p.feature:1"],
    ]  # fmt: skip


def test_one_stack_keeps_every_scenario_in_file_order() -> None:
    scenarios = [_s("p.feature:1", 10, True), _s("a.feature:1", 1), _s("p.feature:2", 5, True)]
    (share,) = share_out(scenarios, 1)
    assert share.locations() == ["p.feature:1", "a.feature:1", "p.feature:2"]


def test_load_scenarios_run_alone_last_on_the_first_stack() -> None:
    scenarios = [_s("a.feature:1", 1), _s("perf.feature:4", 30, alone=True)]
    shares = share_out(scenarios, 3)
    assert [(s.label, s.stack, s.locations()) for s in shares] == [
        ("stack 1", 0, ["a.feature:1"]),
        ("alone", 0, ["perf.feature:4"]),
    ]


def test_no_stacks_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        share_out([], 0)


def test_timing_history_reads_the_last_timings_and_ignores_what_it_cannot(tmp_path: Path) -> None:
    path = tmp_path / "timings.json"
    assert timing_history(path) == {}
    path.write_text(json.dumps([{"location": "x:1", "seconds": 2.5}, {"location": "x:2"}]))
    assert timing_history(path) == {"x:1": 2.5}
    path.write_text("not json")
    assert timing_history(path) == {}


# ---------------------------------------------------------------- merge


def _gate(location: str, status: str, reason: str = "") -> GateResult:
    return GateResult("F", "F", f"name {location}", 4, "P0", status, reason, location)


def _part(tmp_path: Path, label: str, locations: list[str], status: int | None = 0) -> merge.Part:
    folder = tmp_path / label
    folder.mkdir(exist_ok=True)
    return merge.Part(
        label, folder, frozenset(locations), frozenset(f"name {x}" for x in locations), status
    )


def test_the_verdict_counts_each_scenario_once_by_the_part_that_ran_it(tmp_path: Path) -> None:
    one = _part(tmp_path, "stack 1", ["a:1", "p:1"])
    two = _part(tmp_path, "stack 2", ["p:2"])
    # each behave process saw the other's scenario of the same file as skipped
    write_verdict(
        Verdict("native", [_gate("a:1", PASSED), _gate("p:1", PASSED), _gate("p:2", SKIPPED)]),
        one.verdict_file,
    )
    write_verdict(
        Verdict("native", [_gate("p:1", SKIPPED), _gate("p:2", FAILED, "boom")]), two.verdict_file
    )
    verdict = merge.merged_verdict("native", [one, two], [_gate("m:1", NOT_SELECTED)], 61.0)
    assert [(g.location, g.status) for g in verdict.gates] == [
        ("a:1", PASSED), ("m:1", NOT_SELECTED), ("p:1", PASSED), ("p:2", FAILED),
    ]  # fmt: skip
    assert verdict.wall_seconds == 61.0
    assert not verdict.passes()


def test_a_part_without_a_verdict_fails_its_whole_share(tmp_path: Path) -> None:
    lost = _part(tmp_path, "stack 2", ["p:2", "p:3"], status=2)
    verdict = merge.merged_verdict("native", [lost], [], 1.0)
    assert [g.status for g in verdict.gates] == [FAILED, FAILED]
    assert "stack 2 ended without a verdict (exit status 2)" in verdict.gates[0].reason


def test_a_scenario_a_part_did_not_report_fails(tmp_path: Path) -> None:
    part = _part(tmp_path, "stack 1", ["a:1", "a:2"])
    write_verdict(Verdict("native", [_gate("a:1", PASSED)]), part.verdict_file)
    verdict = merge.merged_verdict("native", [part], [], 1.0)
    assert [(g.location, g.status) for g in verdict.gates] == [("a:1", PASSED), ("a:2", FAILED)]
    assert verdict.gates[1].reason == "not reported by stack 1"


def test_timings_keep_each_parts_own_scenarios_slowest_first(tmp_path: Path) -> None:
    one, two = _part(tmp_path, "stack 1", ["a:1"]), _part(tmp_path, "stack 2", ["p:2"])
    row = {"status": "passed", "feature": "F", "scenario": "s"}
    own = {**row, "seconds": 1.0, "location": "a:1"}
    (one.folder / "timings.json").write_text(json.dumps([own]))
    # behave times a scenario it skipped for another part at 0 s or a little more
    other = [{**row, "seconds": 9.0, "location": "p:2"}, {**own, "seconds": 0.5}]
    (two.folder / "timings.json").write_text(json.dumps(other))
    rows = merge.merged_timings([one, two, _part(tmp_path, "alone", [])])
    assert [(t.location, t.seconds) for t in rows] == [("p:2", 9.0), ("a:1", 1.0)]


def _suite(path: Path, cases: list[tuple[str, str]]) -> None:
    suite = ET.Element("testsuite", name="persistence.P", tests=str(len(cases)))
    for name, status in cases:
        case = ET.SubElement(suite, "testcase", classname="persistence.P", name=name, status=status)
        if status == "skipped":
            ET.SubElement(case, "skipped")
        if status == "failed":
            ET.SubElement(case, "failure", message="boom")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path)


def test_junit_files_keep_each_scenario_once(tmp_path: Path) -> None:
    one, two = _part(tmp_path, "stack 1", ["p:1"]), _part(tmp_path, "stack 2", ["p:2"])
    both = [("name p:1", "passed"), ("name p:2", "skipped"), ("name m:1", "skipped")]
    _suite(one.folder / "junit" / "TESTS-persistence.xml", both)
    _suite(
        two.folder / "junit" / "TESTS-persistence.xml",
        [("name p:1", "skipped"), ("name p:2", "failed"), ("name m:1", "skipped")],
    )
    out = tmp_path / "junit"
    written = merge.merge_junit([one, two], out)
    assert [p.name for p in written] == ["TESTS-persistence.xml", "TESTS-persistence.stack-2.xml"]
    first, second = (ET.parse(p).getroot() for p in written)  # noqa: S314 (written here)
    # the scenario no part ran (left out by the tags) is kept once, as skipped
    assert [c.get("name") for c in first.iter("testcase")] == ["name p:1", "name m:1"]
    assert (first.get("tests"), first.get("skipped"), first.get("failures")) == ("2", "1", "0")
    assert [c.get("name") for c in second.iter("testcase")] == ["name p:2"]
    assert (second.get("tests"), second.get("failures")) == ("1", "1")


def test_allure_results_merge_without_other_parts_skipped_copies(tmp_path: Path) -> None:
    one, two = _part(tmp_path, "stack 1", ["a:1"]), _part(tmp_path, "stack 2", ["p:2"])
    for part, own, other in ((one, "a:1", "p:2"), (two, "p:2", "a:1")):
        results = part.folder / "allure-results"
        results.mkdir()
        (results / f"{part.label[-1]}a-result.json").write_text(
            json.dumps({"name": f"name {own}", "status": "passed"})
        )
        (results / f"{part.label[-1]}b-result.json").write_text(
            json.dumps({"name": f"name {other}", "status": "skipped"})
        )
        (results / f"{part.label[-1]}c-attachment.png").write_bytes(b"png")
        (results / "environment.properties").write_text(f"Verdict=old\nFrom={part.label}\n")
    out = tmp_path / "allure-results"
    copied = merge.merge_allure([one, two], out, {"Verdict": "PASSED", "Slowest scenarios": "x"})
    assert sorted(p.name for p in out.iterdir()) == [
        "1a-result.json", "1c-attachment.png", "2a-result.json", "2c-attachment.png",
        "environment.properties",
    ]  # fmt: skip
    assert copied == 5
    text = (out / "environment.properties").read_text()
    assert text == "From=stack 1\nVerdict=PASSED\nSlowest\\ scenarios=x\n"


def test_resources_of_the_other_stacks_are_named_by_their_part(tmp_path: Path) -> None:
    one, two = _part(tmp_path, "stack 1", []), _part(tmp_path, "stack 2", [])
    for part in (one, two):
        data = {"summary": {"postgres": {"cpu_percent_mean": 1.0}}, "series": {"postgres": []}}
        (part.folder / "resources.json").write_text(json.dumps(data))
    merged = merge.merge_resources([one, two, _part(tmp_path, "alone", [])], tmp_path / "r.json")
    assert sorted(merged["summary"]) == ["postgres", "stack 2: postgres"]
    assert json.loads((tmp_path / "r.json").read_text()) == merged


# ---------------------------------------------------------------- the driver's pure parts


def test_progress_lines_round_trip_and_other_lines_are_not_shown() -> None:
    scenario = SimpleNamespace(
        name="A workflow survives", duration=8.26, status=SimpleNamespace(name="passed"),
        feature=SimpleNamespace(name="Persistence"),
    )  # fmt: skip
    line = timings.progress_line("stack 2", scenario)
    assert timings.shown(line) == "  stack 2  passed      8.3 s  Persistence: A workflow survives"
    assert timings.shown("  Scenario: A workflow survives") is None


def test_more_stacks_only_on_a_native_single_process_deployment() -> None:
    native = Settings.load({}, env={})
    assert stacks.stack_count(3, native) == (3, "")
    compose = Settings.load({"target": "compose"}, env={})
    assert stacks.stack_count(3, compose) == (1, "the compose target is one deployment")
    multirole = Settings.load({"topology": "multirole"}, env={})
    assert stacks.stack_count(2, multirole)[0] == 1
    with pytest.raises(UserError, match="--stacks 9 is not between 1 and 4"):
        stacks.stack_count(9, native)


def test_the_shares_get_the_runs_arguments_less_its_paths() -> None:
    args = ["--tags=@P0", "features/persistence.feature", "-D", "worker=on"]
    assert stacks.without_paths(args, ["features/persistence.feature"]) == [
        "--tags=@P0", "-D", "worker=on",
    ]  # fmt: skip


def test_the_plan_selects_what_behave_would_and_lists_the_rest() -> None:
    config = stacks.behave_config(["--tags=@P0", "features/persistence.feature"])
    chosen, unselected = stacks.plan(config, {})
    assert chosen
    assert all(s.anywhere and s.path == "features/persistence.feature" for s in chosen)
    assert unselected
    assert all(g.status == NOT_SELECTED for g in unselected)
    # the slow tiers stay out unless the tags name them (core/tiers.py)
    everything, _ = stacks.plan(stacks.behave_config([]), {})
    assert not any(s.alone for s in everything)
    with_load, _ = stacks.plan(stacks.behave_config(["--tags={config.tags} or @load"]), {})
    assert [s.path for s in with_load if s.alone] == ["features/performance.feature"]


def test_the_extra_stacks_have_ports_and_state_of_their_own(tmp_path: Path) -> None:
    from temporal_acceptance.core.shares import Share

    base = Settings.load({"state_dir": str(tmp_path / "native")}, env={})
    assert stacks._settings_of(Share(0), base, tmp_path / "x") is base
    second = stacks._settings_of(Share(1), base, tmp_path / "native-stacks")
    third = stacks._settings_of(Share(2), base, tmp_path / "native-stacks")
    assert (second.temporal_port, second.postgres_port, second.ui_port) == (22633, 15701, 18701)
    assert (third.temporal_port, third.postgres_port, third.ui_port) == (23033, 15702, 18702)
    assert second.state_dir.parent == tmp_path / "native-stacks"
    assert second.state_dir.name.startswith("stack-2-")
    assert second.state_dir != third.state_dir


def test_a_failed_shares_logs_are_kept_before_its_stack_is_purged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporal_acceptance.core.shares import Share

    monkeypatch.chdir(tmp_path)
    settings = Settings.load({"state_dir": str(tmp_path / "stack")}, env={})
    (settings.state_dir / "logs").mkdir(parents=True)
    (settings.state_dir / "logs" / "temporal.log").write_text("line\n")
    run = stacks.ShareRun(Share(1), settings, [], sys.stdout)
    run.folder.mkdir(parents=True)
    run.status = 0
    run.keep_logs_of_a_failure()
    assert not (run.folder / "logs").exists()
    run.status = 1
    run.keep_logs_of_a_failure()
    assert (run.folder / "logs" / "temporal.log").read_text() == "line\n"


def _share_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> stacks.ShareRun:
    import io

    from temporal_acceptance.core.shares import Share

    monkeypatch.chdir(tmp_path)
    settings = Settings.load({"state_dir": str(tmp_path / "stack")}, env={})
    run = stacks.ShareRun(Share(1, [_s("p:1", 1.0, True)]), settings, [], io.StringIO())
    run.argv = [sys.executable, "-c", code]
    return run


def test_a_share_streams_its_progress_and_the_lines_that_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = timings.PROGRESS_MARK + "stack 2\tpassed\t1.5\tF: s"
    code = (
        f"print({progress!r}); print('  Scenario: s'); print('  LEAK reports/x:3 (postgres)');"
        "print('error: port 15701 is in use'); raise SystemExit(3)"
    )
    run = _share_run(tmp_path, monkeypatch, code)
    run.start().join()
    assert (run.status, run.leaks) == (3, 1)
    shown = run.out.getvalue().splitlines()  # type: ignore[attr-defined]
    assert shown == [
        "  stack 2  passed      1.5 s  F: s",
        "  LEAK reports/x:3 (postgres)  (stack 2)",
        "error: port 15701 is in use  (stack 2)",
    ]
    assert "  Scenario: s" in (run.folder / "console.log").read_text()
    assert run.part().exit_status == 3


def test_a_share_that_never_ends_is_stopped_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _share_run(tmp_path, monkeypatch, "import time; time.sleep(30)")
    run.timeout = 0.3
    run.start().join(timeout=20)
    assert run.status is not None
    assert run.status != 0
    assert "stack 2: no end after 0 min — stopped" in run.out.getvalue()  # type: ignore[attr-defined]


def test_the_runs_end_merges_judges_and_fails_on_a_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _share_run(tmp_path, monkeypatch, "pass")
    run.folder.mkdir(parents=True)
    run.status, run.seconds = 0, 2.0
    write_verdict(Verdict("native", [_gate("p:1", PASSED)]), run.folder / "verdict.json")
    said: list[str] = []
    verdict_path = tmp_path / "reports" / "verdict.json"
    assert stacks._finish("native", [run], [], 3.0, verdict_path, "any", said.append) == 0
    assert json.loads(verdict_path.read_text())["counts"][PASSED] == 1
    assert any("stack 2: 1 scenarios in 2.0 s, behave exit status 0" in line for line in said)
    assert (tmp_path / "reports" / "allure-results").is_dir()
    run.leaks = 1
    assert stacks._finish("native", [run], [], 3.0, verdict_path, "any", said.append) == 1
    assert said[-1].startswith("FAILED: the secrets gate found 1 leaked password(s)")


def test_a_stopped_run_stops_its_shares(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    run = _share_run(
        tmp_path, monkeypatch, "print('started', flush=True); import time; time.sleep(30)"
    )
    run.stop()  # nothing started yet: nothing to stop
    thread = run.start()
    while run.process is None or "started" not in (run.folder / "console.log").read_text():
        time.sleep(0.05)
    run.stop()
    thread.join(timeout=10)
    assert run.status is not None
    assert run.status != 0
    with pytest.raises(SystemExit) as exit_info:
        stacks._exit_on_term(15, None)
    assert exit_info.value.code == 143


def test_a_throw_away_stack_is_purged_once_as_its_share_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporal_acceptance.core.shares import Share

    purged: list[Path] = []
    monkeypatch.setattr(stacks, "tear_down", lambda s, say: purged.append(s.state_dir))
    run = _share_run(tmp_path, monkeypatch, "raise SystemExit(1)")
    (run.settings.state_dir / "logs").mkdir(parents=True)
    (run.settings.state_dir / "logs" / "temporal.log").write_text("why\n")
    run.start().join(timeout=20)
    assert purged == [run.settings.state_dir]  # by its own thread, when its behave ended
    assert (run.folder / "logs" / "temporal.log").read_text() == "why\n"  # it failed: kept
    run.retire()  # the run's end asks again: nothing more
    assert purged == [run.settings.state_dir]
    own = stacks.ShareRun(Share(0), run.settings, [], sys.stdout)
    own.retire()  # the run's own stack stays up
    assert purged == [run.settings.state_dir]
