"""The external target against a real deployment (the integration native stack, treated as a
deployment the suite did not create): read-only sessions, the preflight's lines, health from
the outside, log sources and the server's datastores."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from temporal_acceptance.clients import postgres as db
from temporal_acceptance.core.errors import NotSupportedOnTarget
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.external.stack import ExternalStack
from temporal_acceptance.stack.native.stack import NativeStack

pytestmark = pytest.mark.integration


def external_of(native: NativeStack, tmp_path: Path, **extra: str) -> ExternalStack:
    endpoints = native.endpoints()
    password = endpoints.postgres_password.reveal()
    settings = Settings.load(
        {
            "target": "external",
            "state_dir": str(tmp_path / "state"),
            "temporal_address": endpoints.temporal_address,
            "ui_url": endpoints.ui_url,
            "postgres_host": endpoints.postgres_host,
            "postgres_port": str(endpoints.postgres_port),
            **extra,
        },
        env={},
    )
    app = endpoints.app
    assert app is not None  # the native stack's application role (least privilege)
    env = {
        "TACC_POSTGRES_PASSWORD": password,
        "TACC_APP_DSN": f"host=127.0.0.1 port={endpoints.postgres_port} dbname=acceptance_app "
        f"user={app.user} password={app.password.reveal()}",
    }
    return ExternalStack(settings, say=lambda line: None, env=env)


def test_a_write_through_the_suites_sessions_is_refused(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    external = external_of(native_stack, tmp_path)
    endpoints = external.endpoints()
    with db.connect(endpoints, endpoints.temporal_database) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create table tacc_must_not_exist (x int)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("delete from namespaces")
    # the same role without the external target's session option may write (a temporary
    # table: nothing lasting): the refusal above comes from the session setting
    with psycopg.connect(native_stack.endpoints().conninfo("temporal")) as conn:
        conn.execute("create temporary table tacc_writable (x int)")


def test_the_worker_still_writes_to_the_application_database(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    endpoints = external_of(native_stack, tmp_path).endpoints()
    with psycopg.connect(endpoints.worker_conninfo(endpoints.app_database)) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone() == ("off",)


def test_preflight_passes_and_up_records_the_live_versions(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    said: list[str] = []
    external = external_of(native_stack, tmp_path)
    external.say = said.append
    external.up()
    assert external.report is not None
    assert not external.report.fatal
    text = "\n".join(said)
    assert "✓ frontend" in text
    running = native_stack.settings.temporal_version  # what the external run must detect
    assert f"authenticated: server {running}" in text
    assert "read-only sessions: on" in text
    assert external.settings.temporal_version == running
    assert external.settings.postgres_major == native_stack.settings.postgres_major
    assert (tmp_path / "state" / "stack.json").is_file()


def test_preflight_names_the_unreachable_port_and_a_wrong_password(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    closed = external_of(native_stack, tmp_path, temporal_address="127.0.0.1:9")
    report = closed.preflight()
    assert [line.name for line in report.fatal] == ["frontend"]
    assert "TCP connect to 127.0.0.1:9 failed: Connection refused" in report.fatal[0].problem
    assert report.error().fix.startswith("check TACC_TEMPORAL_ADDRESS")
    wrong = external_of(native_stack, tmp_path)
    wrong.password = type(wrong.password)("not-the-password")
    line = next(line for line in wrong.preflight().lines if line.name == "postgres")
    assert line.fatal
    assert 'password authentication failed for user "temporal"' in line.problem
    assert "not-the-password" not in line.render()


def test_health_from_the_outside_and_nothing_is_ever_stopped(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    external = external_of(native_stack, tmp_path)
    for service in Service:
        status = external.status(service)
        assert status.healthy, status.line()
        assert "seen from outside" in status.detail
    for operation in (external.stop, external.kill, external.restart, external.start):
        with pytest.raises(NotSupportedOnTarget, match="never stops, restarts or reconfigures"):
            operation(Service.TEMPORAL)
    with pytest.raises(NotSupportedOnTarget):
        external.down()
    assert native_stack.healthy(Service.TEMPORAL)


def test_log_sources_and_the_servers_datastores(native_stack: NativeStack, tmp_path: Path) -> None:
    logs = native_stack.layout.log("temporal")
    external = external_of(
        native_stack,
        tmp_path,
        temporal_log=str(logs),
        postgres_log=f"cmd:cat {native_stack.layout.log('postgres')}",
        temporal_config=str(native_stack.layout.temporal_config),
    )
    assert external.logs(Service.TEMPORAL)
    assert all(line.service == "postgres" for line in external.logs(Service.POSTGRES))
    assert not external.has_logs(Service.UI)
    with pytest.raises(NotSupportedOnTarget, match="TACC_UI_LOG"):
        external.logs(Service.UI)
    stores = external.datastores()
    assert [store.database for store in stores] == ["temporal", "temporal_visibility"]
    assert {store.port for store in stores} == {native_stack.settings.postgres_port}
