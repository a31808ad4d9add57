"""Least privilege on a real PostgreSQL: the roles a native deployment has, the gate that
sees a superuser, the listener gate on real processes, and the adoption of a state directory
an earlier version wrote (Temporal's role its superuser) without losing a row."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from temporal_acceptance.checks import security
from temporal_acceptance.clients.endpoints import PostgresAddress
from temporal_acceptance.clients.postgres import QueryLog, connect
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.probes.datastores import read_datastore, read_datastores
from temporal_acceptance.probes.listeners import read_listeners
from temporal_acceptance.probes.privileges import read_privileges
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.native.postgres import service_account
from temporal_acceptance.stack.native.roles import drop_mutant_database, ensure_roles
from temporal_acceptance.stack.native.stack import NativeStack

from .conftest import free_ports

pytestmark = pytest.mark.integration


def test_temporal_runs_with_least_privilege_and_every_listener_on_loopback(
    native_stack: NativeStack,
) -> None:
    reading = read_privileges(native_stack.endpoints(), QueryLog())
    assert security.attribute_problems(reading, "temporal") == []
    assert security.alter_system_problems(reading) == []
    assert security.reach_problems(reading) == []
    listeners = read_listeners(native_stack, ["postgres", "temporal", "ui"])
    assert security.listening_problems(listeners) == []
    assert len(listeners.by_service["temporal"]) >= 5  # frontend, roles, membership ports
    assert set(native_stack.secrets()) == {
        "Temporal's PostgreSQL password",
        "the PostgreSQL admin password",
        "the application role's password",
    }
    config = native_stack.layout.temporal_config.read_text()
    assert native_stack.layout.secret("admin-password").reveal() not in config


def test_the_datastores_are_read_with_the_servers_own_password(native_stack: NativeStack) -> None:
    readings = read_datastores(native_stack)
    assert [(r.store.role, r.store.database, r.error) for r in readings] == [
        ("default", "temporal", ""),
        ("visibility", "temporal_visibility", ""),
    ]
    expected = native_stack.expected_schema()
    assert [r.schema_version for r in readings] == [expected.temporal, expected.visibility]
    store = readings[0].store
    wrong = read_datastore(replace(store, password=Secret("not-the-servers-password")))
    assert "password authentication failed" in wrong.error
    assert "not-the-servers-password" not in wrong.error
    assert read_datastore(replace(store, password=None)).error == (
        "the configuration holds no password for it"
    )


def test_the_wrong_visibility_database_exists_only_while_its_mutant_does(
    native_stack: NativeStack,
) -> None:
    admin = native_stack.access.login("postgres")
    plan = native_stack.access.plan(admin, "visibility-wrong-database")
    try:
        ensure_roles(plan)
        reading = read_privileges(native_stack.endpoints(), QueryLog())
        assert "temporal_visibility_old" in reading.connectable
        with connect(admin, "postgres") as conn:
            conn.execute("create database not_the_mutants")
        assert not drop_mutant_database(admin, "not_the_mutants")  # no mutant's comment
        with connect(admin, "postgres") as conn:
            conn.execute("drop database not_the_mutants")
    finally:
        assert drop_mutant_database(admin, "temporal_visibility_old")
    assert not drop_mutant_database(admin, "temporal_visibility_old")
    clean = read_privileges(native_stack.endpoints(), QueryLog())
    assert security.reach_problems(clean) == []


def test_the_gate_sees_temporals_role_made_a_superuser(native_stack: NativeStack) -> None:
    admin = native_stack.access.login("postgres")
    plan = native_stack.access.plan(admin)
    try:
        ensure_roles(type(plan)(**{**plan.__dict__, "temporal_superuser": True}))
        reading = read_privileges(native_stack.endpoints(), QueryLog())
        assert security.attribute_problems(reading, "temporal")[0].startswith(
            "temporal is a superuser"
        )
        assert security.alter_system_problems(reading) != []
        assert security.reach_problems(reading) != []
    finally:
        ensure_roles(plan)
    clean = read_privileges(native_stack.endpoints(), QueryLog())
    assert security.attribute_problems(clean, "temporal") == []


@pytest.fixture
def legacy_state() -> Iterator[Path]:
    state = Path(tempfile.mkdtemp(prefix="tacc-it-legacy-", dir="/var/tmp"))
    state.chmod(0o755)
    try:
        yield state
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_an_earlier_versions_state_directory_is_adopted_not_wiped(legacy_state: Path) -> None:
    settings = Settings.load({**free_ports(), "state_dir": str(legacy_state)}, env={})
    run_as = service_account()
    # What an earlier version left: initdb's superuser is Temporal's role; one secret file.
    legacy = NativeStack(settings, say=lambda line: None)
    legacy.layout.create()
    password = legacy.layout.ensure_password()
    legacy.postgres.user = "temporal"
    legacy.postgres.initialise(password, run_as)
    legacy.postgres.start(run_as)
    login = PostgresAddress("127.0.0.1", settings.postgres_port, "temporal", password)
    try:
        legacy.postgres.wait_ready(login, legacy.layout.password_file, 60.0)
        with connect(login, "postgres") as conn:
            conn.execute("create database temporal")
        with connect(login, "temporal") as conn:
            conn.execute("create table kept (note text)")
            conn.execute("insert into kept values ('written by an earlier version')")
    finally:
        legacy.postgres.stop()
    said: list[str] = []
    stack = NativeStack(settings, say=said.append)
    try:
        stack.start(Service.POSTGRES)
        assert any("adopting an earlier version's deployment" in line for line in said)
        assert stack.layout.has_secret("admin-password")
        with connect(stack.endpoints(), "temporal") as conn:
            assert conn.execute("select note from kept").fetchall() == [
                ("written by an earlier version",)
            ]
            owner = conn.execute("select tableowner from pg_tables where tablename = 'kept'")
            assert owner.fetchone() == ("temporal",)
        reading = read_privileges(stack.endpoints(), QueryLog())
        assert security.attribute_problems(reading, "temporal") == []
        said.clear()
        stack.stop(Service.POSTGRES)
        stack.start(Service.POSTGRES)  # a second start has nothing left to adopt
        assert not any("adopting" in line for line in said)
    finally:
        stack.down(purge=True)
