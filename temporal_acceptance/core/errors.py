"""Errors meant for people: one line naming the problem and the fix."""

from __future__ import annotations


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
