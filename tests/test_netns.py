"""The network namespace the listen-everywhere mutants run in: made with `ip netns add`,
loopback brought up, deleted whatever happens; and the driver's refusal outside one."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from temporal_acceptance.cli import main as cli
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack import netns
from temporal_acceptance.stack.native.seeded import interfaces, require_isolated_network


class FakeIp:
    def __init__(self, fail_on: str = "") -> None:
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(argv[1:])
        failed = bool(self.fail_on) and self.fail_on in " ".join(argv)
        return subprocess.CompletedProcess(
            argv, 1 if failed else 0, "", "RTNETLINK answers: Operation not permitted\n"
        )


def test_a_namespace_is_made_with_loopback_up_and_always_deleted() -> None:
    ip = FakeIp()
    with pytest.raises(RuntimeError), netns.network_namespace("tacc-x-1", ip):
        raise RuntimeError("the run failed")
    assert ip.calls == [
        ["netns", "add", "tacc-x-1"],
        ["-n", "tacc-x-1", "link", "set", "lo", "up"],
        ["netns", "delete", "tacc-x-1"],
    ]


def test_only_the_suites_namespaces_and_clear_errors() -> None:
    with (
        pytest.raises(UserError, match="'default' is not one of the suite's"),
        netns.network_namespace("default", FakeIp()),
    ):
        pass
    with (
        pytest.raises(UserError, match="`ip netns add tacc-y-1` failed: RTNETLINK answers"),
        netns.network_namespace("tacc-y-1", FakeIp(fail_on="add")),
    ):
        pass
    with pytest.raises(UserError, match="no command to run"):
        netns.run_isolated([], runner=FakeIp())
    assert netns.namespace_name("trust").startswith("tacc-trust-")


def test_listen_everywhere_is_refused_where_a_real_interface_exists() -> None:
    require_isolated_network("postgres-any-address", lambda: ["lo"])
    with pytest.raises(UserError, match="interfaces eth0, lo"):
        require_isolated_network("postgres-any-address", lambda: ["eth0", "lo"])
    assert "lo" in interfaces()


def test_the_isolated_command_runs_its_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(cli, "run_isolated", lambda argv, label: seen.append((argv, label)) or 3)
    assert cli.main(["isolated", "--label", "m", "--", "behave", "-D", "mutant=x"]) == 3
    assert seen == [(["behave", "-D", "mutant=x"], "m")]


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_a_real_namespace_has_loopback_and_nothing_else() -> None:
    only_lo = "import socket, sys; sys.exit([n for _, n in socket.if_nameindex()] != ['lo'])"
    assert netns.run_isolated(["python3", "-c", only_lo], "unit") == 0
    assert netns.run_isolated(["python3", "-c", "import sys; sys.exit(4)"], "unit") == 4
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert "tacc-unit-" not in listed.stdout  # deleted again
