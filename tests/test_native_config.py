from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import yaml

from temporal_acceptance.core.secrets import REDACTED, Secret
from temporal_acceptance.stack.native.layout import Layout, write_private
from temporal_acceptance.stack.native.postgres import blocking_parent, postgres_conf
from temporal_acceptance.stack.native.temporal import (
    TemporalPorts,
    datastores_from_config,
    render_config,
)
from temporal_acceptance.stack.native.ui import render_ui_config


def test_ports_follow_the_frontend_port() -> None:
    ports = TemporalPorts(7233).all()
    assert ports == {
        "frontend": 7233,
        "frontend-http": 7243,
        "history": 7234,
        "matching": 7235,
        "worker": 7239,
        "frontend-membership": 6933,
        "history-membership": 6934,
        "matching-membership": 6935,
        "worker-membership": 6939,
    }
    assert len(set(TemporalPorts(17233).all().values())) == 9


def test_server_config_uses_postgres12_on_loopback(tmp_path: Path) -> None:
    config = render_config(
        "127.0.0.1", TemporalPorts(7233), 55432, "temporal", Secret("pw-123"), tmp_path / "dc.yaml"
    )
    stores = config["persistence"]["datastores"]
    assert {s["sql"]["pluginName"] for s in stores.values()} == {"postgres12"}
    assert stores["postgres-default"]["sql"]["databaseName"] == "temporal"
    assert stores["postgres-visibility"]["sql"]["databaseName"] == "temporal_visibility"
    assert stores["postgres-default"]["sql"]["password"] == "pw-123"
    assert config["services"]["frontend"]["rpc"] == {
        "grpcPort": 7233,
        "membershipPort": 6933,
        "bindOnIP": "127.0.0.1",
        "httpPort": 7243,
    }
    assert config["dynamicConfigClient"]["filepath"] == str(tmp_path / "dc.yaml")
    stores_read = datastores_from_config(config)
    assert [s.describe() for s in stores_read] == [
        "postgres-default (default store): temporal@127.0.0.1:55432/temporal",
        "postgres-visibility (visibility store): temporal@127.0.0.1:55432/temporal_visibility",
    ]
    # the server's own password, read from its configuration (what the datastore gate uses)
    assert [s.password for s in stores_read] == [Secret("pw-123"), Secret("pw-123")]
    assert "pw-123" not in repr(stores_read)


def test_mutant_settings_reach_the_server_config(tmp_path: Path) -> None:
    config = render_config(
        "127.0.0.1",
        TemporalPorts(7233),
        55432,
        "temporal",
        Secret("pw"),
        tmp_path / "dc.yaml",
        visibility_database="temporal",
        frontend_bind="0.0.0.0",
    )
    assert config["services"]["frontend"]["rpc"]["bindOnIP"] == "0.0.0.0"
    assert config["services"]["history"]["rpc"]["bindOnIP"] == "127.0.0.1"
    visibility = datastores_from_config(config)[1]
    assert (visibility.role, visibility.database) == ("visibility", "temporal")


def test_a_config_without_stores_or_passwords_reads_as_such() -> None:
    assert datastores_from_config({}) == []
    config = {
        "persistence": {
            "defaultStore": "a",
            "datastores": {"a": {"sql": {"connectAddr": "h:x", "password": REDACTED}}},
        }
    }
    (store,) = datastores_from_config(config)
    assert (store.role, store.port, store.password, store.address) == ("default", 0, None, None)


def test_server_config_without_a_password_is_safe_to_show(tmp_path: Path) -> None:
    config = render_config("127.0.0.1", TemporalPorts(7233), 5432, "t", None, tmp_path / "d")
    assert "pw" not in yaml.safe_dump(config).lower().replace("password", "")
    assert config["persistence"]["datastores"]["postgres-default"]["sql"]["password"] == REDACTED


def test_ui_config_points_at_the_frontend() -> None:
    config = render_ui_config("127.0.0.1", 8080, "127.0.0.1:7233", "default")
    assert config["temporalGrpcAddress"] == "127.0.0.1:7233"
    assert config["port"] == 8080
    assert config["cors"]["cookieInsecure"] is True
    assert config["disableNewsFetch"] is True


def test_postgres_conf_listens_on_loopback_only() -> None:
    conf = postgres_conf(55432, "127.0.0.1")
    assert "listen_addresses = '127.0.0.1'" in conf
    assert "port = 55432" in conf
    assert "unix_socket_directories = ''" in conf
    assert "password_encryption = 'scram-sha-256'" in conf


def test_password_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "state")
    layout.create()
    assert not layout.has_password()
    first = layout.ensure_password()
    assert layout.ensure_password() == first
    assert layout.password() == first
    assert stat.S_IMODE(layout.password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(layout.secrets_dir.stat().st_mode) == 0o700


def test_private_files_and_records(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "config.yaml"
    write_private(target, "password: x\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    layout = Layout(tmp_path)
    assert layout.recorded() == {}
    layout.record({"postgres_major": 16})
    assert layout.recorded() == {"postgres_major": 16}


def test_blocking_parent_finds_private_directories() -> None:
    base = Path(tempfile.mkdtemp(dir="/tmp"))  # /tmp is searchable by everyone
    try:
        base.chmod(0o755)
        private = base / "private"
        data = private / "state" / "data"
        data.mkdir(parents=True)
        private.chmod(0o700)
        other_uid = os.getuid() + 12345
        assert blocking_parent(data, other_uid) == private
        assert blocking_parent(data, os.getuid()) is None  # the owner may pass
        private.chmod(0o755)
        assert blocking_parent(data, other_uid) is None
    finally:
        shutil.rmtree(base)
