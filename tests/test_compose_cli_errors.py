"""The compose target's bad input through the real CLI: one line, exit 2, no traceback —
engine absent or not running, Compose CLI missing. And the probes' failures, which status
reports as 'not healthy' rather than raising."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from docker_fakes import FakeClient

from temporal_acceptance.cli import images as command
from temporal_acceptance.cli import main as cli
from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.compose.probes import namespace_served, probe_service
from temporal_acceptance.stack.local_images.build import BuildOutcome

REPO = Path(__file__).resolve().parents[1]


def _main(argv: list[str], monkeypatch: pytest.MonkeyPatch, **env: str) -> int:
    for key in [k for k in os.environ if k.startswith("TACC_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(REPO)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cli.main(argv)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def test_engine_not_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = _main(
        ["images"], monkeypatch, DOCKER_HOST=f"unix://{tmp_path}/none.sock", PATH=str(tmp_path)
    )
    assert code == 2
    assert _error_line(capsys).startswith("error: the Docker engine is not installed")


def test_engine_not_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(dead))
        code = _main(["status", "--target", "compose"], monkeypatch, DOCKER_HOST=f"unix://{dead}")
    assert code == 2
    assert _error_line(capsys).startswith("error: the Docker engine is not running")


def test_compose_cli_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A state directory of its own: a compose deployment recorded in the default one (by
    # another run on this machine) must not decide what `up` says.
    code = _main(
        ["up", "--target", "compose"],
        monkeypatch,
        PATH=str(tmp_path),
        TACC_STATE_DIR=str(tmp_path / "state"),
    )
    assert code == 2
    assert _error_line(capsys).startswith("error: the Docker Compose CLI is missing — install")


def test_images_command_builds_for_the_project_versions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, object] = {}

    def fake_build_all(client: object, versions: object, cache: Path, env: object, say: object):  # type: ignore[no-untyped-def]
        seen["versions"] = versions
        return [BuildOutcome("temporal-acceptance/ui:2.55.0", True, 0.1)]

    monkeypatch.setattr(command, "connect_engine", lambda env: FakeClient())
    monkeypatch.setattr(command, "build_all", fake_build_all)
    said: list[str] = []
    settings = cli.Settings.load({"ui_version": "2.55.0"}, env={})
    outcomes = command.build_local_images(settings, env={}, cwd=REPO, say=said.append)
    assert outcomes[0].cached
    assert getattr(seen["versions"], "postgres_major", None) == 16
    assert said[-1].startswith("✓ images ready in")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probes_raise_when_nothing_answers() -> None:
    port = _closed_port()
    endpoints = Endpoints(
        f"127.0.0.1:{port}",
        "default",
        f"http://127.0.0.1:{port}",
        "127.0.0.1",
        port,
        "u",
        Secret("pw"),
    )
    for service in Service:
        with pytest.raises(Exception):  # noqa: B017,PT011 (each client raises its own kind)
            probe_service(service, endpoints)
    with pytest.raises(Exception):  # noqa: B017,PT011
        namespace_served(endpoints)
