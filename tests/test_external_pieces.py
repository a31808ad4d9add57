"""The external target's parts on data and local stand-ins: the password's sources, read-only
connection strings, log sources (files and commands), the server's configuration, and the
reach of an endpoint one layer at a time (name, TCP, TLS)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from temporal_acceptance.clients import reach
from temporal_acceptance.clients.endpoints import (
    APP_DATABASE,
    Endpoints,
    FrontendTls,
    dsn_database,
)
from temporal_acceptance.clients.temporal import sdk_tls, settings_tls, tls_from_args
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import parse_collected
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.external.logsources import LogSource, LogSourceFailed
from temporal_acceptance.stack.external.serverconfig import read_server_datastores
from temporal_acceptance.stack.external.stack import read_password


def endpoints(**extra: object) -> Endpoints:
    return Endpoints(
        "t:7233",
        "default",
        "http://ui",
        "db",
        5432,
        "reader",
        Secret("pw"),
        **extra,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- the password


def test_the_password_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert read_password({"TACC_POSTGRES_PASSWORD": "s3cret"}).reveal() == "s3cret"
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-a-file\n")
    assert read_password({"TACC_POSTGRES_PASSWORD_FILE": str(secret_file)}).reveal() == (
        "from-a-file"
    )
    with pytest.raises(UserError, match="needs the PostgreSQL password"):
        read_password({})
    with pytest.raises(UserError, match="both TACC_POSTGRES_PASSWORD and"):
        read_password({"TACC_POSTGRES_PASSWORD": "a", "TACC_POSTGRES_PASSWORD_FILE": "b"})
    with pytest.raises(UserError, match="cannot be read"):
        read_password({"TACC_POSTGRES_PASSWORD_FILE": str(tmp_path / "missing")})


# ---------------------------------------------------------------- connection strings


def test_sessions_of_the_external_target_are_read_only_but_the_workers_are_not() -> None:
    plain = conninfo_to_dict(endpoints().conninfo("temporal"))
    assert "options" not in plain
    ro = endpoints(read_only=True, postgres_sslmode="verify-full", postgres_ca_file="/ca.pem")
    parts = conninfo_to_dict(ro.conninfo("temporal"))
    assert parts["options"] == "-c default_transaction_read_only=on"
    assert (parts["sslmode"], parts["sslrootcert"]) == ("verify-full", "/ca.pem")
    assert "options" not in conninfo_to_dict(ro.worker_conninfo(APP_DATABASE))


def test_the_application_database_goes_through_its_own_dsn() -> None:
    dsn = Secret("host=app.internal port=6432 dbname=orders user=app password=apppw")
    ep = endpoints(read_only=True, app_dsn=dsn, app_database=dsn_database(dsn))
    assert ep.app_database == "orders"
    suite = conninfo_to_dict(ep.conninfo("orders"))
    assert (suite["host"], suite["options"]) == ("app.internal", READ_ONLY)
    worker = conninfo_to_dict(ep.worker_conninfo("orders_typo"))
    assert (worker["host"], worker["dbname"]) == ("app.internal", "orders_typo")
    assert "options" not in worker
    assert conninfo_to_dict(ep.conninfo("temporal"))["host"] == "db"
    assert ep.secrets == [ep.postgres_password, dsn, Secret("apppw")]  # the DSN and its password
    assert dsn_database(Secret("host=x")) == APP_DATABASE


READ_ONLY = "-c default_transaction_read_only=on"


def test_frontend_tls_travels_as_paths(tmp_path: Path) -> None:
    assert FrontendTls().argv() == []
    assert FrontendTls().describe() == "plain (no TLS)"
    tls = FrontendTls(True, "/ca.pem", "/c.pem", "/k.pem", "temporal.internal")
    assert tls.argv() == [
        "--tls", "--tls-ca", "/ca.pem", "--tls-cert", "/c.pem", "--tls-key", "/k.pem",
        "--tls-server-name", "temporal.internal",
    ]  # fmt: skip
    assert "server name temporal.internal" in tls.describe()
    assert sdk_tls(FrontendTls()) is False
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"PEM")
    config = sdk_tls(FrontendTls(True, str(ca), server_name="x"))
    assert not isinstance(config, bool)
    assert (config.server_root_ca_cert, config.domain) == (b"PEM", "x")
    import argparse

    args = argparse.Namespace(tls=None)
    assert tls_from_args(args, tls) == tls
    settings = Settings.load({"temporal_tls": "on"}, env={})
    assert settings_tls(settings).enabled


# ---------------------------------------------------------------- log sources


DOCKER_LINES = [
    '2026-12-01T20:30:00.100000000Z {"level":"info","ts":"2026-12-01T20:30:00.1Z","msg":"ok"}',
    '2026-12-01T20:30:01.200000000Z {"level":"error","ts":"2026-12-01T20:30:01.2Z","msg":"bad"}',
    "2026-12-01T20:30:02.000000000Z 2026-12-01 20:30:02.000 UTC [7] FATAL:  password failed",
    "  a continuation line",
    "2026-12-01T20:30:03.000000000Z plain ERROR words",
]


def test_a_collectors_timestamps_date_lines_and_the_services_format_gives_levels() -> None:
    lines = list(parse_collected(DOCKER_LINES, "temporal"))
    assert [line.level for line in lines] == ["info", "error", "fatal", "fatal", "error"]
    assert lines[1].ts == datetime(2026, 12, 1, 20, 30, 1, 200000, tzinfo=UTC)
    assert lines[3].text == "  a continuation line"


def test_a_file_source_is_read_for_the_window(tmp_path: Path) -> None:
    log = tmp_path / "temporal.log"
    log.write_text("\n".join(DOCKER_LINES) + "\n")
    source = LogSource("temporal", f"file:{log}")
    since = datetime(2026, 12, 1, 20, 30, 1, tzinfo=UTC)
    assert [line.level for line in source.read(since, since + timedelta(seconds=0.5))] == ["error"]
    assert source.describe() == f"file {log}"
    with pytest.raises(LogSourceFailed, match="cannot read the temporal log"):
        LogSource("temporal", f"file:{tmp_path / 'gone.log'}").read()


def test_a_command_source_runs_without_a_shell_and_names_its_window(tmp_path: Path) -> None:
    log = tmp_path / "pg.log"
    log.write_text("\n".join(DOCKER_LINES) + "\n")
    source = LogSource("postgres", f"cmd:cat {log}")
    assert len(source.read()) == 5  # no window: the whole output
    assert len(source.read(datetime(2026, 12, 1, 20, 30, 2, tzinfo=UTC), None)) == 3
    window = LogSource("postgres", "cmd:echo --since {since} --until {until}")
    argv = window.argv(datetime(2026, 12, 1, 20, 0, tzinfo=UTC), None)
    assert argv[:3] == ["echo", "--since", "2026-12-01T20:00:00Z"]
    with pytest.raises(LogSourceFailed, match="exited 1"):
        LogSource("postgres", f"cmd:cat {tmp_path / 'gone'}").read()
    with pytest.raises(LogSourceFailed, match="did not run"):
        LogSource("postgres", "cmd:/nonexistent/docker logs x").read()


# ---------------------------------------------------------------- the server's configuration


def test_datastores_from_a_rendered_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "persistence:\n  defaultStore: default\n  visibilityStore: visibility\n"
        "  datastores:\n"
        "    default:\n      sql:\n        connectAddr: pg.internal:6543\n"
        "        databaseName: temporal\n        user: temporal\n        password: x\n"
        "    visibility:\n      sql:\n        connectAddr: pg.internal:6543\n"
        "        databaseName: temporal_visibility\n        user: temporal\n"
    )
    stores = read_server_datastores(config)
    assert [s.describe() for s in stores] == [
        "default (default store): temporal@pg.internal:6543/temporal",
        "visibility (visibility store): temporal@pg.internal:6543/temporal_visibility",
    ]
    assert stores[0].password == Secret("x")
    assert stores[1].password is None


def test_datastores_from_the_servers_environment(tmp_path: Path) -> None:
    env = tmp_path / "server.env"
    env.write_text(
        "PATH=/usr/bin\nDB=postgres12\nDB_PORT=5432\nPOSTGRES_SEEDS=postgresql\n"
        "POSTGRES_USER=temporal\nPOSTGRES_PWD=not-read\n"
    )
    stores = read_server_datastores(env)
    assert [(s.name, s.host, s.port, s.database) for s in stores] == [
        ("default", "postgresql", 5432, "temporal"),
        ("visibility", "postgresql", 5432, "temporal_visibility"),
    ]


def test_a_template_or_something_else_is_refused_with_the_fix(tmp_path: Path) -> None:
    template = tmp_path / "docker.yaml"
    template.write_text('# enable-template\npersistence: {{ env "DB" }}\n')
    with pytest.raises(UserError, match="is a template the server renders") as info:
        read_server_datastores(template)
    assert "docker exec" in info.value.fix
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(UserError, match="neither a temporal-server configuration"):
        read_server_datastores(other)
    partial = tmp_path / "partial.yaml"
    partial.write_text("persistence:\n  numHistoryShards: 4\n")
    with pytest.raises(UserError, match="has no persistence section"):
        read_server_datastores(partial)


# ---------------------------------------------------------------- reach, layer by layer


def test_resolution_and_tcp_failures_name_their_layer(
    monkeypatch: pytest.MonkeyPatch, held_port: int
) -> None:
    assert "127.0.0.1" in reach.resolve("localhost", 80)
    assert reach.tcp_connect("127.0.0.1", held_port) >= 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with pytest.raises(reach.Unreachable, match=f"TCP connect to 127.0.0.1:{closed} failed"):
        reach.tcp_connect("127.0.0.1", closed)

    def no_dns(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(reach.Unreachable, match="name resolution of 'temporal.example' failed"):
        reach.resolve("temporal.example", 7233)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server on 127.0.0.1 with a certificate from a CA of its own (openssl)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, ca_key, key, csr, cert = (tmp_path / n for n in ("ca.pem", "ca.key", "k", "csr", "c"))
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1",
        "-subj", "/CN=test CA", "-addext", "basicConstraints=critical,CA:TRUE")  # fmt: skip
    run("openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    ext = tmp_path / "ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "1", "-extfile", ext)  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], ca
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_tls_handshake_with_and_without_the_ca(tls_server: tuple[int, Path]) -> None:
    port, ca = tls_server
    seen = reach.tls_handshake("127.0.0.1", port, str(ca), server_name="localhost")
    assert seen.protocol.startswith("TLSv1.")
    assert "CN=localhost" in seen.line()
    assert "issued by CN=test CA" in seen.line()
    with pytest.raises(reach.Unreachable, match="TLS handshake failed: certificate verify failed"):
        reach.tls_handshake("127.0.0.1", port)
    with pytest.raises(reach.Unreachable, match="TLS handshake failed"):
        reach.tls_handshake("127.0.0.1", port, str(ca), server_name="another.name")
    assert reach.speaks_tls("127.0.0.1", port).startswith("TLSv1.")


def test_a_plain_server_does_not_speak_tls(held_port: int) -> None:
    assert reach.speaks_tls("127.0.0.1", held_port, timeout=0.5) == ""
