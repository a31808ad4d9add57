"""The ephemeral-postgres mutant: off by default, a fresh data directory at every PostgreSQL
start, only in a directory of its own that it marks, and the real data back when it is off."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.run import Run
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.mutants import CATALOGUE, MUTANTS, parse_mutant
from temporal_acceptance.stack.native import seeded
from temporal_acceptance.stack.native.mutant import MARKER, EphemeralPostgresData
from temporal_acceptance.stack.native.postgres import postgres_conf
from temporal_acceptance.stack.native.stack import NativeStack


def native(tmp_path: Path) -> NativeStack:
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    stack = NativeStack(settings, say=lambda line: None, env={})
    # The boundary: no real processes, ports or databases in a unit test.
    stack._check_ports = lambda service: None  # type: ignore[method-assign]
    stack._run_as = lambda: None  # type: ignore[method-assign]
    stack._settle_roles = lambda timeout: None  # type: ignore[method-assign]
    stack.postgres.initialise = lambda password, run_as: True  # type: ignore[method-assign]
    stack.postgres.start = lambda run_as: None  # type: ignore[method-assign]
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


# ---------------------------------------------------------------- the security mutants


def test_every_mutant_message_matches_the_failure_its_gate_gives() -> None:
    """Each mutant's message pattern matches the sentence its gate really writes."""
    import re

    from temporal_acceptance.checks import security
    from temporal_acceptance.checks.deployment import datastore_problems, refusal_problems
    from temporal_acceptance.clients.endpoints import DataStore
    from temporal_acceptance.clients.postgres import ConnectionOutcome
    from temporal_acceptance.core.ports import Listener
    from temporal_acceptance.probes.datastores import DatastoreReading
    from temporal_acceptance.probes.leaks import Leak
    from temporal_acceptance.probes.privileges import PrivilegeReading

    wrong = DataStore("postgres-visibility", "h", 1, "temporal_visibility_old", "t", "visibility")
    sentences = {
        "trust-auth": refusal_problems(ConnectionOutcome(True, "16.4")),
        "postgres-any-address": security.listener_problems(
            "postgres", [Listener("tcp", "::", 5432, 9)]
        ),
        "frontend-any-address": security.listener_problems(
            "temporal", [Listener("tcp", "0.0.0.0", 7233, 9)]
        ),
        "temporal-superuser": security.attribute_problems(
            PrivilegeReading(role="temporal", superuser=True), "temporal"
        ),
        "visibility-wrong-database": datastore_problems(
            [DatastoreReading(wrong, "", "1.13")], "visibility", "temporal_visibility", "1.13"
        ),
        "password-in-log": security.leak_problems(
            [Leak("/s/logs/deploy.log", 3, "Temporal's PostgreSQL password", "clear text")], 1
        ),
    }
    for name, problems in sentences.items():
        message = "\n".join(problems)
        assert re.search(MUTANTS[name].message, message), (name, message)


def test_listen_everywhere_mutants_run_only_where_loopback_is_all_there_is(
    tmp_path: Path,
) -> None:
    stack = native(tmp_path)
    stack.interfaces = lambda: ["eth0", "lo"]
    with pytest.raises(UserError, match="interfaces eth0, lo: it would bind a real host address"):
        stack.enable_mutant("postgres-any-address")
    assert stack.mutant == ""
    assert stack.postgres.listen_override is None
    stack.interfaces = lambda: ["lo"]
    stack.enable_mutant("postgres-any-address")
    assert stack.postgres.listen_override == "*"
    assert "listen_addresses = '*'" in postgres_conf(
        5432, "127.0.0.1", listen=stack.postgres.listen_override
    )
    other = native(tmp_path)
    other.interfaces = lambda: ["lo"]
    other.enable_mutant("frontend-any-address")
    assert other.temporal.frontend_bind == "0.0.0.0"
    assert MUTANTS["frontend-any-address"].isolated
    assert not MUTANTS["trust-auth"].isolated


def test_trust_auth_points_postgres_at_an_hba_file_of_its_own(tmp_path: Path) -> None:
    stack = native(tmp_path)
    stack.enable_mutant("trust-auth")
    stack.start(Service.POSTGRES)
    hba = stack.postgres.hba_file_override
    assert hba is not None
    assert hba.parent == tmp_path / "state" / "mutant-trust-auth"
    assert "host all all 127.0.0.1/32 trust" in hba.read_text()
    conf = postgres_conf(5432, "127.0.0.1", None, hba)
    assert f"hba_file = '{hba}'" in conf
    assert not (stack.layout.pg_data / "pg_hba.conf").exists()  # the real one is untouched


def test_switching_a_mutant_off_restores_the_real_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = native(tmp_path)
    stack.interfaces = lambda: ["lo"]
    calls: list[str] = []
    monkeypatch.setattr(stack, "down", lambda purge=False: calls.append("down"))
    monkeypatch.setattr(stack, "up", lambda: calls.append("up"))
    stack.enable_mutant("trust-auth")
    stack.start(Service.POSTGRES)
    seeded.seed(seeded.FRONTEND_ANY_ADDRESS, stack.postgres, stack.temporal)
    seeded.seed(seeded.VISIBILITY_WRONG_DATABASE, stack.postgres, stack.temporal)
    stack.disable_mutant()
    assert calls == ["down", "up"]
    assert stack.postgres.hba_file_override is None
    assert stack.temporal.frontend_bind is None
    assert stack.temporal.visibility_database == "temporal_visibility"
    assert not (tmp_path / "state" / "mutant-trust-auth").exists()
    assert stack.mutant == ""


def test_a_mutant_directory_it_did_not_create_is_kept(tmp_path: Path) -> None:
    files = seeded.MutantFiles(tmp_path, "trust-auth")
    files.root.mkdir()
    (files.root / "mine").write_text("keep")
    with pytest.raises(UserError, match="holds no CREATED-BY-A-TEMPORAL-ACCEPTANCE-MUTANT"):
        files.remove()
    assert (files.root / "mine").read_text() == "keep"


def test_role_mutants_reach_the_role_plan(tmp_path: Path) -> None:
    stack = native(tmp_path)
    stack.layout.create()
    stack.layout.ensure_password()
    stack.layout.ensure_secret("app-password")
    stack.layout.ensure_secret("admin-password")
    admin = stack.access.login("postgres")
    assert admin.user == "postgres"
    assert not stack.access.plan(admin, stack.mutant).temporal_superuser
    stack.enable_mutant("temporal-superuser")
    assert stack.access.plan(admin, stack.mutant).temporal_superuser
    other = native(tmp_path)
    other.enable_mutant("visibility-wrong-database")
    plan = other.access.plan(admin, other.mutant)
    assert plan.owners()["temporal_visibility_old"] == "temporal"
    assert other.temporal.visibility_database == "temporal_visibility_old"


def test_the_password_in_log_mutant_writes_the_dsn_before_temporal_starts(
    tmp_path: Path,
) -> None:
    stack = native(tmp_path)
    stack.layout.create()
    password = stack.layout.ensure_password()
    stack.binaries = lambda: SimpleNamespace(schema=None)  # type: ignore[method-assign]
    stack.temporal.ensure_schema = lambda password, schema, migrate=True: []  # type: ignore[method-assign]
    started: list[str] = []
    stack.temporal.start = lambda password: started.append("temporal")  # type: ignore[method-assign]
    stack.start(Service.TEMPORAL)
    deploy_log = stack.layout.logs_dir / "deploy.log"
    assert not deploy_log.exists()
    stack.enable_mutant("password-in-log")
    stack.start(Service.TEMPORAL)
    assert deploy_log in stack.log_files()  # what the secrets gate reads
    header, line = deploy_log.read_text().splitlines()
    assert header == seeded.DEPLOY_LOG_HEADER
    assert f"postgresql://temporal:{password.reveal()}@127.0.0.1:55432/temporal" in line
    assert json.loads(line)["level"] == "info"
    assert started == ["temporal", "temporal"]
    seeded.unseed(stack.layout.root, stack.postgres, stack.temporal)
    assert deploy_log.exists()  # the secrets gate reads it after the mutant is switched off


def test_a_mutant_restarts_a_running_stack_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = native(tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(stack, "stop", lambda service: calls.append(f"stop {service.value}"))
    monkeypatch.setattr(stack, "start", lambda service: calls.append(f"start {service.value}"))
    monkeypatch.setattr(stack, "binaries", lambda: None)
    monkeypatch.setattr(stack, "_process", lambda service: SimpleNamespace(running=lambda: True))
    stack.enable_mutant("temporal-superuser")
    stack.up()
    assert calls[:3] == ["stop ui", "stop temporal", "stop postgres"]
    calls.clear()
    stack.up()  # a later up (a persistence cleanup) restarts nothing
    assert calls == ["start postgres", "start temporal", "start ui"]
