"""The deploy command's version flags: refuse an unsupported pair before anything starts
(exit 2), proceed and record the warning when forced, warn on an untested pair; the
settings behind them; `compat report`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from temporal_acceptance.cli import main as cli
from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import MAX_TEMPORAL_PORT, Settings
from temporal_acceptance.core.versions import DEFAULT_TEMPORAL_VERSION as DEFAULT
from temporal_acceptance.stack.base import Service, ServiceStatus, Stack
from temporal_acceptance.stack.deploy import compatibility_facts, deploy, recorded


class FakeStack(Stack):
    """Records what the deploy command asked of it; starts nothing."""

    target = "native"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calls: list[str] = []

    def up(self) -> None:
        self.calls.append("up")

    def down(self, purge: bool = False) -> None:
        self.calls.append("down")

    def stop(self, service: Service) -> None: ...

    def start(self, service: Service) -> None: ...

    def kill(self, service: Service) -> None: ...

    def status(self, service: Service) -> ServiceStatus:
        return ServiceStatus(service, running=True, healthy=True, detail="fake")

    def logs(
        self, service: Service, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        return []

    def endpoints(self) -> Endpoints:
        return Endpoints("127.0.0.1:1", "default", "http://x", "127.0.0.1", 2, "t", Secret("s3"))

    def datastores(self) -> list[DataStore]:
        return []


@pytest.fixture
def stacks(monkeypatch: pytest.MonkeyPatch) -> list[FakeStack]:
    made: list[FakeStack] = []

    def make(settings: Settings, *args: Any) -> FakeStack:
        made.append(FakeStack(settings))
        return made[-1]

    monkeypatch.setattr(cli, "make_stack", make)
    return made


def _up(state: Path, *flags: str, env: dict[str, str] | None = None) -> int:
    return cli.main(["up", "--state-dir", str(state), *flags], env=env or {})


def test_unsupported_pair_is_refused_and_nothing_is_started(
    tmp_path: Path, stacks: list[FakeStack], capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert _up(state, "--postgres-version", "12") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: Temporal {DEFAULT} on PostgreSQL 12 is unsupported — ")
    assert "--force-version" in err[0]
    assert not stacks, "a refused pair must not even build a stack"
    assert not state.exists()


def test_forced_pair_proceeds_and_records_the_warning(
    tmp_path: Path, stacks: list[FakeStack], capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert _up(state, "--postgres-version", "12", "--force-version") == 0
    assert stacks[0].calls == ["up"]
    captured = capsys.readouterr()
    assert captured.err.startswith(f"warning: Temporal {DEFAULT} on PostgreSQL 12 is unsupported")
    record = json.loads((state / "stack.json").read_text())["compatibility"]
    assert record["outcome"] == "forced"
    assert "--force-version was given" in record["warning"]
    assert f"versions  warning: Temporal {DEFAULT} on PostgreSQL 12" in captured.out


def test_force_can_come_from_the_environment(tmp_path: Path, stacks: list[FakeStack]) -> None:
    assert _up(tmp_path / "s", "--postgres-version", "12", env={"TACC_FORCE_VERSION": "yes"}) == 0
    assert stacks[0].calls == ["up"]


def test_untested_pair_proceeds_with_a_warning(
    tmp_path: Path, stacks: list[FakeStack], capsys: pytest.CaptureFixture[str]
) -> None:
    # Every cell of 1.29–1.32 is observed; a line outside the matrix is untested.
    assert _up(tmp_path / "s", "--temporal-version", "1.33.0", "--postgres-version", "18") == 0
    assert stacks[0].calls == ["up"]
    assert capsys.readouterr().err.startswith(
        "warning: Temporal 1.33.0 on PostgreSQL 18 is untested"
    )
    assert recorded(tmp_path / "s")["outcome"] == "untested"  # type: ignore[index]


def test_supported_pair_deploys_quietly_through_the_deploy_alias(
    tmp_path: Path, stacks: list[FakeStack], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["deploy", "--state-dir", str(tmp_path / "s")], env={}) == 0
    assert stacks[0].calls == ["up"]
    assert capsys.readouterr().err == ""


def test_dry_run_says_what_would_happen_and_starts_nothing(
    tmp_path: Path, stacks: list[FakeStack], capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s"
    assert _up(state, "--postgres-version", "16", "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"Temporal {DEFAULT} on PostgreSQL 16 is supported" in out
    assert "nothing was started" in out
    # The stack object is made (it says which versions the target really deploys), and
    # nothing is asked of it.
    assert all(not stack.calls for stack in stacks)
    assert not state.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--postgres-version", ""], "--postgres-version was given an empty value"),
        (["--postgres-version", "16.4"], "names a minor release"),
        (["--temporal-version", "latest", "--force-version"], "is not of the form X.Y.Z"),
        (["--temporal-port", "37233"], "temporal_port 37233 is too high"),
        (["--temporal-port", "300"], "temporal_port 300 is too low"),
    ],
)
def test_malformed_input_is_one_line_exit_2(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _up(tmp_path / "s", *flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]


def test_force_version_setting_is_a_strict_yes_no() -> None:
    assert Settings.load({"force_version": "on"}, env={}).force_version
    assert not Settings.load({}, env={"TACC_FORCE_VERSION": "0"}).force_version
    with pytest.raises(UserError, match="is not a yes/no value"):
        Settings.load({"force_version": "maybe"}, env={})


def test_highest_valid_frontend_port_keeps_membership_in_a_smallint() -> None:
    settings = Settings.load({"temporal_port": str(MAX_TEMPORAL_PORT)}, env={})
    assert settings.temporal_port + 6 - 300 == 32767


def test_deploy_records_before_bringing_the_stack_up(tmp_path: Path) -> None:
    settings = Settings.load({"state_dir": str(tmp_path / "s"), "postgres_version": "17"}, env={})
    stack = FakeStack(settings)
    said: list[str] = []
    decision = deploy(settings, stack, said.append)
    assert stack.calls == ["up"]
    assert said == []  # 17 on the default line is supported (observed): nothing to warn
    assert recorded(settings.state_dir)["outcome"] == str(decision.outcome)  # type: ignore[index]


def test_compatibility_facts_for_the_report(tmp_path: Path) -> None:
    assert "not recorded" in compatibility_facts(tmp_path)["Version compatibility"]
    settings = Settings.load(
        {"state_dir": str(tmp_path), "postgres_version": "12", "force_version": "true"}, env={}
    )
    deploy(settings, FakeStack(settings), lambda _: None)
    facts = compatibility_facts(tmp_path)
    assert facts["Version compatibility"].startswith("forced: PostgreSQL 12 is end of life")
    assert "--force-version was given" in facts["Version warning"]


# ---------------------------------------------------------------- compat report


def test_compat_report_writes_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, observations = tmp_path / "COMPATIBILITY.md", tmp_path / "none.json"
    args = ["compat", "report", "--output", str(output), "--observations", str(observations)]
    assert cli.main([*args, "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert cli.main(args) == 0
    assert "No observations yet" in output.read_text()
    assert cli.main([*args, "--check"]) == 0
    output.write_text(output.read_text() + "edited by hand\n")
    assert cli.main([*args, "--check"]) == 1


def test_the_committed_document_matches_the_committed_data() -> None:
    repo = Path(__file__).resolve().parents[1]
    argv = [
        "compat",
        "report",
        "--check",
        "--output",
        str(repo / "docs/COMPATIBILITY.md"),
        "--observations",
        str(repo / "docs/compatibility-observations.json"),
    ]
    assert cli.main(argv) == 0, "run `temporal-acceptance compat report` and commit the result"


def test_the_gate_judges_the_versions_the_target_really_deploys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A compose project's .env can choose PostgreSQL 12 while the settings say 16."""

    def make(settings: Settings, *args: Any) -> FakeStack:
        return FakeStack(replace(settings, postgres_major=12))

    monkeypatch.setattr(cli, "make_stack", make)
    assert _up(tmp_path / "s") == 2
    assert "on PostgreSQL 12 is unsupported" in capsys.readouterr().err
    assert _up(tmp_path / "s", "--force-version") == 0
    assert recorded(tmp_path / "s")["postgres_major"] == 12  # type: ignore[index]
