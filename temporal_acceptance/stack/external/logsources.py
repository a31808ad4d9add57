"""Where an external deployment's service logs can be read: a file, or a command whose output
is the log (`docker logs --timestamps NAME`, `kubectl logs --timestamps deploy/NAME`,
`journalctl -u NAME -o short-iso`), read for a scenario's time window.

A command may name the window with `{since}` and `{until}` (RFC 3339, UTC), e.g.
`cmd:docker logs --timestamps --since {since} temporal`; without them its whole output is
read and cut to the window by each line's timestamp. Commands run without a shell.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, parse_collected, window
from temporal_acceptance.core.secrets import redact

COMMAND_TIMEOUT = 30.0
# Without {since}, a command's whole output is read: keep the last lines only.
MAX_LINES = 200_000


class LogSourceFailed(UserError):
    """A configured log source could not be read (the file is gone, the command failed)."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LogSource:
    """One service's log: `file:/path` or `cmd:program args...` (see the module doc)."""

    service: str
    spec: str

    @property
    def is_command(self) -> bool:
        return self.spec.startswith("cmd:")

    def describe(self) -> str:
        what = self.spec.removeprefix("cmd:").removeprefix("file:")
        return redact(f"command `{what}`" if self.is_command else f"file {what}")

    def argv(self, since: datetime | None, until: datetime | None) -> list[str]:
        now = datetime.now(UTC)
        start = since or now - timedelta(hours=1)
        values = {"since": _stamp(start), "until": _stamp((until or now) + timedelta(seconds=1))}
        return [part.format(**values) for part in shlex.split(self.spec.removeprefix("cmd:"))]

    def read(self, since: datetime | None = None, until: datetime | None = None) -> list[LogLine]:
        """The lines of the window (each line's own or its collector's timestamp)."""
        if self.is_command:
            text = self._run(since, until)
        else:
            path = Path(self.spec.removeprefix("file:"))
            try:
                text = path.read_text(errors="replace")
            except OSError as exc:
                raise LogSourceFailed(
                    f"cannot read the {self.service} log {path}: {exc.strerror}",
                    f"fix TACC_{self.service.upper()}_LOG",
                ) from None
        lines = text.splitlines()[-MAX_LINES:]
        parsed = sorted(parse_collected(lines, self.service), key=lambda line: line.ts)
        return window(parsed, since, until)

    def _run(self, since: datetime | None, until: datetime | None) -> str:
        argv = self.argv(since, until)
        try:
            result = subprocess.run(
                argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LogSourceFailed(
                f"the {self.service} log {self.describe()} did not run: {exc}",
                f"fix TACC_{self.service.upper()}_LOG",
            ) from None
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["(no message)"])[0]
            raise LogSourceFailed(
                f"the {self.service} log {self.describe()} exited {result.returncode}: "
                f"{redact(first)}",
                f"fix TACC_{self.service.upper()}_LOG",
            )
        # docker and kubectl write the container's stderr to their own stderr
        return result.stdout + "\n" + result.stderr
