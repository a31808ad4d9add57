"""A preflight line: what each stage of reaching one endpoint saw, and where it stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from temporal_acceptance.clients.reach import Unreachable, resolve, tcp_connect
from temporal_acceptance.core.errors import UserError

OK, FATAL, FINDING, ABSENT = "✓", "✗", "!", "-"
MESSAGE_WIDTH = 240


class Stop(Exception):
    """A stage failed: what it saw and how to fix it."""

    def __init__(self, problem: str, fix: str = "", mark: str = FATAL) -> None:
        super().__init__(problem)
        self.problem, self.fix, self.mark = problem, fix, mark


@dataclass
class Line:
    name: str
    where: str
    seen: list[str] = field(default_factory=list)
    mark: str = OK
    problem: str = ""
    fix: str = ""

    @property
    def fatal(self) -> bool:
        return self.mark == FATAL

    def render(self) -> str:
        text = " · ".join([*self.seen, *([self.problem] if self.problem else [])])
        fix = f" — {self.fix}" if self.problem and self.fix else ""
        return f"{self.mark} {self.name:<20} {self.where}  {text}{fix}"


def short(text: object) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 3] + "..."


def run_stages(line: Line, stages: Callable[[Line], None]) -> Line:
    try:
        stages(line)
    except Stop as stop:
        line.mark, line.problem, line.fix = stop.mark, short(stop.problem), stop.fix
    except Unreachable as exc:
        line.mark, line.problem = FATAL, short(exc)
    return line


def reach(line: Line, host: str, port: int, fix: str) -> None:
    try:
        line.seen.append(f"resolves to {', '.join(resolve(host, port)[:2])}")
        line.seen.append(f"TCP {tcp_connect(host, port):.0f} ms")
    except Unreachable as exc:
        raise Stop(str(exc), fix) from None


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def run_source(line: Line, stages: Callable[[Line], None]) -> Line:
    try:
        return run_stages(line, stages)
    except UserError as exc:
        line.mark, line.problem, line.fix = FATAL, short(exc.problem), exc.fix
        return line
