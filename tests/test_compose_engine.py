"""The docker SDK boundary: engine errors people can act on, containers found by compose
labels, container environment and ports, docker's log timestamps."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docker_fakes import FakeClient, FakeContainer

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack.compose.engine import (
    ENGINE_STOP_TIMEOUT,
    connect_engine,
    engine_error,
    grace_period,
    network_names,
    parse_docker_logs,
    parse_docker_timestamp,
    parse_env,
    published_port,
    service_containers,
    state_of,
)

SOCK = "unix:///var/run/docker.sock"


@pytest.mark.parametrize(
    ("error", "installed", "expected"),
    [
        (
            "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))",
            False,
            "the Docker engine is not installed (no unix:///var/run/docker.sock) — install it",
        ),
        (
            "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))",
            True,
            "the Docker engine is not running (no unix:///var/run/docker.sock) — start it",
        ),
        (
            "('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))",
            True,
            "the Docker engine is not running (nothing answers at",
        ),
        (
            "('Connection aborted.', PermissionError(13, 'Permission denied'))",
            True,
            "no permission to use the Docker engine at unix:///var/run/docker.sock — run as root",
        ),
        ("certificate verify failed\nmore", True, "cannot reach the Docker engine at"),
    ],
)
def test_engine_errors_are_one_actionable_line(error: str, installed: bool, expected: str) -> None:
    problem = engine_error(Exception(error), SOCK, installed)
    assert problem.line().startswith(expected)
    assert "\n" not in problem.line()
    assert problem.exit_code == 2


def test_real_sdk_without_an_engine_says_not_running_or_not_installed(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/docker.sock"
    with pytest.raises(UserError, match="the Docker engine is not installed"):
        connect_engine({"DOCKER_HOST": missing, "PATH": str(tmp_path)})
    (tmp_path / "dockerd").write_text("#!/bin/sh\n")
    (tmp_path / "dockerd").chmod(0o755)
    with pytest.raises(UserError, match="the Docker engine is not running"):
        connect_engine({"DOCKER_HOST": missing, "PATH": str(tmp_path)})
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(dead))  # a socket nobody listens on: refused
        with pytest.raises(UserError, match="nothing answers at"):
            connect_engine({"DOCKER_HOST": f"unix://{dead}", "PATH": str(tmp_path)})


def test_containers_found_by_project_and_service_labels() -> None:
    client = FakeClient()
    old = FakeContainer("p_temporal_1", "temporal", running=False, created="2026-11-25T09:00:00Z")
    new = FakeContainer("p_temporal_2", "temporal", created="2026-11-25T10:00:00Z")
    client.containers.all = [
        old,
        new,
        FakeContainer("p_temporal_run", "temporal", oneoff=True),
        FakeContainer("other_temporal_1", "temporal", project="other"),
        FakeContainer("p_ui_1", "temporal-ui"),
    ]
    found = service_containers(client, "tacc-unit", "temporal")
    assert [c.name for c in found] == ["p_temporal_2", "p_temporal_1"]
    assert service_containers(client, "tacc-unit", "nothing") == []


def test_environment_ports_names_and_state() -> None:
    assert parse_env(["A=1", "B=x=y", "EMPTY=", "NOEQUALS"]) == {"A": "1", "B": "x=y", "EMPTY": ""}
    assert parse_env(None) == {}
    container = FakeContainer(
        "p_postgresql_1",
        "postgresql",
        aliases=["postgresql", "abc123"],
        ports={"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "55500"}], "9/tcp": []},
    )
    assert published_port(container, 5432) == ("127.0.0.1", 55500)
    assert published_port(container, 9) is None
    assert published_port(container, 1234) is None
    assert {"postgresql", "abc123", "p_postgresql_1"} <= network_names(container)
    assert state_of(container) == (True, "healthy", "running, healthy")
    container.running, container.exit_code, container.health = False, 3, None
    assert state_of(container) == (False, None, "exited (exit code 3)")


def test_docker_timestamps_keep_microseconds_and_zones() -> None:
    assert parse_docker_timestamp("2026-11-25T14:44:50.839752345Z") == datetime(
        2026, 11, 25, 14, 44, 50, 839752, UTC
    )
    assert parse_docker_timestamp("2026-11-25T16:44:50.5+02:00") == datetime(
        2026, 11, 25, 14, 44, 50, 500000, UTC
    )
    assert parse_docker_timestamp("2026-11-25T14:44:50Z").microsecond == 0
    with pytest.raises(ValueError, match="not a docker log timestamp"):
        parse_docker_timestamp("yesterday")


def test_docker_log_lines_take_docker_time_and_the_service_level() -> None:
    raw = (
        b"2026-11-25T14:00:00.100000000Z 2026-11-25 14:00:00.099 UTC [1] FATAL:  no\n"
        b'2026-11-25T14:00:01.000000000Z {"level":"warn","ts":"2026-11-25T13:00:00Z","msg":"x"}\n'
        b"a line without docker's prefix\n"
        b"2026-11-25T14:00:02.000000000Z \n"
        b"2026-11-25T14:00:03.000000000Z plain text\n"
    )
    lines = parse_docker_logs(raw, "temporal")
    assert [(line.level, line.ts.second) for line in lines] == [
        ("fatal", 0),
        ("warn", 1),  # docker's time wins over the record's own ts
        ("warn", 1),  # continuation inherits
        ("", 3),
    ]
    assert lines[0].is_error
    assert lines[0].service == "temporal"
    assert parse_docker_logs("no prefix at all\n", "ui") == []


@pytest.mark.parametrize(
    ("declared", "expected"),
    [(None, ENGINE_STOP_TIMEOUT), (30, 30), (0, 0), (-1, ENGINE_STOP_TIMEOUT)],
)
def test_the_grace_period_is_the_containers_own_else_the_engines(
    declared: int | None, expected: int
) -> None:
    container = FakeContainer("p_temporal_1", "temporal", stop_timeout=declared)
    assert grace_period(container) == expected
