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
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_acceptance import cli
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.compat.deploy import recorded
from temporal_acceptance.compat.detect import LiveVersions
from temporal_acceptance.errors import NotSupportedOnTarget
from temporal_acceptance.ports import port_is_free
from temporal_acceptance.settings import ENV_PREFIX, MAX_TEMPORAL_PORT, Settings
from temporal_acceptance.stack.native.temporal import TemporalPorts

FORCED_WORDS = "with the version check forced"
AS_IS_WORDS = "as is"
# An instruction in a message: "use PostgreSQL 16 …", "use Temporal 1.30.8 …", "give …".
_ADVICE = re.compile(r"\b(use (PostgreSQL|Temporal)|give) ")
# The outcomes a scenario can expect: (exit status, a warning line, an error line).
OUTCOMES = {
    "proceeds quietly": (0, False, False),
    "proceeds with a warning": (0, True, False),
    "refuses with exit status 2": (2, False, True),
}


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


def outcome_problems(result: CommandResult, outcome: str) -> list[str]:
    """What contradicts the expected outcome (empty when the command behaved so)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    status, warns, refuses = OUTCOMES[outcome]
    problems = []
    if result.exit_status != status:
        problems.append(f"exit status {result.exit_status}, expected {status}")
    if bool(result.lines("warning:")) != warns:
        problems.append("a warning was printed" if not warns else "no warning was printed")
    errors = result.lines("error:")
    if refuses and len(errors) != 1:
        problems.append(f"expected one 'error:' line, got {len(errors)}")
    if not refuses and errors:
        problems.append(f"unexpected error: {errors[0]}")
    if "Traceback" in result.output:
        problems.append("a traceback was printed")
    return [*problems, f"output was:\n{result.output}"] if problems else []


def advice_problem(result: CommandResult, advice: str) -> str | None:
    """None when the advice matches: 'none' means the user is given nothing to do."""
    if advice == "none":
        found = _ADVICE.search(result.output)
        return f"unexpected advice {found[0]!r} in:\n{result.output}" if found else None
    if advice not in result.output:
        return f"the advice {advice!r} is missing from:\n{result.output}"
    return None


def deploy_argv(temporal: str, postgres: str, how: str, state_dir: Path) -> list[str]:
    """The deploy command line for a requested pair; `how` says whether it is forced."""
    if how not in (FORCED_WORDS, AS_IS_WORDS):
        raise ValueError(f"unknown way to request a deployment: {how!r}")
    argv = ["up", "--temporal-version", temporal, "--postgres-version", postgres]
    argv += ["--state-dir", str(state_dir)]
    return [*argv, "--force-version"] if how == FORCED_WORDS else argv


def dry_run(argv: Sequence[str]) -> CommandResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main([*argv, "--dry-run"], env=clean_env())
    return CommandResult((*argv, "--dry-run"), status, out.getvalue(), err.getvalue())


def real_run(argv: Sequence[str]) -> CommandResult:
    result = subprocess.run(
        [sys.executable, "-m", "temporal_acceptance.cli", *argv],
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


def leftovers(state_dir: Path, ports: Sequence[int], host: str = "127.0.0.1") -> list[str]:
    """What a deployment left behind: the state directory, or ports now listening."""
    found = [f"state directory {state_dir} exists"] if state_dir.exists() else []
    found += [f"port {port} is taken" for port in ports if not port_is_free(port, host)]
    return found


def recorded_decision(settings: Settings, live: LiveVersions) -> dict[str, Any]:
    """The decision recorded with the running deployment, checked against the decision for
    the versions its servers really run; raises AssertionError when they differ."""
    if settings.target == "external":  # the suite did not deploy it: nothing was recorded
        raise NotSupportedOnTarget("recording the version decision", settings.target)
    expected = decide(live.temporal, live.postgres.major, settings.force_version)
    record = recorded(settings.state_dir)
    assert record is not None, f"no compatibility decision in {settings.state_dir}/stack.json"
    for key in ("outcome", "warning", "temporal_version", "postgres_major"):
        wanted = expected.as_record()[key]
        assert record[key] == wanted, f"recorded {key} {record[key]!r}, expected {wanted!r}"
    return record
