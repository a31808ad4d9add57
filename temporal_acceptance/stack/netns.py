"""A network namespace of the suite's own (`ip netns`), for a stack that must not reach the
host's network: its only interface is its own loopback, so a service listening on every
address (0.0.0.0, ::) there is reachable from nowhere else. The mutation runner runs such a
mutant's whole behave run inside one (`ip netns exec NAME …`) and deletes it afterwards.
Needs root and iproute2.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from temporal_acceptance.core.errors import UserError

PREFIX = "tacc-"


@dataclass(frozen=True)
class NetworkNamespace:
    name: str

    def __post_init__(self) -> None:
        if not self.name.startswith(PREFIX) or len(self.name) > 32:
            raise ValueError(
                f"a suite's namespace is named {PREFIX}…, ≤ 32 characters: {self.name!r}"
            )

    @staticmethod
    def _ip(*args: str) -> subprocess.CompletedProcess[str]:
        ip = shutil.which("ip")
        if ip is None:
            raise UserError("`ip` (iproute2) is missing", "install iproute2 to run netns mutants")
        return subprocess.run([ip, *args], capture_output=True, text=True, check=False)

    def create(self) -> None:
        """The namespace, with its loopback up (it starts down)."""
        for args in (("netns", "add", self.name), ("-n", self.name, "link", "set", "lo", "up")):
            done = self._ip(*args)
            if done.returncode != 0:
                self.delete()
                raise UserError(
                    f"could not create the network namespace {self.name}: {done.stderr.strip()}",
                    "run as root with iproute2, or leave this mutant out (--mutants)",
                )

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """`argv` run inside the namespace."""
        ip = shutil.which("ip") or "ip"
        return [ip, "netns", "exec", self.name, *argv]

    def delete(self) -> None:
        """Remove the namespace (only ever one this suite named); absent is fine."""
        self._ip("netns", "delete", self.name)
