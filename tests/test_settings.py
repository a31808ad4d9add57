from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings


def test_defaults() -> None:
    settings = Settings.load({}, env={})
    assert settings.target == "native"
    assert settings.postgres_major == 16
    assert (settings.temporal_port, settings.ui_port) == (7233, 8080)
    assert settings.frontend_address == "127.0.0.1:7233"
    assert settings.ui_base_url == "http://127.0.0.1:8080"
    assert settings.state_dir.name == "native"


def test_explicit_values_beat_environment(tmp_path: Path) -> None:
    env = {"TACC_POSTGRES_VERSION": "15", "TACC_UI_PORT": "9000", "TACC_STATE_DIR": str(tmp_path)}
    settings = Settings.load({"postgres_version": "14"}, env=env)
    assert settings.postgres_major == 14
    assert settings.ui_port == 9000
    assert settings.state_dir == tmp_path


def test_none_and_empty_explicit_values_are_ignored() -> None:
    settings = Settings.load({"postgres_version": None, "ui_port": ""}, env={})
    assert settings.postgres_major == 16
    assert settings.ui_port == 8080


@pytest.mark.parametrize(
    ("explicit", "message"),
    [
        ({"target": "kubernetes"}, "unknown target 'kubernetes'"),
        ({"postgres_version": "sixteen"}, "is not a number"),
        ({"postgres_version": "11"}, "outside the range the suite can provision"),
        ({"ui_port": "http"}, "is not a TCP port"),
        ({"temporal_port": "70000"}, "is not a TCP port"),
        ({"temporal_version": "1.30"}, "is not of the form X.Y.Z"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"host": "0.0.0.0"}, "loopback only"),
        ({"target": "external"}, "needs the deployment's addresses"),
        ({"postgres_password": "hunter2"}, "never taken from a flag or -D"),
        ({"postgres_password_file": "/tmp/pw"}, "never taken from a flag or -D"),
        ({"temporal_address": "no-port"}, "is not host:port"),
        ({"temporal_tls_ca": "/nonexistent/ca.pem"}, "is not a file"),
        ({"postgres_sslmode": "sometimes"}, "unknown postgres_sslmode"),
        ({"temporal_log": "journal please"}, "neither a log file nor a command"),
        ({"temporal_log": "/nonexistent/temporal.log"}, "is not a file"),
    ],
)
def test_bad_input_is_one_clear_error(explicit: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message) as info:
        Settings.load(explicit, env={})
    assert "\n" not in info.value.line()
    assert info.value.fix


def test_external_target_takes_addresses() -> None:
    settings = Settings.load(
        {"target": "external", "temporal_address": "10.0.0.5:7233", "ui_url": "http://ui:8080/"},
        env={"TACC_POSTGRES_HOST": "db.internal"},
    )
    assert settings.frontend_address == "10.0.0.5:7233"
    assert settings.ui_base_url == "http://ui:8080"
    assert settings.postgres_host == "db.internal"
    assert (settings.temporal_database, settings.visibility_database) == (
        "temporal",
        "temporal_visibility",
    )
    assert not settings.temporal_tls_on


def test_external_target_names_everything_it_misses_in_one_line() -> None:
    with pytest.raises(UserError) as info:
        Settings.load({"target": "external", "temporal_address": "t:7233"}, env={})
    assert "TACC_UI_URL, TACC_POSTGRES_HOST not set" in info.value.problem
    assert "TACC_POSTGRES_PASSWORD" in info.value.fix


def test_external_tls_and_log_sources(tmp_path: Path) -> None:
    ca, log = tmp_path / "ca.pem", tmp_path / "temporal.log"
    ca.write_text("x")
    log.write_text("x")
    settings = Settings.load(
        {
            "temporal_tls_ca": str(ca),
            "temporal_log": str(log),
            "postgres_log": "cmd:docker logs pg",
        },
        env={"TACC_POSTGRES_SSLMODE": "Verify-Full", "TACC_TEMPORAL_TLS": "off"},
    )
    assert settings.temporal_tls_on  # a CA implies TLS
    assert settings.temporal_tls_ca == str(ca)
    assert settings.temporal_log == f"file:{log}"
    assert settings.postgres_log == "cmd:docker logs pg"
    assert settings.postgres_sslmode == "verify-full"


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    with pytest.raises(UserError, match="needs its key"):
        Settings.load({"temporal_tls_cert": str(cert)}, env={})


def test_the_password_is_no_setting_even_in_the_environment_keys() -> None:
    settings = Settings.load({}, env={"TACC_POSTGRES_PASSWORD": "s3cret"})
    assert "s3cret" not in repr(settings.describe())


def test_describe_is_plain_strings() -> None:
    described = Settings.load({}, env={}).describe()
    assert described["postgres_major"] == "16"
    assert all(isinstance(v, str) for v in described.values())
