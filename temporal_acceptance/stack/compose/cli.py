"""The Compose CLI: `docker compose` (v2 plugin) or `docker-compose` (v1), whichever exists.

Lifecycle commands (up, down, config) go through the CLI, exactly as a user would type
them; everything else uses the docker SDK.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.secrets import Secret, redact

Which = Callable[[str], str | None]
Runner = Callable[..., subprocess.CompletedProcess[str]]

INSTALL_HINT = (
    "install the compose v2 plugin (`docker compose`) or Debian's docker-compose "
    "(apt-get install docker-compose)"
)


@dataclass(frozen=True)
class ComposeCli:
    argv: tuple[str, ...]  # ("docker", "compose") or ("docker-compose",)
    version: str

    @property
    def spelling(self) -> str:
        return " ".join(Path(self.argv[0]).name if i == 0 else a for i, a in enumerate(self.argv))

    def describe(self) -> str:
        return f"{self.spelling} {self.version}"


def _version_of(output: str) -> str:
    """'2.29.7' from 'Docker Compose version v2.29.7'; a source build says 'dev'."""
    match = re.search(r"v?(\d+\.\d+\.\d+)", output)
    if match:
        return match[1]
    words = output.split()
    return words[-1] if words else "unknown"


def find_compose_cli(which: Which = shutil.which, run: Runner = subprocess.run) -> ComposeCli:
    """Prefer the v2 plugin; fall back to v1; a clear error when neither runs."""
    candidates: list[tuple[str, ...]] = []
    docker = which("docker")
    if docker:
        candidates.append((docker, "compose"))
    v1 = which("docker-compose")
    if v1:
        candidates.append((v1,))
    for argv in candidates:
        try:
            result = run(
                [*argv, "version"], capture_output=True, text=True, check=False, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if result.returncode == 0:
            return ComposeCli(argv, _version_of(result.stdout + result.stderr))
    raise UserError("the Docker Compose CLI is missing", INSTALL_HINT)


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str  # stdout and stderr interleaved, secrets redacted

    def last_error(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"error|failed|unhealthy", line, re.I)]
        return (errors or lines or ["(no output)"])[-1]


def run_compose(
    cli: ComposeCli,
    arguments: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    secrets: Sequence[Secret] = (),
    say: Say | None = stderr_say,
    timeout: float = 600.0,
) -> CommandResult:
    """Run one compose command; its progress lines go to `say` as they come (redacted)."""
    argv = [*cli.argv, *arguments]
    kept: deque[str] = deque(maxlen=200)
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        for raw in process.stdout or ():
            line = redact(raw.rstrip("\n"), secrets)
            kept.append(line)
            if say is not None and line.strip():
                say(f"  | {line}")
        returncode = process.wait(timeout=timeout)
    return CommandResult(returncode, "\n".join(kept))


def capture_compose(
    cli: ComposeCli, arguments: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a read-only compose command (config, version) and capture its output."""
    return subprocess.run(
        [*cli.argv, *arguments],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
