"""The Docker engine through the docker SDK: connecting (with errors people can act on),
finding a compose project's containers by their labels, reading their environment and logs.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, parse_line, window

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
NETWORK_LABEL = "com.docker.compose.network"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"

START_HINT = "start it: `dockerd > /var/log/dockerd.log 2>&1 &` (or `systemctl start docker`)"
INSTALL_HINT = "install it (Debian: apt-get install docker.io), then " + START_HINT


class ContainerLike(Protocol):
    """What the suite uses of docker.models.containers.Container (fakes implement it)."""

    name: str
    attrs: dict[str, Any]

    @property
    def labels(self) -> dict[str, str]: ...

    @property
    def status(self) -> str: ...

    def reload(self) -> None: ...


def engine_error(exc: BaseException, docker_host: str, dockerd_installed: bool) -> UserError:
    """Turn the SDK's connection failure into one line that says what to do."""
    text = str(exc)
    if "No such file or directory" in text or "FileNotFoundError" in text:
        if not dockerd_installed:
            return UserError(f"the Docker engine is not installed (no {docker_host})", INSTALL_HINT)
        return UserError(f"the Docker engine is not running (no {docker_host})", START_HINT)
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return UserError(
            f"the Docker engine is not running (nothing answers at {docker_host})", START_HINT
        )
    if "Permission denied" in text or "PermissionError" in text:
        return UserError(
            f"no permission to use the Docker engine at {docker_host}",
            "run as root or add your user to the docker group",
        )
    reason = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return UserError(
        f"cannot reach the Docker engine at {docker_host}: {reason}",
        "check DOCKER_HOST and that dockerd is running",
    )


def connect_engine(environ: Mapping[str, str]) -> Any:
    """A docker SDK client that has answered a ping, or a UserError saying why not."""
    import docker  # noqa: PLC0415 (only the compose target needs the SDK)

    docker_host = environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
    try:
        client = docker.DockerClient(base_url=docker_host, version="auto", timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        installed = shutil.which("dockerd", path=environ.get("PATH")) is not None
        raise engine_error(exc, docker_host, installed) from None
    return client


def service_containers(client: Any, project: str, service: str) -> list[Any]:
    """The containers compose made for `service` (not `compose run` one-offs), the running
    and most recently created first."""
    found = client.containers.list(
        all=True,
        filters={"label": [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={service}"]},
    )
    mine = [
        c
        for c in found
        if c.labels.get(PROJECT_LABEL) == project
        and c.labels.get(SERVICE_LABEL) == service
        and c.labels.get(ONEOFF_LABEL, "False") != "True"
    ]
    return sorted(
        mine,
        key=lambda c: (c.status == "running", str(c.attrs.get("Created", ""))),
        reverse=True,
    )


def network_subnets(client: Any, project: str) -> tuple[dict[str, list[str]], list[str]]:
    """(every other network's IPAM subnets by name, the subnets of `project`'s own default
    network): what `up` needs to pick a subnet Docker will not refuse."""
    others: dict[str, list[str]] = {}
    own: list[str] = []
    for network in client.networks.list():
        attrs = network.attrs or {}
        subnets = [
            str(entry["Subnet"])
            for entry in (attrs.get("IPAM") or {}).get("Config") or []
            if entry.get("Subnet")
        ]
        labels = attrs.get("Labels") or {}
        if network.name == f"{project}_default" or (
            labels.get(PROJECT_LABEL) == project and labels.get(NETWORK_LABEL) == "default"
        ):
            own += subnets
        elif subnets:
            others[network.name] = subnets
    return others, own


def parse_env(entries: Iterable[str] | None) -> dict[str, str]:
    """A container's Config.Env (["KEY=value", ...]) as a dict."""
    env: dict[str, str] = {}
    for entry in entries or ():
        key, sep, value = entry.partition("=")
        if sep:
            env[key] = value
    return env


def published_port(container: ContainerLike, port: int) -> tuple[str, int] | None:
    """Where the host reaches a container's TCP `port`, if it is published."""
    bindings = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in bindings.get(f"{port}/tcp") or []:
        host_port = str(binding.get("HostPort", ""))
        if host_port.isdigit():
            return (binding.get("HostIp") or "0.0.0.0", int(host_port))  # noqa: S104
    return None


def network_names(container: ContainerLike) -> set[str]:
    """Every name other containers on its networks can use for it (aliases, name, id)."""
    names = {container.name}
    networks = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    for network in networks.values():
        names.update(network.get("Aliases") or [])
    config_host = (container.attrs.get("Config") or {}).get("Hostname")
    if config_host:
        names.add(config_host)
    return names


# What the engine gives a container to stop after SIGTERM when it declares no grace period
# (`docker stop`'s and compose's default).
ENGINE_STOP_TIMEOUT = 10


def grace_period(container: ContainerLike) -> int:
    """The seconds a container is given to stop after SIGTERM before the engine kills it:
    its own StopTimeout (compose sets it from the file's `stop_grace_period`), else the
    engine's default. The suite stops containers as `docker stop` and compose do."""
    declared = (container.attrs.get("Config") or {}).get("StopTimeout")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared >= 0:
        return declared
    return ENGINE_STOP_TIMEOUT


def state_of(container: ContainerLike) -> tuple[bool, str | None, str]:
    """(running, docker health or None when it has no healthcheck, one-line state)."""
    state = container.attrs.get("State") or {}
    running = bool(state.get("Running"))
    health = (state.get("Health") or {}).get("Status")
    if running:
        line = f"running{f', {health}' if health else ''}"
    else:
        line = f"{state.get('Status', 'unknown')} (exit code {state.get('ExitCode', '?')})"
    return running, health, line


_DOCKER_TS = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d\d:\d\d)$"
)


def parse_docker_timestamp(text: str) -> datetime:
    """Docker's RFC 3339 log timestamp (nanoseconds) as an aware datetime (microseconds)."""
    match = _DOCKER_TS.match(text.strip())
    if not match:
        raise ValueError(f"not a docker log timestamp: {text!r}")
    fraction = (match["frac"] or "0")[:6].ljust(6, "0")
    tz = "+00:00" if match["tz"] == "Z" else match["tz"]
    return datetime.fromisoformat(f"{match['date']}.{fraction}{tz}").astimezone(UTC)


def parse_docker_logs(raw: bytes | str, service: str) -> list[LogLine]:
    """Lines of `docker logs --timestamps`: docker's timestamp, the service's own level."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    lines: list[LogLine] = []
    for line in text.splitlines():
        stamp, _, message = line.partition(" ")
        try:
            ts = parse_docker_timestamp(stamp)
        except ValueError:
            if lines:  # a line without docker's prefix continues the previous one
                last = lines[-1]
                lines.append(LogLine(last.ts, service, last.level, line))
            continue
        if not message.strip():
            continue
        lines.append(LogLine(ts, service, parse_line(message)[1], message))
    return lines


def container_log(
    container: Any, service: str, since: datetime | None, until: datetime | None
) -> list[LogLine]:
    """A container's log lines between `since` and `until` (none without a container).
    Docker takes whole seconds: ask for a window that covers the request, then cut it to the
    exact times with docker's own per-line timestamps."""
    if container is None:
        return []
    options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
    if since is not None:
        options["since"] = max(1, math.floor(since.timestamp()))
    if until is not None:
        options["until"] = math.ceil(until.timestamp()) + 1
    return window(parse_docker_logs(container.logs(**options), service), since, until)
