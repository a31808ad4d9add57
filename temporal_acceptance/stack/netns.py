"""A network namespace of the suite's own, for the mutants that listen on every address.

`ip netns add` makes a namespace whose only interface is its own loopback; the mutant's
whole behave run goes in it (`ip netns exec`), so "every address" is that loopback and no
real host address is ever bound. Processes keep the namespace alive after it is deleted:
bring the stack down (`temporal-acceptance down`, from anywhere: it signals pids) before the
namespace goes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from temporal_acceptance.core.errors import UserError

Runner = Callable[..., subprocess.CompletedProcess[str]]
PREFIX = "tacc-"


def namespace_name(label: str = "") -> str:
    return f"{PREFIX}{label or 'isolated'}-{os.getpid()}"


def _ip(runner: Runner, *arguments: str) -> None:
    ip = shutil.which("ip")
    if ip is None:
        raise UserError(
            "`ip` (iproute2) is needed for a network namespace and is missing",
            "install it: apt-get install iproute2",
        )
    result = runner([ip, *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise UserError(
            f"`ip {' '.join(arguments)}` failed: {reason[-1]}",
            "network namespaces need root (or CAP_SYS_ADMIN) and iproute2",
        )


@contextmanager
def network_namespace(name: str, runner: Runner = subprocess.run) -> Iterator[str]:
    """A fresh namespace with only `lo`, up; deleted afterwards, whatever happened."""
    if not name.startswith(PREFIX):
        raise UserError(f"namespace {name!r} is not one of the suite's", f"start it with {PREFIX}")
    _ip(runner, "netns", "add", name)
    try:
        _ip(runner, "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        _ip(runner, "netns", "delete", name)


def run_isolated(argv: Sequence[str], label: str = "", runner: Runner = subprocess.run) -> int:
    """Run a command inside a namespace of its own; its exit status."""
    if not argv:
        raise UserError("no command to run in the network namespace", "give one after --")
    with network_namespace(namespace_name(label), runner) as name:
        completed = subprocess.run(["ip", "netns", "exec", name, *argv], check=False)
        return completed.returncode
