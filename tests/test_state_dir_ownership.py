"""Only ever delete what the suite created: the state directory's ownership marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack.ownership import MARKER, claim, owned, purge_state_dir


def test_claim_creates_a_marked_directory(tmp_path: Path) -> None:
    root = tmp_path / "a" / "state"
    claim(root)
    assert (root / MARKER).is_file()
    assert owned(root)


def test_claim_marks_an_empty_directory(tmp_path: Path) -> None:
    claim(tmp_path)
    assert (tmp_path / MARKER).is_file()


def test_claim_refuses_a_foreign_directory_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("years")
    with pytest.raises(UserError, match=r"not empty and was not created .* thesis\.tex"):
        claim(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_a_directory_of_an_older_suite_is_adopted(tmp_path: Path) -> None:
    (tmp_path / "postgres").mkdir()
    (tmp_path / "stack.json").write_text("{}")
    assert owned(tmp_path)
    claim(tmp_path)
    assert (tmp_path / MARKER).is_file()


def test_purge_removes_own_entries_and_keeps_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "state"
    claim(root)
    (root / "postgres" / "data").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "stack.json").write_text("{}")
    (root / "user-notes.txt").write_text("mine")
    said: list[str] = []
    outcome = purge_state_dir(root, said.append)
    assert sorted(outcome.removed) == ["logs", "postgres", "stack.json"]
    assert outcome.kept == ["user-notes.txt"]
    assert sorted(p.name for p in root.iterdir()) == [MARKER, "user-notes.txt"]
    assert "kept user-notes.txt (not created by the suite)" in said[0]


def test_purge_removes_the_directory_once_empty(tmp_path: Path) -> None:
    root = tmp_path / "state"
    claim(root)
    (root / "secrets").mkdir()
    purge_state_dir(root, lambda _: None)
    assert not root.exists()


def test_purge_refuses_an_unmarked_directory(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "photos").mkdir()
    with pytest.raises(UserError, match="refusing to delete anything"):
        purge_state_dir(tmp_path, lambda _: None)
    assert (tmp_path / "secrets").is_dir()


def test_purge_of_a_missing_directory_says_so(tmp_path: Path) -> None:
    said: list[str] = []
    purge_state_dir(tmp_path / "gone", said.append)
    assert said == [f"nothing to delete: {tmp_path / 'gone'} does not exist"]


def test_state_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        claim(path)
