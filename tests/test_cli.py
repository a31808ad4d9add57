"""The CLI on bad input: one line naming the problem and the fix, exit 2, no traceback,
nothing deleted. Runs in-process with fake binaries and private state/ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance import cli


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
    from temporal_acceptance.errors import UserError

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
    assert "data deleted" in capsys.readouterr().err


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
    assert "does not look like a temporal-acceptance state directory" in _one_error_line(capsys)
    assert (foreign / "thesis.tex").exists()


def test_status_of_a_stopped_stack(
    isolated_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(["status"], isolated_env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert out.count("down — not running") == 3
