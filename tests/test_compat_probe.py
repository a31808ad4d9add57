"""The probe the warning scenarios use: running the deploy command as a user does,
judging its outcome and advice, throw-away deployments, the recorded decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.checks import deploy_command as checks
from temporal_acceptance.cli import main as cli
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.probes import deploy_command as probe
from temporal_acceptance.stack.deploy import record, recorded


def test_probe_outcomes() -> None:
    refused = probe.CommandResult(("up",), 2, "", "error: no — fix\n")
    assert checks.outcome_problems(refused, "refuses with exit status 2") == []
    problems = checks.outcome_problems(refused, "proceeds quietly")
    assert "exit status 2, expected 0" in problems[0]
    warned = probe.CommandResult(("up",), 0, "", "warning: careful\nTraceback\n")
    assert "a traceback was printed" in checks.outcome_problems(warned, "proceeds with a warning")
    with pytest.raises(ValueError, match="unknown outcome"):
        checks.outcome_problems(refused, "explodes")


def test_probe_advice_and_message() -> None:
    result = probe.CommandResult(("up",), 0, "dry run: ok\n", "warning: x. use PostgreSQL 16 now")
    assert checks.advice_problems(result, "use PostgreSQL 16") == []
    assert "unexpected advice" in checks.advice_problems(result, "none")[0]
    assert "is missing" in checks.advice_problems(result, "give a major")[0]
    assert checks.message_problems(result, "dry run: ok") == []
    assert "was not told 'deployed'" in checks.message_problems(result, "deployed")[0]


def test_probe_argv_and_env(tmp_path: Path) -> None:
    forced = probe.deploy_argv("1.30.8", "12", tmp_path, forced=True)
    assert forced[-1] == "--force-version"
    assert "--force-version" not in probe.deploy_argv("1.30.8", "12", tmp_path)
    assert probe.clean_env({"TACC_FORCE_VERSION": "1", "PATH": "/bin"}) == {"PATH": "/bin"}


def test_probe_dry_run_in_process(tmp_path: Path) -> None:
    result = probe.dry_run(cli.main, probe.deploy_argv("1.30.8", "12", tmp_path / "s"))
    assert result.exit_status == 2
    assert result.lines("error:")[0].startswith("error: Temporal 1.30.8 on PostgreSQL 12")
    assert "(exit status 2)" in result.transcript()


def test_throwaway_deployment_and_leftovers(tmp_path: Path) -> None:
    throwaway = probe.throwaway_deployment()
    assert not throwaway.state_dir.exists()
    assert throwaway.temporal_port - 294 <= 32767
    assert probe.leftovers(throwaway.state_dir, throwaway.ports()) == []
    assert "--temporal-port" in throwaway.port_flags()
    assert probe.leftovers(tmp_path, []) == [f"state directory {tmp_path} exists"]
    assert checks.leftover_problems([]) == []
    assert "left things behind: port 1 is taken" in checks.leftover_problems(["port 1 is taken"])[0]


def test_recorded_decision_must_match_the_live_versions(tmp_path: Path) -> None:
    wanted = decide("1.30.8", 16)
    assert (
        "no compatibility decision is recorded in x"
        in checks.recorded_decision_problems(None, wanted, "x")[0]
    )
    record(tmp_path, decide("1.30.8", 15))
    recorded_15 = recorded(tmp_path)
    assert "recorded postgres_major 15, expected 16" in checks.recorded_decision_problems(
        recorded_15, wanted, "x"
    )
    record(tmp_path, wanted)
    assert checks.recorded_decision_problems(recorded(tmp_path), wanted, "x") == []


def test_a_taken_port_counts_only_when_this_deployment_or_nobody_known_holds_it(
    tmp_path: Path,
) -> None:
    import socket

    from temporal_acceptance.core.ports import port_owner_command

    state = tmp_path / "tacc-compat-x"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        # another stack beside it (its command names its own state directory)
        other = f"postgres -D {tmp_path}/stack-2/postgres/data"
        assert probe.leftovers(state, [port], owner=lambda _: other) == []
        ours = f"postgres -D {state}/postgres/data"
        assert probe.leftovers(state, [port], owner=lambda _: ours) == [
            f"port {port} is taken by {ours}"
        ]
        assert probe.leftovers(state, [port], owner=lambda _: None) == [f"port {port} is taken"]
        # the real owner: this test's own process
        command = port_owner_command(port)
        assert command is not None
        assert "pytest" in command or "python" in command
        assert probe.leftovers(state, [port]) == []
