"""The ephemeral-postgres mutant: off by default, a fresh data directory at every PostgreSQL
start, only in a directory of its own that it marks, and the real data back when it is off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.run import Run
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.mutants import CATALOGUE, parse_mutant
from temporal_acceptance.stack.native.mutant import MARKER, EphemeralPostgresData
from temporal_acceptance.stack.native.stack import NativeStack


def native(tmp_path: Path) -> NativeStack:
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    stack = NativeStack(settings, say=lambda line: None, env={})
    # The boundary: no real processes, ports or databases in a unit test.
    stack._check_ports = lambda service: None  # type: ignore[method-assign]
    stack._run_as = lambda: None  # type: ignore[method-assign]
    stack._ensure_databases = lambda password: None  # type: ignore[method-assign]
    stack.postgres.initialise = lambda password, run_as: True  # type: ignore[method-assign]
    stack.postgres.start = lambda password, run_as, timeout=60.0: None  # type: ignore[method-assign]
    return stack


def test_only_known_mutants_of_the_target_are_accepted() -> None:
    assert parse_mutant(" Ephemeral-Postgres ", "native").name == "ephemeral-postgres"
    with pytest.raises(UserError, match="no mutant 'wipe-everything' — use one of: "):
        parse_mutant("wipe-everything", "native")
    with pytest.raises(UserError, match="the external target has no mutant"):
        parse_mutant("ephemeral-postgres", "external")


def test_every_mutant_names_its_gates_and_what_their_failure_says() -> None:
    for mutant in CATALOGUE:
        assert mutant.targets, mutant.name
        assert mutant.tags.strip(), mutant.name
        assert mutant.must_fail.strip(), mutant.name
        assert mutant.message.strip(), mutant.name


def test_every_postgres_start_gets_a_fresh_directory_beside_the_real_data(tmp_path: Path) -> None:
    stack = native(tmp_path)
    real = stack.postgres.data_dir
    assert real == stack.layout.pg_data
    assert stack.mutant == ""
    stack.enable_mutant("ephemeral-postgres")
    assert stack.mutant == "ephemeral-postgres"
    stack.start(Service.POSTGRES)
    fresh = stack.postgres.data_dir
    assert fresh != real
    assert not fresh.is_relative_to(real.parent)
    assert (fresh.parent / MARKER).is_file()
    fresh.mkdir(parents=True)
    (fresh / "PG_VERSION").write_text("16\n")
    stack.start(Service.POSTGRES)
    assert not (stack.postgres.data_dir / "PG_VERSION").exists()  # wiped at the start
    assert not real.exists()  # the real data directory was never touched


def test_switching_it_off_removes_its_directory_and_restores_the_real_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = native(tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(stack, "down", lambda purge=False: calls.append("down"))
    monkeypatch.setattr(stack, "up", lambda: calls.append("up"))
    stack.disable_mutant()
    assert calls == []  # no mutant, nothing to do
    stack.enable_mutant("ephemeral-postgres")
    stack.start(Service.POSTGRES)
    mutant_dir = stack.postgres.data_dir.parent
    stack.disable_mutant()
    assert calls == ["down", "up"]
    assert not mutant_dir.exists()
    assert stack.postgres.data_dir == stack.layout.pg_data
    assert stack.mutant == ""


def test_it_refuses_to_delete_a_directory_it_did_not_create(tmp_path: Path) -> None:
    data = EphemeralPostgresData(tmp_path)
    data.root.mkdir()
    (data.root / "precious").write_text("keep me")
    with pytest.raises(UserError, match="holds no CREATED-BY-THE-EPHEMERAL-POSTGRES-MUTANT"):
        data.fresh()
    assert (data.root / "precious").read_text() == "keep me"
    missing = EphemeralPostgresData(tmp_path / "nowhere")
    missing.remove()  # nothing there: nothing to do


def test_a_stack_without_mutants_says_so() -> None:
    stack: Any = RecordingStack()
    with pytest.raises(UserError, match="the fake target has no mutant 'x'"):
        Stack.enable_mutant(stack, "x")
    stack.mutant = "something"
    Stack.disable_mutant(stack)
    assert stack.mutant == ""


def test_the_run_switches_the_mutant_on_from_userdata(tmp_path: Path) -> None:
    userdata = {"state_dir": str(tmp_path / "state"), "mutant": "ephemeral-postgres"}
    run = Run.from_userdata(userdata)
    assert run.stack.mutant == "ephemeral-postgres"
    assert Run.from_userdata({"state_dir": str(tmp_path / "state")}).stack.mutant == ""
    with pytest.raises(UserError, match="the native target has no mutant 'nope'"):
        Run.from_userdata({"state_dir": str(tmp_path / "s"), "mutant": "nope"})


def test_data_left_by_an_interrupted_mutant_run_is_removed_on_the_next_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted = native(tmp_path)
    interrupted.enable_mutant("ephemeral-postgres")
    interrupted.start(Service.POSTGRES)  # ... and the run is killed before it switches it off
    leftover = interrupted.postgres.data_dir.parent
    stack = native(tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(stack, "stop", lambda service: calls.append(f"stop {service.value}"))
    monkeypatch.setattr(stack, "start", lambda service: calls.append(f"start {service.value}"))
    monkeypatch.setattr(stack, "binaries", lambda: None)
    stack.up()
    assert calls == ["stop ui", "stop temporal", "stop postgres",
                     "start postgres", "start temporal", "start ui"]  # fmt: skip
    assert not leftover.exists()
    assert stack.postgres.data_dir == stack.layout.pg_data
