"""Run the deploy command the way a user does and keep what they would see.

`dry_run` calls the CLI in-process with `up --dry-run` (fast: the warning scenarios start
nothing); `real_run` starts the CLI as its own process, to prove that a refused pair
creates and starts nothing. Both run without the caller's TACC_* variables: the scenario
states the whole request, so a TACC_FORCE_VERSION in the shell cannot change the answer.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.ports import port_is_free, port_owner_command
from temporal_acceptance.core.settings import ENV_PREFIX, MAX_TEMPORAL_PORT
from temporal_acceptance.core.versions import ui_for
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.native.temporal import TemporalPorts
from temporal_acceptance.stack.ownership import claim


def clean_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not k.startswith(ENV_PREFIX)}


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def transcript(self) -> str:
        return (
            f"$ temporal-acceptance {' '.join(self.argv)}\n{self.output}"
            f"(exit status {self.exit_status})"
        )

    def lines(self, prefix: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(prefix)]


def deploy_argv(temporal: str, postgres: str, state_dir: Path, forced: bool = False) -> list[str]:
    """The deploy command line for a requested pair, with the version check forced or not."""
    argv = ["up", "--temporal-version", temporal, "--postgres-version", postgres]
    argv += ["--state-dir", str(state_dir)]
    return [*argv, "--force-version"] if forced else argv


# The command line's entry point, passed in by the caller (the CLI is the package's top layer).
CommandMain = Callable[[Sequence[str], Mapping[str, str]], int]


def dry_run(main: CommandMain, argv: Sequence[str]) -> CommandResult:
    """Run the deploy command in-process with --dry-run, as a user would type it."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*argv, "--dry-run"], clean_env())
    return CommandResult((*argv, "--dry-run"), status, out.getvalue(), err.getvalue())


def real_run(argv: Sequence[str]) -> CommandResult:
    result = subprocess.run(
        [sys.executable, "-m", "temporal_acceptance.cli.main", *argv],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    return CommandResult(tuple(argv), result.returncode, result.stdout, result.stderr)


@dataclass(frozen=True)
class ThrowawayDeployment:
    """A state directory that does not exist yet and ports nothing listens on."""

    state_dir: Path
    postgres_port: int
    temporal_port: int
    ui_port: int

    def ports(self) -> list[int]:
        return [self.postgres_port, self.ui_port, *TemporalPorts(self.temporal_port).all().values()]

    def port_flags(self) -> list[str]:
        return [
            *("--postgres-port", str(self.postgres_port)),
            *("--temporal-port", str(self.temporal_port)),
            *("--ui-port", str(self.ui_port)),
        ]


def throwaway_deployment(host: str = "127.0.0.1") -> ThrowawayDeployment:
    state_dir = Path(tempfile.gettempdir()) / f"tacc-compat-{uuid.uuid4().hex[:12]}"
    for _ in range(50):
        temporal = random.randrange(20_333, MAX_TEMPORAL_PORT, 7)  # membership ports fit
        candidate = ThrowawayDeployment(state_dir, temporal - 1000, temporal, temporal - 2000)
        if all(port_is_free(port, host) for port in candidate.ports()):
            return candidate
    raise RuntimeError("found no free ports for a throwaway deployment in 50 tries")


def leftovers(
    state_dir: Path,
    ports: Sequence[int],
    host: str = "127.0.0.1",
    owner: Callable[[int], str | None] = port_owner_command,
) -> list[str]:
    """What a deployment left behind: the state directory, or ports now listening. A port
    taken by a process whose command line does not name the deployment's state directory
    (another stack beside it; every service the suite starts names its state directory)
    is not counted; one whose owner cannot be seen is."""
    found = [f"state directory {state_dir} exists"] if state_dir.exists() else []
    for port in ports:
        if port_is_free(port, host):
            continue
        command = owner(port)
        if command is None or str(state_dir) in command:
            found.append(f"port {port} is taken" + (f" by {command}" if command else ""))
    return found


def recorded_deployment(release: str) -> Path:
    """A state directory whose deployment record says its data was written by `release`
    (nothing runs there: the deploy and upgrade commands decide from the record)."""
    state_dir = throwaway_deployment().state_dir
    claim(state_dir)
    Layout(state_dir).record({"temporal_version": release, "ui_version": ui_for(release)})
    return state_dir


def release_argv(command: str, release: str, state_dir: Path) -> list[str]:
    """`up` (the deploy command) or `upgrade` asking for `release` on that deployment."""
    if command == "deploy":
        return deploy_argv(release, "16", state_dir)
    if command == "upgrade":
        return ["upgrade", "--to", release, "--state-dir", str(state_dir)]
    raise ValueError(f"unknown command {command!r}; use deploy or upgrade")
