"""The native stack against real PostgreSQL, temporal-server and UI processes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from temporal_acceptance.clients import postgres as db
from temporal_acceptance.clients.endpoints import APP_DATABASE
from temporal_acceptance.clients.temporal import (
    connect,
    frontend_serving,
    list_namespaces,
    poller_identities,
    run_sync,
)
from temporal_acceptance.clients.ui_http import ui_healthy, ui_namespaces
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.probes import database as probes
from temporal_acceptance.stack.base import START_ORDER, Service
from temporal_acceptance.stack.native.stack import NativeStack

pytestmark = pytest.mark.integration


def test_every_service_is_healthy_and_up_again_is_harmless(native_stack: NativeStack) -> None:
    pids = {s: native_stack.status(s).pid for s in START_ORDER}
    assert all(native_stack.healthy(s) for s in START_ORDER)
    started = time.monotonic()
    native_stack.up()
    assert time.monotonic() - started < 10
    assert {s: native_stack.status(s).pid for s in START_ORDER} == pids  # nothing restarted


def test_checks_see_the_real_deployment(native_stack: NativeStack) -> None:
    endpoints = native_stack.endpoints()
    assert run_sync(lambda: frontend_serving(endpoints.temporal_address))
    with db.connect(endpoints, "temporal") as conn:
        expected = native_stack.expected_schema()
        assert set(expected.temporal_tables) <= probes.tables(conn)
        assert probes.schema_version(conn, "temporal") == expected.temporal
        assert {"frontend", "history", "matching", "worker"} <= set(probes.live_roles(conn))
        assert {"temporal", "temporal_visibility", APP_DATABASE} <= probes.databases(conn)
    assert ui_healthy(endpoints.ui_url)
    assert "default" in ui_namespaces(endpoints.ui_url)

    async def namespaces_and_pollers() -> tuple[list[str], list[str]]:
        client = await connect(endpoints.temporal_address, endpoints.namespace)
        return await list_namespaces(client), await poller_identities(
            client, endpoints.namespace, "nobody-polls-this-queue", "activity"
        )

    names, pollers = run_sync(namespaces_and_pollers)
    assert "default" in names
    assert pollers == []


def test_wrong_password_is_refused_clearly(native_stack: NativeStack) -> None:
    from temporal_acceptance.core.secrets import Secret

    outcome = db.try_connect(native_stack.endpoints(), "temporal", Secret("not-the-password"))
    assert not outcome.ok
    assert 'password authentication failed for user "temporal"' in outcome.error
    ok = db.try_connect(native_stack.endpoints(), "temporal")
    assert ok.ok
    assert ok.server_version.startswith(str(native_stack.settings.postgres_major))


def test_datastores_are_the_running_configuration(native_stack: NativeStack) -> None:
    stores = native_stack.datastores()
    assert [s.database for s in stores] == ["temporal", "temporal_visibility"]
    assert {s.port for s in stores} == {native_stack.settings.postgres_port}


def test_effective_config_is_redacted(native_stack: NativeStack) -> None:
    text = native_stack.config_text()
    assert native_stack.endpoints().postgres_password.reveal() not in text
    assert "***" in text
    assert str(native_stack.settings.postgres_port) in text
    config_file = native_stack.layout.temporal_config
    assert oct(config_file.stat().st_mode & 0o777) == "0o600"


def test_logs_by_time_window(native_stack: NativeStack) -> None:
    everything = native_stack.logs(Service.TEMPORAL)
    assert everything
    assert all(line.service == "temporal" for line in everything)
    future = datetime.now(UTC) + timedelta(hours=1)
    assert native_stack.logs(Service.TEMPORAL, since=future) == []
    assert native_stack.logs(Service.POSTGRES, until=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_ui_restart_and_crash_recovery(native_stack: NativeStack) -> None:
    native_stack.stop(Service.UI)
    status = native_stack.status(Service.UI)
    assert (status.running, status.healthy) == (False, False)
    native_stack.start(Service.UI)
    assert native_stack.healthy(Service.UI)
    native_stack.kill(Service.UI)
    assert not native_stack.status(Service.UI).running
    native_stack.restart(Service.UI)
    assert native_stack.healthy(Service.UI)


def test_temporal_restart_keeps_serving(native_stack: NativeStack) -> None:
    native_stack.restart(Service.TEMPORAL)
    assert native_stack.healthy(Service.TEMPORAL)


def test_postgres_data_survives_stop_and_start(native_stack: NativeStack) -> None:
    endpoints = native_stack.endpoints()
    with psycopg.connect(endpoints.conninfo(APP_DATABASE), autocommit=True) as conn:
        conn.execute("create table if not exists it_marker (note text)")
        conn.execute("insert into it_marker values ('kept across restarts')")
    native_stack.stop(Service.POSTGRES)
    assert not native_stack.healthy(Service.POSTGRES)
    native_stack.start(Service.POSTGRES)
    with psycopg.connect(endpoints.conninfo(APP_DATABASE)) as conn:
        notes = conn.execute("select note from it_marker").fetchall()
    assert ("kept across restarts",) in notes
    native_stack.start(Service.TEMPORAL)  # harmless when running; waits until serving
    assert native_stack.healthy(Service.TEMPORAL)


def test_password_mismatch_fails_fast_with_the_fix(native_stack: NativeStack) -> None:
    password_file = native_stack.layout.password_file
    original = password_file.read_text()
    native_stack.stop(Service.UI)
    native_stack.stop(Service.TEMPORAL)
    native_stack.stop(Service.POSTGRES)
    try:
        password_file.write_text("a-different-password\n")
        started = time.monotonic()
        with pytest.raises(UserError, match="PostgreSQL rejected the password") as info:
            native_stack.start(Service.POSTGRES)
        assert time.monotonic() - started < 30
        assert "down --purge" in info.value.fix
    finally:
        password_file.write_text(original)
    native_stack.up()
    assert all(native_stack.healthy(s) for s in START_ORDER)


def test_up_after_a_crash_of_everything_reuses_the_data(native_stack: NativeStack) -> None:
    endpoints = native_stack.endpoints()
    with psycopg.connect(endpoints.conninfo(APP_DATABASE), autocommit=True) as conn:
        conn.execute("create table if not exists it_crash (note text)")
        conn.execute("insert into it_crash values ('written before the crash')")
    for service in reversed(START_ORDER):
        native_stack.kill(service)
    assert not any(native_stack.status(s).running for s in START_ORDER)
    native_stack.up()
    assert all(native_stack.healthy(s) for s in START_ORDER)
    with psycopg.connect(endpoints.conninfo(APP_DATABASE)) as conn:
        assert conn.execute("select note from it_crash").fetchall() == [
            ("written before the crash",)
        ]


def test_temporal_is_healthy_only_once_it_serves_the_namespace(native_stack: NativeStack) -> None:
    ready, seen = native_stack.temporal.ready()
    assert ready, seen
    assert "namespace 'default' served" in seen
    assert native_stack.status(Service.TEMPORAL).detail == seen
