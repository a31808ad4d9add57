"""The package's shape: one direction of dependency between its layers (the import-linter
contract of pyproject.toml, lazy imports included), no `assert` as a verdict inside it, and
no module over 400 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "temporal_acceptance"
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a copy of the package whose core imports the CLI is refused."""
    copy = tmp_path / "temporal_acceptance"
    subprocess.run(["cp", "-r", str(PACKAGE), str(copy)], check=True)
    (copy / "core" / "offender.py").write_text("from temporal_acceptance.cli import main\n")
    (tmp_path / "pyproject.toml").write_text((PACKAGE.parent / "pyproject.toml").read_text())
    lint = Path(sys.executable).with_name("lint-imports")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(lint), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "temporal_acceptance.core.offender -> temporal_acceptance.cli" in result.stdout


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_assert_inside_the_package(path: Path) -> None:
    """A check returns its problems; steps fail through core.verdict.expect."""
    asserts = [n.lineno for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Assert)]
    assert not asserts, f"{path.name} asserts on lines {asserts}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines"
