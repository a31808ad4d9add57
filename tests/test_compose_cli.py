"""Finding the Compose CLI (v2 plugin or v1) and running it with output streamed, redacted."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from docker_fakes import fake_compose

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.compose.cli import (
    CommandResult,
    ComposeCli,
    capture_compose,
    find_compose_cli,
    run_compose,
)


def _runner(answers: dict[str, tuple[int, str] | Exception]) -> Any:
    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        answer = answers[" ".join(argv)]
        if isinstance(answer, Exception):
            raise answer
        return subprocess.CompletedProcess(argv, answer[0], answer[1], "")

    return run


def _which(present: set[str]) -> Any:
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_prefers_the_v2_plugin() -> None:
    run = _runner({"/usr/bin/docker compose version": (0, "Docker Compose version v2.29.7")})
    cli = find_compose_cli(_which({"docker", "docker-compose"}), run)
    assert cli == ComposeCli(("/usr/bin/docker", "compose"), "2.29.7")
    assert cli.describe() == "docker compose 2.29.7"
    run = _runner({"/usr/bin/docker compose version": (0, "Docker Compose version dev")})
    assert find_compose_cli(_which({"docker"}), run).version == "dev"


def test_falls_back_to_v1_when_docker_has_no_compose_plugin() -> None:
    run = _runner(
        {
            "/usr/bin/docker compose version": (1, "docker: 'compose' is not a docker command."),
            "/usr/bin/docker-compose version": (0, "docker-compose version 1.29.2, build unknown"),
        }
    )
    cli = find_compose_cli(_which({"docker", "docker-compose"}), run)
    assert cli.argv == ("/usr/bin/docker-compose",)
    assert cli.spelling == "docker-compose"
    assert cli.version == "1.29.2"


def test_missing_compose_cli_is_one_clear_line() -> None:
    run = _runner(
        {
            "/usr/bin/docker compose version": subprocess.TimeoutExpired("docker", 30),
            "/usr/bin/docker-compose version": OSError("exec format error"),
        }
    )
    with pytest.raises(UserError) as raised:
        find_compose_cli(_which({"docker", "docker-compose"}), run)
    assert raised.value.line().startswith("the Docker Compose CLI is missing — install")
    with pytest.raises(UserError, match="Compose CLI is missing"):
        find_compose_cli(_which(set()), run)


def test_run_streams_redacted_lines_and_keeps_the_error(tmp_path: Path) -> None:
    cli = fake_compose(
        tmp_path,
        'echo "Creating x ... done"; echo "password=hunter22 leaked"; '
        'echo "ERROR: for temporal  Container is unhealthy." >&2; exit 1',
    )
    said: list[str] = []
    result = run_compose(
        cli, ["up", "-d"], cwd=tmp_path, env={}, secrets=[Secret("hunter22")], say=said.append
    )
    assert result.returncode == 1
    assert "hunter22" not in result.output
    assert not any("hunter22" in line for line in said)
    assert "  | Creating x ... done" in said
    assert result.last_error() == "ERROR: for temporal  Container is unhealthy."
    assert CommandResult(0, "").last_error() == "(no output)"
    assert CommandResult(0, "a\nb\n").last_error() == "b"


def test_capture_returns_output(tmp_path: Path) -> None:
    cli = fake_compose(tmp_path, 'echo "services: {}"')
    result = capture_compose(cli, ["config"], cwd=tmp_path, env={"POSTGRES_PUBLISHED_PORT": "1"})
    assert result.returncode == 0
    assert result.stdout.strip() == "services: {}"
