"""`make mutation`: which runs it plans, how each run is judged (caught by the gate meant for
it, with its message; the clean stack passes), and the catch table it writes."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from temporal_acceptance.cli import mutation as runner
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.reporting.mutation import (
    BEGIN,
    END,
    RunResult,
    ScenarioResult,
    catch_table,
    clean_problems,
    judge,
    read_junit,
    write_table,
)
from temporal_acceptance.stack.mutants import CATALOGUE, MUTANTS, Mutant

MUTANT = Mutant("m", "a defect", ("native",), "@phase2", r"The tables .* present", r"missing")
TABLES = "The tables Temporal needs are present"


def run(*scenarios: ScenarioResult, error: str = "") -> RunResult:
    return RunResult("m", "@phase2", 1, list(scenarios), error)


def test_caught_by_its_gate_with_its_message() -> None:
    verdict = judge(MUTANT, run(ScenarioResult(TABLES, "failed", "tables missing: x\nmore")))
    assert verdict.caught
    assert verdict.message() == "tables missing: x"
    listed = ScenarioResult(TABLES, "failed", "the deployment:\n- tables missing: y\n- z")
    assert listed.first_line == "the deployment: tables missing: y"


def test_a_survivor_an_unrelated_catch_and_a_wrong_message_are_not_caught() -> None:
    survived = judge(MUTANT, run(ScenarioResult(TABLES, "passed")))
    assert survived.problems == [f"{TABLES!r} passed: it survived"]
    unrelated = judge(
        MUTANT, run(ScenarioResult(TABLES, "passed"), ScenarioResult("Other", "failed", "x"))
    )
    assert unrelated.problems == [f"{TABLES!r} passed: only ['Other'] failed (unrelated gates)"]
    assert unrelated.message() == "x"
    wrong = judge(MUTANT, run(ScenarioResult(TABLES, "error", "Traceback\nKeyError: boom")))
    assert wrong.problems == [
        f"{TABLES!r} failed, but its message does not match 'missing': KeyError: boom"
    ]
    nothing = judge(MUTANT, run(ScenarioResult("Other", "passed")))
    assert nothing.problems[0].startswith("no scenario of '@phase2' matches")
    broken = judge(MUTANT, run(error="error: port 1 is already in use"))
    assert broken.problems == [
        "the run did not reach its scenarios: error: port 1 is already in use"
    ]
    assert broken.message() == "error: port 1 is already in use"


def test_the_clean_stack_must_pass_the_same_tags() -> None:
    def clean(*scenarios: ScenarioResult, code: int = 0, error: str = "", console: str = "") -> Any:
        return RunResult("clean", "@phase2", code, list(scenarios), error, console=console)

    assert clean_problems(clean(ScenarioResult(TABLES, "passed"))) == []
    flaky = clean(
        ScenarioResult(TABLES, "failed", "ASSERT FAILED: flaky"),
        ScenarioResult("b", "passed"),
        code=1,
    )
    assert clean_problems(flaky) == [
        f"clean stack, '@phase2': {TABLES!r} failed (a false alarm): flaky"
    ]
    assert clean_problems(clean()) == ["clean stack, '@phase2': no scenario passed"]
    assert clean_problems(clean(error="error: x", code=2)) == [
        "clean stack, '@phase2': the run did not reach its scenarios: error: x"
    ]
    leaked = clean(ScenarioResult(TABLES, "passed"), code=1, console="  LEAK the password in x")
    assert clean_problems(leaked) == [
        "clean stack, '@phase2': the run failed (exit 1): LEAK the password in x"
    ]


def test_the_secrets_gate_is_a_run_wide_gate_judged_from_the_console() -> None:
    leak = MUTANTS["password-in-log"]
    console = (
        "secrets gate: 1 leak\n  LEAK Temporal's PostgreSQL password appears in "
        "/s/logs/deploy.log line 2 (clear text)\n"
    )
    caught = judge(leak, RunResult("password-in-log", leak.tags, 1, [], console=console))
    assert caught.caught
    assert caught.message().startswith("LEAK Temporal's PostgreSQL password appears in")
    survived = judge(leak, RunResult("password-in-log", leak.tags, 0, []))
    assert survived.problems == ["the run's secrets gate: the run passed (exit 0): it survived"]
    other = judge(leak, RunResult("password-in-log", leak.tags, 1, [], console="LEAK elsewhere"))
    assert other.problems[0].startswith("the run's secrets gate: no console line matches")


def test_the_catch_table_replaces_only_its_part_of_the_doc(tmp_path: Path) -> None:
    verdicts = [
        judge(MUTANT, run(ScenarioResult(TABLES, "failed", "tables missing: a|b"))),
        judge(MUTANT, run(ScenarioResult(TABLES, "passed"))),
    ]
    clean = RunResult("clean", "@phase2", 0, [ScenarioResult(TABLES, "passed")], seconds=12.4)
    table = catch_table(verdicts, [clean])
    assert f"| `m` | {TABLES} | yes | tables missing: a\\|b |" in table
    assert "| **NO** — 'The tables Temporal needs are present' passed: it survived |" in table
    assert "| `@phase2` | 1 | 1 | 0 | 0 | 12 s |" in table
    isolated = replace(clean, label="clean-isolated")
    assert "| `@phase2` in a network namespace of its own |" in catch_table([], [isolated])
    doc = tmp_path / "MUTANTS.md"
    doc.write_text(f"# Mutants\n\nhand-written\n\n{BEGIN}\nold\n{END}\n\n## by hand\n")
    write_table(doc, table, "footer")
    text = doc.read_text()
    assert "old" not in text
    assert text.startswith("# Mutants\n\nhand-written\n")
    assert text.endswith(f"footer\n{END}\n\n## by hand\n")
    fresh = tmp_path / "new.md"
    write_table(fresh, "T", "F")
    assert fresh.read_text() == f"# Mutants\n\n{BEGIN}\nT\nF\n{END}\n"


def test_junit_results_are_read_as_scenarios(tmp_path: Path) -> None:
    (tmp_path / "TESTS-x.xml").write_text(
        '<testsuite><testcase name="a" status="passed"/>'
        '<testcase name="b" status="failed"><failure message="the gate: why">text'
        '</failure></testcase><testcase name="c" status="skipped"><skipped/></testcase>'
        '<testcase name="d"><error message="boom"/></testcase></testsuite>'
    )
    assert read_junit(tmp_path) == [
        ScenarioResult("a", "passed"),
        ScenarioResult("b", "failed", "the gate: why\ntext"),
        ScenarioResult("c", "skipped"),
        ScenarioResult("d", "error", "boom"),
    ]


def test_the_plan_is_each_mutant_then_one_clean_run_per_tag_set() -> None:
    chosen = runner.select("native", False, "")
    assert chosen == [m for m in CATALOGUE if "native" in m.targets]
    plan = runner.plan(chosen)
    assert [p.label for p in plan[: len(chosen)]] == [m.name for m in chosen]
    cleans = plan[len(chosen) :]
    assert {(p.tags, p.isolated) for p in cleans} == {(m.tags, m.isolated) for m in chosen}
    assert len(cleans) == len({(m.tags, m.isolated) for m in chosen})
    assert all(p.label.startswith("clean") and p.mutant is None for p in cleans)
    assert {p.label for p in cleans if p.isolated} == {"clean-isolated"}
    assert runner.select("native", True, "") == [m for m in chosen if m.in_check]
    assert runner.select("native", False, "table-missing") == [MUTANTS["table-missing"]]
    with pytest.raises(UserError, match="no mutant nope for the native target"):
        runner.select("native", False, "nope")
    with pytest.raises(UserError, match="the external target has no mutant to run"):
        runner.select("external", False, "")


def test_each_slot_has_its_own_ports_and_state(tmp_path: Path) -> None:
    base = Settings.load({"state_dir": str(tmp_path / "s")}, env={})
    ports = runner.parse_ports("29033,57700,27500")
    first = runner.slot_settings(base, tmp_path, ports, 0, "m")
    second = runner.slot_settings(base, tmp_path, ports, 1, "m")
    assert (first.temporal_port, first.postgres_port, first.ui_port) == (29033, 57700, 27500)
    assert (second.temporal_port, second.postgres_port, second.ui_port) == (29433, 57701, 27501)
    assert first.state_dir.parent == tmp_path
    assert first.state_dir != second.state_dir
    env = runner.environment(second)
    assert env["TACC_TEMPORAL_PORT"] == "29433"
    assert env["TACC_STATE_DIR"] == str(second.state_dir)
    with pytest.raises(UserError, match="is not three port numbers"):
        runner.parse_ports("1,2")
    with pytest.raises(UserError, match="out of range"):
        runner.slot_settings(base, tmp_path, (33000, 1, 1), 1, "m")


def test_a_mutant_run_asks_behave_for_its_tags_and_mutant() -> None:
    plan = runner.plan([MUTANTS["table-missing"]])
    argv = runner.behave_argv(plan[0], Path("out"))
    assert "--tags=@phase2 and not @ui" in argv
    assert argv[-2:] == ["-D", "mutant=table-missing"]
    assert "mutant=" not in " ".join(runner.behave_argv(plan[1], Path("out")))


def test_the_runner_refuses_bad_counts() -> None:
    args = argparse.Namespace(jobs=0, target="native", check_only=False, mutants="", ports="")
    with pytest.raises(UserError, match="--jobs 0 is not a count"):
        runner.run_mutation(args, Settings())


def test_a_full_run_judges_every_run_and_writes_the_doc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, reports = tmp_path / "MUTANTS.md", tmp_path / "reports"
    monkeypatch.setattr(runner, "DOC", doc)
    monkeypatch.setattr(runner, "REPORTS", reports)
    ran: list[tuple[str, int]] = []

    def fake_execute(planned: Any, settings: Settings, out: Path, say: Any) -> RunResult:
        ran.append((planned.label, settings.temporal_port))
        if planned.mutant is None:
            return RunResult("clean", planned.tags, 0, [ScenarioResult("x", "passed")])
        name = next(m for m in CATALOGUE if m.name == planned.label).must_fail
        caught = planned.label != "late-timer"  # this one "survives"
        status = "failed" if caught else "passed"
        message = "the message" if caught else ""
        return RunResult(planned.label, planned.tags, 1, [ScenarioResult(name, status, message)])

    monkeypatch.setattr(runner, "execute", fake_execute)
    monkeypatch.setattr(runner, "judge", lambda m, r: judge(replace(m, message="message"), r))
    said: list[str] = []
    base = Settings.load({"state_dir": str(tmp_path / "s")}, env={})
    args = argparse.Namespace(
        jobs=2, target="native", check_only=False, mutants="", ports="29033,57700,27500",
        state_root=str(tmp_path / "root"),
    )  # fmt: skip
    assert runner.run_mutation(args, base, said.append) == 1  # late-timer survived
    assert {port for _, port in ran} <= {29033, 29433}
    text = doc.read_text()
    assert "| `late-timer` |" in text
    assert "**NO**" in text
    assert any(line.startswith("FAILED late-timer:") for line in said)
    assert (reports / "catch-table.md").is_file()
    subset = argparse.Namespace(**{**vars(args), "mutants": "table-missing", "jobs": 1})
    doc.write_text("kept")
    assert runner.run_mutation(subset, base, said.append) == 0
    assert doc.read_text() == "kept"  # a subset never rewrites the doc
