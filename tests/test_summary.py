from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from temporal_acceptance.reporting.summary import main

JUNIT = """<?xml version="1.0"?>
<testsuite name="s">
  <testcase classname="deployment" name="ok one"/>
  <testcase classname="deployment" name="ok two"/>
  <testcase classname="deployment" name="broken"><failure message="boom"/></testcase>
  <testcase classname="deployment" name="err"><error message="x"/></testcase>
  <testcase classname="deployment" name="skip"><skipped/></testcase>
</testsuite>
"""


def test_counts_cases_and_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.xml").write_text(JUNIT)
    assert main([str(tmp_path), "--gate", "ruff=0", "--gate", "mypy=1"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 passed, 3 failed, 1 skipped"
    assert "FAILED gate mypy (exit 1)" in out
    assert "FAILED deployment::broken" in out
    assert out[out.index("FAILED deployment::broken") + 1] == "    boom"


def test_failure_reasons_are_shortened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = "\n".join(f"line {n}" for n in range(10)) + "\n" + "x" * 500
    case = ET.Element("testcase", classname="p", name="n")
    ET.SubElement(case, "error").text = message
    suite = ET.Element("testsuite")
    suite.append(case)
    ET.ElementTree(suite).write(tmp_path / "a.xml")
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    start = out.index("FAILED p::n")
    assert out[start + 1 : start + 8] == [
        *(f"    line {n}" for n in range(6)),
        "    ... (5 more lines)",
    ]


def test_all_green(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.xml").write_text('<testsuite><testcase classname="c" name="n"/></testsuite>')
    assert main([str(tmp_path), "--gate", "ruff=0"]) == 0
    assert capsys.readouterr().out.strip() == "2 passed, 0 failed, 0 skipped"


def test_no_results_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 1
    assert "no results" in capsys.readouterr().out


def test_tallies_are_saved_and_combined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "native").mkdir()
    (tmp_path / "native" / "a.xml").write_text(JUNIT)
    assert main([str(tmp_path / "native"), "--save", str(tmp_path / "t1.json")]) == 1
    (tmp_path / "compose").mkdir()
    (tmp_path / "compose" / "b.xml").write_text('<testsuite><testcase name="n"/></testsuite>')
    assert (
        main([str(tmp_path / "compose"), "--gate", "x=0", "--save", str(tmp_path / "t2.json")]) == 0
    )
    capsys.readouterr()
    assert main(["--combine", str(tmp_path / "t1.json"), str(tmp_path / "t2.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "4 passed, 2 failed, 1 skipped"
    assert "FAILED deployment::broken" in out


def test_needs_a_folder_or_combine(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([])
    assert "give a JUnit folder or --combine" in capsys.readouterr().err
