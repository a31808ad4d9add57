"""Fakes at the docker SDK boundary: containers and images as the SDK shows them (attrs,
labels, status), a client whose list() honours label filters, and a fake Compose CLI."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors

from temporal_acceptance.stack.compose.cli import ComposeCli

PROJECT = "tacc-unit"


@dataclass
class FakeContainer:
    name: str
    service: str
    project: str = PROJECT
    running: bool = True
    health: str | None = "healthy"
    exit_code: int = 0
    env: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    ports: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    created: str = "2026-11-25T10:00:00Z"
    oneoff: bool = False
    log_bytes: bytes = b""
    config_files: str = ""
    image: str = "temporal-acceptance/server:1.30.8"
    calls: list[tuple[str, Any]] = field(default_factory=list)
    deployment: str = ""  # io.temporal-acceptance.deployment (the suite's mark)
    stop_timeout: int | None = None  # Config.StopTimeout (compose's stop_grace_period)

    @property
    def labels(self) -> dict[str, str]:
        labels = {
            "com.docker.compose.project": self.project,
            "com.docker.compose.service": self.service,
            "com.docker.compose.oneoff": "True" if self.oneoff else "False",
            "io.temporal-acceptance.deployment": self.deployment,
        }
        if self.config_files:
            labels["com.docker.compose.project.config_files"] = self.config_files
        return labels

    @property
    def status(self) -> str:
        return "running" if self.running else "exited"

    @property
    def attrs(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Running": self.running,
            "Status": self.status,
            "ExitCode": 0 if self.running else self.exit_code,
            "Pid": 4242 if self.running else 0,
        }
        if self.health is not None:
            state["Health"] = {"Status": self.health}
        return {
            "Created": self.created,
            "State": state,
            "Config": {
                "Env": [f"{k}={v}" for k, v in self.env.items()],
                "Hostname": self.name[:12],
                "Image": self.image,
                **({} if self.stop_timeout is None else {"StopTimeout": self.stop_timeout}),
            },
            "NetworkSettings": {
                "Ports": self.ports,
                "Networks": {f"{self.project}_default": {"Aliases": self.aliases}},
            },
        }

    def reload(self) -> None:
        self.calls.append(("reload", None))

    def logs(self, **options: Any) -> bytes:
        self.calls.append(("logs", options))
        return self.log_bytes

    def stop(self, timeout: int = 10) -> None:
        self.calls.append(("stop", timeout))
        self.running = False

    def start(self) -> None:
        self.calls.append(("start", None))
        self.running = True

    def kill(self, signal: str = "SIGKILL") -> None:
        self.calls.append(("kill", signal))
        self.running = False
        self.exit_code = 137


@dataclass
class FakeImage:
    id: str
    labels: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    @property
    def attrs(self) -> dict[str, Any]:
        return {"Config": {"Labels": self.labels}}

    def tag(self, repository: str, tag: str) -> None:
        self.tags.append(f"{repository}:{tag}")


class FakeImages:
    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.present: dict[str, FakeImage] = {}
        self.pull_error: str | None = None
        self.pulled: list[str] = []
        self.pruned_with: dict[str, Any] | None = None
        self.protected: set[str] = set()

    def get(self, reference: str) -> FakeImage:
        if reference not in self.present:
            raise docker.errors.ImageNotFound(f"No such image: {reference}")
        return self.present[reference]

    def prune(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        self.pruned_with = filters
        return {"SpaceReclaimed": 5_000_000}

    def list(self, name: str = "") -> list[FakeImage]:
        for reference, image in self.present.items():
            if reference not in image.tags:
                image.tags.append(reference)
        return [i for r, i in self.present.items() if r.startswith(f"{name}:")]

    def remove(self, reference: str) -> None:
        if reference in self.protected:
            raise docker.errors.APIError("conflict: image has dependent child images")
        self.present.pop(reference, None)

    def pull(self, repository: str, tag: str = "latest") -> FakeImage:
        reference = f"{repository}:{tag}"
        if self.pull_error is not None:
            raise docker.errors.APIError(self.pull_error, explanation=self.pull_error)
        self.pulled.append(reference)
        self.present[reference] = FakeImage(f"sha256:{len(self.present)}")
        return self.present[reference]


class FakeContainers:
    def __init__(self) -> None:
        self.all: list[FakeContainer] = []

    def list(self, **options: Any) -> list[Any]:
        """Like the SDK: running containers unless all=True, filtered by labels."""
        wanted = (options.get("filters") or {}).get("label", [])
        pairs = [item.split("=", 1) for item in ([wanted] if isinstance(wanted, str) else wanted)]
        return [
            container
            for container in self.all
            if (options.get("all") or container.running)
            and all(container.labels.get(key) == value for key, value in pairs)
        ]


class FakeApi:
    def __init__(self) -> None:
        self.builds: list[dict[str, Any]] = []
        self.imports: list[dict[str, Any]] = []
        self.build_chunks: list[dict[str, Any]] = [{"stream": "Step 1/2 : FROM base\n"}]
        self.client: FakeClient | None = None

    def build(self, **options: Any) -> Any:
        options["context_bytes"] = options["fileobj"].read()
        self.builds.append(options)
        if self.client is not None and not any("error" in c for c in self.build_chunks):
            labels = options.get("labels") or {}
            self.client.images.present[options["tag"]] = FakeImage("sha256:built", labels)
        return iter(self.build_chunks)

    def import_image_from_file(self, filename: str, **options: Any) -> None:
        self.imports.append({"filename": filename, **options})
        if self.client is not None:
            reference = f"{options['repository']}:{options['tag']}"
            self.client.images.present[reference] = FakeImage("sha256:base")


@dataclass
class FakeVolume:
    name: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def attrs(self) -> dict[str, Any]:
        return {"Name": self.name, "Labels": self.labels}


class FakeVolumes:
    def __init__(self) -> None:
        self.all: list[FakeVolume] = []

    def list(self, filters: dict[str, Any] | None = None) -> list[FakeVolume]:
        wanted = (filters or {}).get("label", [])
        pairs = [item.split("=", 1) for item in ([wanted] if isinstance(wanted, str) else wanted)]
        return [v for v in self.all if all(v.labels.get(k) == value for k, value in pairs)]


@dataclass
class FakeNetwork:
    name: str
    subnets: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def attrs(self) -> dict[str, Any]:
        config = [{"Subnet": subnet, "Gateway": ""} for subnet in self.subnets]
        return {"Name": self.name, "Labels": self.labels, "IPAM": {"Config": config}}


class FakeNetworks:
    def __init__(self) -> None:
        # Docker's own: the default bridge (its subnet) and two without any.
        self.all = [
            FakeNetwork("bridge", ["172.17.0.0/16"]),
            FakeNetwork("host"),
            FakeNetwork("none"),
        ]

    def list(self) -> list[FakeNetwork]:
        return list(self.all)


class FakeClient:
    def __init__(self) -> None:
        self.networks = FakeNetworks()
        self.volumes = FakeVolumes()
        self.containers = FakeContainers()
        self.images = FakeImages(self)
        self.api = FakeApi()
        self.api.client = self

    def ping(self) -> bool:
        return True


def fake_compose(tmp_path: Path, body: str = 'echo "compose $*"') -> ComposeCli:
    """A compose 'binary' (shell script) that records its arguments and selected env."""
    script = tmp_path / "fake-compose"
    record = tmp_path / "compose-calls.txt"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s|%s\\n" "$*" "$POSTGRES_PUBLISHED_PORT" >> "{record}"\n' + body + "\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return ComposeCli((str(script),), "1.29.2")


def compose_calls(tmp_path: Path) -> list[str]:
    record = tmp_path / "compose-calls.txt"
    return record.read_text().splitlines() if record.exists() else []
