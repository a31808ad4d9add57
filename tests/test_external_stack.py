"""The ExternalStack and its preflight without a deployment: what it refuses to do, what it
reports, how its lines read, and the CLI's preflight/run/verdict commands."""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from temporal_acceptance.cli import external as commands
from temporal_acceptance.cli.main import main
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.core.errors import NotSupportedOnTarget, UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.external import lines as L
from temporal_acceptance.stack.external import preflight as pf
from temporal_acceptance.stack.external.preflight_postgres import _pg_error, app_line
from temporal_acceptance.stack.external.stack import ExternalStack, LogSourceMissing
from temporal_acceptance.stack.factory import make_stack


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.load(
        {
            "target": "external",
            "state_dir": str(tmp_path / "state"),
            "temporal_address": f"127.0.0.1:{closed_port()}",
            "ui_url": f"http://127.0.0.1:{closed_port()}",
            "postgres_host": "127.0.0.1",
            **extra,
        },
        env={},
    )


ENV = {"TACC_POSTGRES_PASSWORD": "pw-s3cret", "TACC_APP_DSN": "host=127.0.0.1 dbname=orders"}


def external(tmp_path: Path, **extra: str) -> ExternalStack:
    return ExternalStack(settings(tmp_path, **extra), say=lambda line: None, env=ENV)


def test_the_factory_makes_it_and_postgresql_defaults_to_5432(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TACC_POSTGRES_PASSWORD", "pw-s3cret")
    assert isinstance(make_stack(settings(tmp_path), say=lambda line: None), ExternalStack)
    stack = external(tmp_path)
    ep = stack.endpoints()
    assert (ep.postgres_port, ep.read_only, ep.app_database) == (5432, True, "orders")
    assert stack.known_secrets() == [Secret("pw-s3cret"), Secret(ENV["TACC_APP_DSN"])]
    given = external(tmp_path, postgres_port="6432")
    assert given.endpoints().postgres_port == 6432


def test_it_never_stops_restarts_or_kills(tmp_path: Path) -> None:
    stack = external(tmp_path)
    assert not stack.supports_disruption
    for operation in (stack.stop, stack.start, stack.kill, stack.restart):
        with pytest.raises(NotSupportedOnTarget, match="never stops, restarts or reconfigures"):
            operation(Service.POSTGRES)
    with pytest.raises(NotSupportedOnTarget, match="stopping the deployment"):
        stack.down(purge=True)


def test_without_sources_logs_and_datastores_say_what_to_set(tmp_path: Path) -> None:
    stack = external(tmp_path)
    with pytest.raises(LogSourceMissing, match="TACC_TEMPORAL_LOG"):
        stack.logs(Service.TEMPORAL)
    assert not stack.has_logs(Service.POSTGRES)
    with pytest.raises(NotSupportedOnTarget, match="TACC_TEMPORAL_CONFIG"):
        stack.datastores()


def test_datastores_the_suite_cannot_resolve_are_read_through_its_endpoint(
    tmp_path: Path,
) -> None:
    env = tmp_path / "server.env"
    env.write_text("DB=postgres12\nPOSTGRES_SEEDS=postgresql.invalid\nPOSTGRES_USER=temporal\n")
    stack = external(tmp_path, temporal_config=str(env), postgres_user="qa_reader")
    stores = stack.datastores()
    assert [(s.host, s.port, s.user) for s in stores] == [("127.0.0.1", 5432, "qa_reader")] * 2
    assert "server uses temporal@postgresql.invalid:5432" in stores[0].name
    assert "does not resolve here" in stores[0].name


def test_status_seen_from_outside_names_what_did_not_answer(tmp_path: Path) -> None:
    stack = external(tmp_path, postgres_port=str(closed_port()))
    status = stack.status(Service.POSTGRES)
    assert (status.running, status.healthy) == (False, False)
    assert status.detail.startswith("not answering: OperationalError")
    assert "pw-s3cret" not in status.detail
    assert not stack.status(Service.UI).healthy


def test_the_effective_configuration_says_what_it_touches(tmp_path: Path) -> None:
    text = external(tmp_path).config_text()
    assert "read-only (default_transaction_read_only = on)" in text
    assert "never (no stop, restart, kill or reconfiguration)" in text
    assert "pw-s3cret" not in text
    assert "orders (TACC_APP_DSN, password not shown)" in text


def test_live_versions_are_adopted_unless_declared(tmp_path: Path) -> None:
    stack = external(tmp_path)
    stack._adopt_live_versions(pf.PreflightReport([], 0.1, "1.29.1", "13.4 (Debian)"))
    assert (stack.settings.temporal_version, stack.settings.postgres_major) == ("1.29.1", 13)
    record = json.loads((tmp_path / "state" / "stack.json").read_text())
    assert record["compatibility"]["temporal_version"] == "1.29.1"
    declared = external(tmp_path, temporal_version="1.30.8")
    declared._adopt_live_versions(pf.PreflightReport([], 0.1, "1.29.1", "nonsense"))
    assert declared.settings.temporal_version == "1.30.8"
    assert declared.settings.postgres_major == 16


def test_a_preflight_against_nothing_fails_in_seconds_on_the_first_layer(tmp_path: Path) -> None:
    stack = external(tmp_path)
    report = stack.preflight()
    assert report.seconds < 30
    by_name = {line.name: line for line in report.lines}
    assert by_name["frontend"].fatal
    assert "TCP connect to 127.0.0.1" in by_name["frontend"].problem
    assert by_name["frontend"].fix.startswith("check TACC_TEMPORAL_ADDRESS")
    assert by_name["namespace"].mark == L.ABSENT
    assert by_name["ui"].fatal
    assert by_name["server configuration"].mark == L.ABSENT
    assert report.summary().startswith("preflight failed after")
    error = report.error()
    assert error.line().startswith("preflight: frontend 127.0.0.1:")
    with pytest.raises(UserError, match="preflight: frontend"):
        stack.up()


def test_lines_render_one_per_endpoint() -> None:
    ok = L.Line("frontend", "t:7233", ["resolves to 10.0.0.5", "TCP 2 ms"])
    assert ok.render() == "✓ frontend             t:7233  resolves to 10.0.0.5 · TCP 2 ms"
    bad = L.Line("ui", "http://ui", ["resolves to 10.0.0.6"], L.FATAL, "refused", "check it")
    assert bad.render().endswith("resolves to 10.0.0.6 · refused — check it")
    assert L.short("x" * 500).endswith("...")
    assert L.host_port("[::1]:7233") == ("::1", 7233)


def test_postgresql_errors_are_sorted_by_what_to_fix() -> None:
    class Fake(Exception):
        pass

    cases = {
        'FATAL:  database "temporal" does not exist': (L.FINDING, ""),
        'FATAL:  password authentication failed for user "qa"': (L.FATAL, "TACC_POSTGRES_USER"),
        "SSL error: certificate verify failed": (L.FATAL, "TACC_POSTGRES_SSLMODE"),
        'unsupported startup parameter: "options"': (L.FATAL, "pooler"),
        "connection refused": (L.FATAL, "TACC_POSTGRES_HOST"),
    }
    for message, (mark, fix) in cases.items():
        stop = _pg_error(Fake(message))  # type: ignore[arg-type]
        assert stop.mark == mark, message
        assert fix in stop.fix, message


def test_the_application_database_must_be_given_and_not_temporals() -> None:
    ep = Endpoints("t:1", "default", "http://u", "db", 5432, "u", Secret("p"), read_only=True)
    missing = app_line(ep)
    assert missing.fatal
    assert "TACC_APP_DSN" in missing.fix
    dsn = Secret("host=db port=5432 dbname=temporal user=u password=p")
    own = app_line(Endpoints(**{**ep.__dict__, "app_dsn": dsn, "app_database": "temporal"}))
    assert own.fatal
    assert "is one of Temporal's databases" in own.problem


def test_a_ui_that_does_not_list_the_namespace_is_a_finding(held_port: int) -> None:
    ep = Endpoints(f"t:{held_port}", "orders", f"http://127.0.0.1:{held_port}", "db", 1, "u",
                   Secret("p"))  # fmt: skip

    def fetch(url: str) -> Any:
        return {"status": "OK"} if url.endswith("/healthz") else {"namespaces": []}

    line = pf.ui_line(ep, fetch)
    assert line.mark == L.FINDING
    assert "not 'orders'" in line.problem


# ---------------------------------------------------------------- the commands


def test_preflight_is_for_the_external_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", "--target", "native"], env={}) == 2
    assert "preflight checks an external deployment" in capsys.readouterr().err


def test_the_password_is_never_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["preflight", "--postgres-password", "x"], env={})
    assert "unrecognized arguments: --postgres-password" in capsys.readouterr().err


def write(path: Path, gates: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"target": "external", "gates": gates}))


GATE = {"feature": "F", "gate": "G", "scenario": "s", "phase": 2, "location": "f:1"}


def test_run_applies_the_policy_to_the_verdict_the_run_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = tmp_path / "verdict.json"
    write(verdict, [])  # a stale verdict: removed before behave runs
    seen: list[list[str]] = []

    def behave(argv: list[str]) -> int:
        seen.append(argv)
        passed = {**GATE, "plevel": "P0", "status": "passed"}
        write(verdict, [passed, {**GATE, "plevel": "P2", "status": "failed", "reason": "slow"}])
        return 1

    args = argparse.Namespace(fail_on="P1", verdict=verdict, behave_args=["--", "--tags=@P0"])
    assert commands.run_gates(args, behave) == 0
    assert seen[0][-1] == "--tags=@P0"
    assert f"verdict_file={verdict}" in seen[0]
    assert "exit status 0 (fail-on P1" in capsys.readouterr().out
    args.fail_on = "any"
    assert commands.run_gates(args, behave) == 1


def test_a_run_that_wrote_no_verdict_did_not_finish(tmp_path: Path) -> None:
    args = argparse.Namespace(fail_on="any", verdict=tmp_path / "v.json", behave_args=[])
    assert commands.run_gates(args, lambda argv: 2) == 2  # e.g. the preflight failed
    assert commands.run_gates(args, lambda argv: 0) == 1


def test_the_verdict_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verdict = tmp_path / "verdict.json"
    write(verdict, [{**GATE, "plevel": "P1", "status": "failed", "reason": "no rows"}])
    assert main(["verdict", "--verdict", str(verdict), "--fail-on", "P0"], env={}) == 1
    out = capsys.readouterr().out
    assert "FAILED — no gate ran to completion" in out
    assert main(["verdict", "--verdict", str(tmp_path / "none.json")], env={}) == 2


# ---------------------------------------------------------------- against a real frontend


@pytest.mark.devserver
def test_the_frontend_and_namespace_lines_against_the_dev_server(dev_env: Any) -> None:
    address = dev_env.client.service_client.config.target_host
    ep = Endpoints(address, "default", "http://u", "db", 1, "u", Secret("p"))
    (frontend, namespace), version = pf.frontend_lines(ep)
    assert frontend.mark == L.OK, frontend.render()
    assert "plain gRPC (no TLS)" in frontend.seen
    assert version
    assert namespace.mark == L.OK, namespace.render()
    assert "visibility answers" in namespace.render()
    missing = Endpoints(address, "no-such-namespace", "http://u", "db", 1, "u", Secret("p"))
    (_, namespace), _ = pf.frontend_lines(missing)
    assert namespace.fatal
    assert "is not registered on this deployment" in namespace.problem
