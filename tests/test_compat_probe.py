"""The probe the warning scenarios use: running the deploy command as a user does,
judging its outcome and advice, throw-away deployments, the recorded decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.compat import probe
from temporal_acceptance.compat.decision import decide
from temporal_acceptance.compat.deploy import record
from temporal_acceptance.compat.detect import LiveVersions, PostgresVersion
from temporal_acceptance.errors import NotSupportedOnTarget
from temporal_acceptance.settings import Settings


def test_probe_outcomes() -> None:
    refused = probe.CommandResult(("up",), 2, "", "error: no — fix\n")
    assert probe.outcome_problems(refused, "refuses with exit status 2") == []
    problems = probe.outcome_problems(refused, "proceeds quietly")
    assert "exit status 2, expected 0" in problems[0]
    warned = probe.CommandResult(("up",), 0, "", "warning: careful\nTraceback\n")
    assert "a traceback was printed" in probe.outcome_problems(warned, "proceeds with a warning")
    with pytest.raises(ValueError, match="unknown outcome"):
        probe.outcome_problems(refused, "explodes")


def test_probe_advice() -> None:
    result = probe.CommandResult(("up",), 0, "dry run: ok\n", "warning: x. use PostgreSQL 16 now")
    assert probe.advice_problem(result, "use PostgreSQL 16") is None
    assert "unexpected advice" in str(probe.advice_problem(result, "none"))
    assert "is missing" in str(probe.advice_problem(result, "give a major"))


def test_probe_argv_and_env(tmp_path: Path) -> None:
    forced = probe.deploy_argv("1.30.8", "12", probe.FORCED_WORDS, tmp_path)
    assert forced[-1] == "--force-version"
    assert "--force-version" not in probe.deploy_argv("1.30.8", "12", probe.AS_IS_WORDS, tmp_path)
    with pytest.raises(ValueError, match="unknown way"):
        probe.deploy_argv("1.30.8", "12", "loudly", tmp_path)
    assert probe.clean_env({"TACC_FORCE_VERSION": "1", "PATH": "/bin"}) == {"PATH": "/bin"}


def test_probe_dry_run_in_process(tmp_path: Path) -> None:
    result = probe.dry_run(probe.deploy_argv("1.30.8", "12", probe.AS_IS_WORDS, tmp_path / "s"))
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


def test_recorded_decision_must_match_the_live_versions(tmp_path: Path) -> None:
    settings = Settings.load({"state_dir": str(tmp_path), "postgres_version": "16"}, env={})
    live = LiveVersions(PostgresVersion(160014, "16.14", 16), "1.30.8", "db", "fe")
    with pytest.raises(AssertionError, match="no compatibility decision"):
        probe.recorded_decision(settings, live)
    record(tmp_path, decide("1.30.8", 15))
    with pytest.raises(AssertionError, match="recorded postgres_major 15, expected 16"):
        probe.recorded_decision(settings, live)
    record(tmp_path, decide("1.30.8", 16))
    assert probe.recorded_decision(settings, live)["outcome"] == "supported"


def test_an_external_deployment_has_no_recorded_decision(tmp_path: Path) -> None:
    settings = Settings.load({"target": "external", "temporal_address": "h:7233"}, env={})
    live = LiveVersions(PostgresVersion(160014, "16.14", 16), "1.30.8", "db", "fe")
    with pytest.raises(NotSupportedOnTarget, match="not supported on the external target"):
        probe.recorded_decision(settings, live)
