"""Errors meant for people: one line naming the problem and the fix."""

from __future__ import annotations

import re


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2, no traceback."""

    exit_code = 2

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        return f"{self.problem} — {self.fix}" if self.fix else self.problem


class NotSupportedOnTarget(UserError):
    """An operation the current target cannot perform (e.g. restarting an external server)."""

    def __init__(self, operation: str, target: str, fix: str = "") -> None:
        super().__init__(
            f"{operation} is not supported on the {target} target",
            fix or "run disruptive scenarios against the native or compose target",
        )


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message names what was awaited and what was last seen."""


_LOG_PATH = re.compile(r"(/\S+\.log)\b")


def as_user_error(exc: BaseException) -> UserError | None:
    """The one line a person needs for an error that is not a UserError yet: a wait that ran
    out (WaitTimeout: what was awaited and last seen, and the log to read) or an OS error
    (the reason and the path). None for anything else (a bug: its traceback is worth
    seeing)."""
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, WaitTimeout):
        text = str(exc).strip()
        first = text.splitlines()[0] if text else "a bounded wait ran out"
        log = _LOG_PATH.search(text)
        fix = f"see {log.group(1)}" if log else "run again with --debug for the details"
        return UserError(first, fix)
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        return UserError(f"{reason}{where}", "check the path, its permissions and free space")
    return None
