"""The CLI on bad input: one line naming the problem and the fix, exit 2, no traceback,
nothing deleted. Runs in-process with fake binaries and private state/ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.cli import main as cli


def _run(argv: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> int:
    for key in [k for k in __import__("os").environ if k.startswith("TACC_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cli.main(argv)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    assert err[0].startswith("error: ")
    return err[0]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--target", "kubernetes"], "unknown target 'kubernetes' — use one of: native"),
        (["--postgres-version", "sixteen"], "PostgreSQL major version 'sixteen' is not a number"),
        (["--postgres-version", "21"], "outside the range the suite can provision (12–18)"),
        (["--temporal-version", "1.30"], "is not of the form X.Y.Z"),
        (["--ui-port", "80800"], "is not a TCP port"),
    ],
)
def test_bad_settings(
    flags: list[str],
    expected: str,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(["up", *flags], isolated_env, monkeypatch) == 2
    assert expected in _one_error_line(capsys)


def test_taken_port_names_the_port_and_owner(
    held_port: int,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolated_env["TACC_POSTGRES_PORT"] = str(held_port)
    assert _run(["up"], isolated_env, monkeypatch) == 2
    line = _one_error_line(capsys)
    assert f"port {held_port} on 127.0.0.1 (PostgreSQL) is already in use by pid" in line
    assert "TACC_POSTGRES_PORT" in line


def test_go_missing_with_nothing_cached(
    tmp_path: Path,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del isolated_env["TACC_TEMPORAL_SERVER_BIN"]
    isolated_env["PATH"] = str(tmp_path / "empty-path")
    assert _run(["up"], isolated_env, monkeypatch) == 2
    line = _one_error_line(capsys)
    assert "Go is not installed and temporal-server" in line
    assert "install Go" in line


def test_state_of_another_major_is_refused_and_kept(
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = Path(isolated_env["TACC_STATE_DIR"]) / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    (data / "precious").write_text("history")
    assert _run(["up"], isolated_env, monkeypatch) == 2
    line = _one_error_line(capsys)
    assert "holds PostgreSQL 15 data, but PostgreSQL 16 was requested" in line
    assert "postgres_version=15" in line
    assert (data / "precious").read_text() == "history"


def test_debug_shows_the_traceback(
    isolated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporal_acceptance.core.errors import UserError

    with pytest.raises(UserError):
        _run(["--debug", "up", "--target", "nope"], isolated_env, monkeypatch)


def test_down_keeps_data_and_purge_deletes_it(
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = Path(isolated_env["TACC_STATE_DIR"])
    data = state / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("16\n")
    assert _run(["down"], isolated_env, monkeypatch) == 0
    assert (data / "PG_VERSION").exists()
    assert "data kept" in capsys.readouterr().err
    assert _run(["down", "--purge"], isolated_env, monkeypatch) == 0
    assert not state.exists()
    assert f"deleted postgres from {state}" in capsys.readouterr().err


def test_purge_refuses_a_directory_that_is_not_ours(
    tmp_path: Path,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    foreign = tmp_path / "home-of-someone"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    isolated_env["TACC_STATE_DIR"] = str(foreign)
    assert _run(["down", "--purge"], isolated_env, monkeypatch) == 2
    assert "was not created by temporal-acceptance" in _one_error_line(capsys)
    assert (foreign / "thesis.tex").exists()


def test_config_then_purge_keeps_a_users_folder(
    tmp_path: Path,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The data-loss bug of issue 12: `config` used to create secrets/ in the folder, and
    `down --purge` then deleted the folder with the user's files in it."""
    folder = tmp_path / "my-files"
    folder.mkdir(mode=0o755)
    (folder / "notes.txt").write_text("mine")
    isolated_env["TACC_STATE_DIR"] = str(folder)
    for read_only in (["config"], ["status"], ["up", "--dry-run"]):
        _run(read_only, isolated_env, monkeypatch)
        assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"], read_only
        assert folder.stat().st_mode & 0o777 == 0o755, read_only
    capsys.readouterr()
    assert _run(["down", "--purge"], isolated_env, monkeypatch) == 2
    assert "refusing to delete anything" in _one_error_line(capsys)
    assert (folder / "notes.txt").read_text() == "mine"


def test_up_refuses_a_non_empty_folder_it_does_not_own(
    tmp_path: Path,
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "README").write_text("mine")
    isolated_env["TACC_STATE_DIR"] = str(folder)
    assert _run(["up"], isolated_env, monkeypatch) == 2
    line = _one_error_line(capsys)
    assert "is not empty and was not created by temporal-acceptance (it holds README)" in line
    assert sorted(p.name for p in folder.iterdir()) == ["README"]


def test_up_on_an_impossible_state_dir_is_one_line(
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolated_env["TACC_STATE_DIR"] = "/proc/no-such-place"
    assert _run(["up"], isolated_env, monkeypatch) == 2
    assert "cannot create the state directory /proc/no-such-place" in _one_error_line(capsys)


def test_status_of_a_stopped_stack(
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(["status"], isolated_env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert out.count("down — not running") == 3
