"""What the deployments are configured with for the operator gates: settings, topology,
facts read back from each target's configuration, PostgreSQL's TLS/time zone/connection
options, the TLS profile's certificates and the configuration mutants."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography import x509

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import parse_topology
from temporal_acceptance.stack.compose.project import data_mount, resolve_variables
from temporal_acceptance.stack.compose.servers import data_location_of, facts_from_env
from temporal_acceptance.stack.local_images.spec import postgres_layout
from temporal_acceptance.stack.native.config_mutants import (
    BLOB_LIMIT_ABOVE_GRPC,
    HISTORY_PERSISTENCE_TOO_SLOW,
    MAX_CONNECTIONS_TOO_SMALL,
    NAMESPACE_RPS_TOO_LOW,
    SECOND_SHARD_COUNT,
    apply_config_mutant,
)
from temporal_acceptance.stack.native.postgres import PostgresOptions, pg_hba, postgres_conf
from temporal_acceptance.stack.native.server_config import (
    SqlTls,
    TemporalPorts,
    facts_from_config,
    render_config,
)
from temporal_acceptance.stack.tls import issue


def test_settings_for_the_operator_gates_are_validated() -> None:
    settings = Settings.load(
        {"postgres_tls": "yes", "postgres_timezone": "Asia/Kolkata"},
        env={"TACC_ALLOW_CHANGES": "on"},
    )
    assert (settings.postgres_tls, settings.postgres_timezone) == (True, "Asia/Kolkata")
    assert settings.allow_changes is True
    with pytest.raises(UserError, match="postgres_timezone 'Mars/Olympus' is not a time zone"):
        Settings.load({"postgres_timezone": "Mars/Olympus"}, env={})
    with pytest.raises(UserError, match="topology entry 'history=none' is not role=count"):
        Settings.load(
            {"target": "external", "temporal_address": "h:7233", "topology": "history=none"},
            env={},
        )
    with pytest.raises(UserError, match="postgres_tls 'maybe' is not a yes/no value"):
        Settings.load({"postgres_tls": "maybe"}, env={})


def test_topology_names_hosts_per_role_and_keeps_one_of_the_others() -> None:
    assert parse_topology("") == {"frontend": 1, "history": 1, "matching": 1, "worker": 1}
    assert parse_topology(" history=3, matching=2 ")["history"] == 3
    with pytest.raises(UserError, match="'scheduler=2' is not role=count"):
        parse_topology("scheduler=2")


def test_native_facts_come_from_the_rendered_configuration(tmp_path: Path) -> None:
    config = render_config("127.0.0.1", TemporalPorts(7233), 5432, "t", None, tmp_path / "d", 8)
    facts = facts_from_config(config, {}, parse_topology("history=2"), "config.yaml")
    assert facts.history_shards == 8
    assert facts.blob_size_limit == 2 * 1024 * 1024
    assert sum(pool.max_conns for pool in facts.pools) == 20 * 5 + 5 * 5  # history counts twice
    assert "history×2 postgres-default" in facts.render()
    dynamic = {"limit.blobSize.error": [{"value": 1000}]}
    assert facts_from_config(config, dynamic, parse_topology(""), "x").blob_size_limit == 1000


def test_native_tls_config_verifies_the_host(tmp_path: Path) -> None:
    tls = SqlTls(tmp_path / "ca.crt", "127.0.0.1")
    config = render_config("127.0.0.1", TemporalPorts(7233), 5432, "t", None, tmp_path, 4, tls)
    for store in config["persistence"]["datastores"].values():
        assert store["sql"]["tls"] == {
            "enabled": True,
            "caFile": str(tmp_path / "ca.crt"),
            "enableHostVerification": True,
            "serverName": "127.0.0.1",
        }


def test_postgres_conf_and_hba_for_each_profile(tmp_path: Path) -> None:
    plain = postgres_conf(5432, "127.0.0.1", PostgresOptions(), tmp_path / "hba.conf")
    assert "max_connections = 200" in plain
    assert f"hba_file = '{tmp_path / 'hba.conf'}'" in plain
    assert "ssl" not in plain
    assert "timezone" not in plain.replace("log_timezone", "")
    assert "host     all all 127.0.0.1/32 scram-sha-256" in pg_hba()
    files = issue(tmp_path / "tls")
    options = PostgresOptions(max_connections=50, timezone="Asia/Kolkata", tls=files)
    conf = postgres_conf(5432, "127.0.0.1", options)
    assert "max_connections = 50" in conf
    assert "timezone = 'Asia/Kolkata'" in conf
    assert f"ssl_key_file = '{files.server_key}'" in conf
    assert "hostssl  all all 127.0.0.1/32 scram-sha-256" in pg_hba(options)
    assert "host " not in pg_hba(options)
    not_required = PostgresOptions(tls=files, tls_required=False)
    assert "host     all all 127.0.0.1/32" in pg_hba(not_required)


def test_the_certificates_verify_for_every_name_clients_use(tmp_path: Path) -> None:
    files = issue(tmp_path / "tls")
    assert oct(files.server_key.stat().st_mode & 0o777) == "0o600"
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", "postgresql"}
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    assert context.get_ca_certs()[0]["subject"][1][0][1] == "temporal-acceptance test CA"
    before = files.server_cert.read_bytes()
    assert issue(tmp_path / "tls").server_cert.read_bytes() == before  # kept, not reissued


class _Holder:
    def __init__(self) -> None:
        self.options = PostgresOptions()
        self.history_shards = 4
        self.dynamic_extra: dict[str, object] = {}


def test_configuration_mutants_change_only_what_they_name() -> None:
    postgres, temporal = _Holder(), _Holder()
    apply_config_mutant(MAX_CONNECTIONS_TOO_SMALL, postgres, temporal)
    assert postgres.options.max_connections == 50
    assert temporal.history_shards == 4
    apply_config_mutant(SECOND_SHARD_COUNT, postgres, temporal)
    assert temporal.history_shards == 8
    apply_config_mutant(BLOB_LIMIT_ABOVE_GRPC, postgres, temporal)
    assert temporal.dynamic_extra == {"limit.blobSize.error": [{"value": 6 * 1024 * 1024}]}
    apply_config_mutant(HISTORY_PERSISTENCE_TOO_SLOW, postgres, temporal)
    assert list(temporal.dynamic_extra) == ["history.healthPersistenceLatencyFailure"]
    apply_config_mutant(NAMESPACE_RPS_TOO_LOW, postgres, temporal)
    assert temporal.dynamic_extra == {"frontend.namespaceRPS": [{"value": 20}]}


def test_compose_facts_follow_the_server_template_defaults() -> None:
    env = {"DB": "postgres12", "POSTGRES_SEEDS": "postgresql", "POSTGRES_USER": "t"}
    facts = facts_from_env(env, parse_topology(""), {}, "env")
    assert facts.history_shards == 4
    assert sum(pool.max_conns for pool in facts.pools) == 4 * (20 + 10)
    custom = facts_from_env({**env, "SQL_MAX_CONNS": "5", "NUM_HISTORY_SHARDS": "16"}, {}, {}, "e")
    assert custom.history_shards == 16
    assert facts_from_env({"DB": "cassandra"}, {}, {}, "e").pools == ()


def test_compose_data_location_from_the_mounts() -> None:
    named = [{"Type": "volume", "Name": "p_postgres-data", "Destination": "/var/lib/postgresql"}]
    location = data_location_of(named, "/var/lib/postgresql/18/docker", "p")
    assert (location.root, location.persistent) == ("/var/lib/postgresql", True)
    anonymous = [{"Type": "volume", "Name": "0f" * 32, "Destination": "/var/lib/postgresql/data"}]
    location = data_location_of(anonymous, "/var/lib/postgresql/data", "p")
    assert location.persistent is False
    assert location.storage.startswith("anonymous volume 0f0f")
    bind = [{"Type": "bind", "Source": "/srv/pg", "Destination": "/var/lib/postgresql/data"}]
    assert data_location_of(bind, "/var/lib/postgresql/data", "p").persistent is True
    assert data_location_of([], "/var/lib/postgresql/data", "p").persistent is False


def test_the_data_mount_follows_the_major_unless_the_user_set_it() -> None:
    assert data_mount(17) == "/var/lib/postgresql/data"
    assert data_mount(18) == "/var/lib/postgresql"
    settings = Settings.load({"postgres_version": "18", "target": "compose"}, env={})
    dotenv = {"POSTGRESQL_VERSION": "16"}
    assert resolve_variables(settings, dotenv, {})["POSTGRES_DATA_MOUNT"] == "/var/lib/postgresql"
    assert resolve_variables(Settings(), dotenv, {})["POSTGRES_DATA_MOUNT"].endswith("/data")
    mine = {"POSTGRES_DATA_MOUNT": "/srv"}
    assert resolve_variables(settings, dotenv, mine)["POSTGRES_DATA_MOUNT"] == "/srv"


def test_local_postgres_images_follow_the_official_layout_per_major() -> None:
    assert dict(postgres_layout(16)) == {
        "PGDATA": "/var/lib/postgresql/data",
        "PG_VOLUME": "/var/lib/postgresql/data",
    }
    assert dict(postgres_layout(18)) == {
        "PGDATA": "/var/lib/postgresql/18/docker",
        "PG_VOLUME": "/var/lib/postgresql",
    }
