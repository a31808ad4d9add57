"""Detached service processes: started into their own session, tracked by pid file.

The pid file also records the process start time (from /proc), so a recycled pid is never
mistaken for our service after a reboot or crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError, WaitTimeout
from temporal_acceptance.core.logs import read_log, tail
from temporal_acceptance.core.waiting import wait_until


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to run a service as (PostgreSQL refuses to run as root)."""

    user: str
    uid: int
    gid: int


def proc_start_time(pid: int, proc: Path = Path("/proc")) -> str | None:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), or None if gone/zombie."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    state, threads, start = fields[0], int(fields[17]), fields[19]
    # A multi-threaded program (Go servers) whose main thread has exited shows a zombie
    # leader while its other threads still run and hold its sockets: alive until the last.
    return None if state in ("Z", "X") and threads <= 1 else start


def descendants(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Every process below `pid` (children, their children, ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        parent = int(stat[stat.rfind(")") + 2 :].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


def _reap(pid: int) -> None:
    """Collect an exited child so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _exists(pid: int, proc: Path = Path("/proc")) -> bool:
    """Whether the process still has a /proc entry (a zombie has one until it is reaped;
    our own children are reaped here)."""
    _reap(pid)
    return (proc / str(pid)).exists()


class ServiceExited(UserError):
    """A service process is gone while we wait for it: waiting longer cannot help."""

    def __init__(self, name: str, log_file: Path) -> None:
        super().__init__(
            f"the {name} process is not running; its last error: {last_error(log_file)}",
            f"see {log_file}",
        )


def last_error(log_file: Path) -> str:
    """The newest error-level line of a service log (one line, shortened), for messages."""
    lines = read_log(log_file, log_file.stem)
    errors = [line.text for line in lines if line.is_error] or [line.text for line in lines]
    text = errors[-1].strip() if errors else "(no log output)"
    return text if len(text) <= 300 else text[:297] + "..."


@dataclass
class ManagedProcess:
    name: str
    pid_file: Path
    log_file: Path
    stop_signal: signal.Signals = signal.SIGTERM
    # The program refuses to start while its old pid still exists — even as a zombie not yet
    # reaped (PostgreSQL's lock file): after a kill, wait until it is reaped.
    reaped_before_restart: bool = False

    def pid(self) -> int | None:
        """The live pid of this service, or None."""
        try:
            pid_text, start = self.pid_file.read_text().split()
            pid = int(pid_text)
        except (FileNotFoundError, ValueError):
            return None
        _reap(pid)
        return pid if proc_start_time(pid) == start else None

    def running(self) -> bool:
        return self.pid() is not None

    def require_running(self) -> None:
        if self.pid() is None:
            raise ServiceExited(self.name, self.log_file)

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        run_as: RunAs | None = None,
    ) -> int:
        if (existing := self.pid()) is not None:
            return existing
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            try:
                process = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    start_new_session=True,
                    user=run_as.uid if run_as else None,
                    group=run_as.gid if run_as else None,
                    extra_groups=[] if run_as else None,
                )
            except OSError as exc:
                raise UserError(
                    f"could not start {self.name} ({argv[0]}): {exc.strerror}",
                    "check the binary exists and is executable",
                ) from exc
        start = proc_start_time(process.pid)
        if start is None:
            raise UserError(
                f"{self.name} exited immediately after start",
                f"see {self.log_file}:\n{tail(self.log_file)}",
            )
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(f"{process.pid} {start}\n")
        tmp.replace(self.pid_file)
        return process.pid

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the service to stop; SIGKILL it if it has not exited within `timeout`."""
        pid = self.pid()
        if pid is None:
            self._forget()
            return
        self._signal(pid, self.stop_signal)
        if not self._wait_gone(timeout):
            self._signal(pid, signal.SIGKILL)
            self._wait_gone(10.0)
        self._forget()

    def kill(self) -> None:
        """SIGKILL the service and every process it started, as a crash of the machine or
        container would, and wait until all of them are gone. (PostgreSQL's backends run in
        sessions of their own, so the process group alone would leave them behind, holding
        the shared memory a new postmaster refuses to start beside.)"""
        pid = self.pid()
        if pid is None:
            return
        family = [pid, *descendants(pid)]
        starts = {member: proc_start_time(member) for member in family}
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        for member in family:
            self._signal(member, signal.SIGKILL)
        with contextlib.suppress(WaitTimeout):
            wait_until(
                lambda: (
                    [m for m in family if starts[m] and proc_start_time(m) == starts[m]]
                    + ([pid] if self.reaped_before_restart and _exists(pid) else [])
                ),
                what=f"every process of {self.name} to exit",
                timeout=10.0,
                accept=lambda left: not left,
                max_delay=0.05,
            )
        self._forget()

    def freeze(self, seconds: float) -> None:
        """Stop the service and its children (SIGSTOP) for `seconds`, then let them go on
        (SIGCONT, always): a stalled host, for the late-timer mutant only."""
        pid = self.pid()
        if pid is None:
            return
        family = [pid, *descendants(pid)]
        for member in family:
            self._signal(member, signal.SIGSTOP)
        try:
            threading.Event().wait(seconds)
        finally:
            for member in family:
                self._signal(member, signal.SIGCONT)

    def _signal(self, pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    def _wait_gone(self, timeout: float) -> bool:
        try:
            wait_until(
                lambda: self.pid() is None,
                what=f"{self.name} to exit",
                timeout=timeout,
                max_delay=0.2,
            )
        except WaitTimeout:
            return False
        return True

    def _forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()
