"""Units of the reporting package: metadata files, leak scanning, log evidence, ISSUES.md
edge cases and the report command's errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from temporal_acceptance.cli import main as cli
from temporal_acceptance.core import evidence as attach
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine
from temporal_acceptance.core.secrets import Secret, generate_password
from temporal_acceptance.fixtures import scenario as evidence
from temporal_acceptance.reporting import metadata, report
from temporal_acceptance.reporting.formatter import empty_results_dir
from temporal_acceptance.reporting.issues import render
from temporal_acceptance.reporting.leaks import needles, scan
from temporal_acceptance.reporting.results import parse_result, read_properties

# ---------------------------------------------------------------- metadata


def test_environment_properties_survive_a_round_trip(tmp_path: Path) -> None:
    facts = {"Temporal frontend": "127.0.0.1:7233", "UI": "http://x:8080", "odd=key": "a\\b\nc"}
    path = tmp_path / "environment.properties"
    path.write_text(metadata.properties_text(facts))
    assert read_properties(path) == facts


def test_metadata_holds_recorded_and_static_facts(tmp_path: Path) -> None:
    metadata.forget_environment()
    metadata.record_environment({"Target": "native", "PostgreSQL live": "16.14"})
    written = {p.name for p in metadata.write_metadata(tmp_path)}
    assert written == {"environment.properties", "executor.json", "categories.json"}
    facts = read_properties(tmp_path / "environment.properties")
    assert facts["Target"] == "native"
    assert facts["PostgreSQL live"] == "16.14"
    assert {"Python", "behave", "Python SDK", "OS"} <= set(facts)
    metadata.forget_environment()
    assert metadata.recorded_environment() == {}


def test_executor_says_whether_ci_ran_the_suite() -> None:
    now = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    ci = metadata.executor(now, {"CI": "true", "BUILD_URL": "https://ci/1"})
    assert (ci["type"], ci["buildUrl"], ci["buildName"]) == (
        "ci",
        "https://ci/1",
        "acceptance run 2026-11-25 14:30 UTC",
    )
    assert metadata.executor(now, {})["type"] == "local"


# ---------------------------------------------------------------- leaks


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b'{"a": "pw='])
def test_a_secret_is_found_inside_base64_at_any_alignment(tmp_path: Path, prefix: bytes) -> None:
    secret = generate_password()
    blob = base64.b64encode(prefix + secret.reveal().encode() + b'", "z": 1}')
    (tmp_path / "index.html").write_bytes(b'd("data/x.json","' + blob + b'")')
    leaks, files = scan([tmp_path], secret)
    assert files == 1
    assert [leak.encoding for leak in leaks] == ["base64"]


def test_clear_text_leaks_are_named_and_clean_files_pass(tmp_path: Path) -> None:
    secret = generate_password()
    (tmp_path / "log.txt").write_text(f"password={secret.reveal()}")
    (tmp_path / "clean.txt").write_text("nothing to see")
    leaks, files = scan([tmp_path, tmp_path / "missing"], secret)
    assert files == 2
    assert [leak.line() for leak in leaks] == [
        f"the secret appears in {tmp_path / 'log.txt'} line 1 (clear text)"
    ]


def test_needles_are_long_enough_not_to_match_by_chance() -> None:
    assert all(len(n) >= 8 for n in needles(Secret("abcdefghijklmnop")))


# ---------------------------------------------------------------- evidence


def _line(ts: datetime, text: str, level: str = "info") -> LogLine:
    return LogLine(ts, "temporal", level, text)


def test_a_window_keeps_lines_of_its_own_time_at_their_precision() -> None:
    start = datetime(2026, 11, 25, 14, 0, 0, 500_000, tzinfo=UTC)
    window = evidence.ScenarioWindow(start, start + timedelta(seconds=2))
    assert window.holds(_line(start.replace(microsecond=0), "go log, same second"))
    assert not window.holds(_line(start - timedelta(milliseconds=10), "just before"))
    assert not window.holds(_line(start + timedelta(seconds=3), "after"))
    assert window.since < start < window.until


def test_log_excerpt_counts_errors_and_keeps_the_end() -> None:
    now = datetime.now(UTC)
    lines = [_line(now, f"line {i}", "error" if i % 2 else "info") for i in range(10)]
    text = evidence.log_excerpt(lines, limit=3)
    assert text.startswith("10 lines, 5 at error level or above; the last 3 shown")
    assert "line 9" in text
    assert "line 6" not in text
    assert evidence.log_excerpt([]) == "(nothing logged in this window)"


def test_an_unreadable_log_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    attached: dict[str, str] = {}
    monkeypatch.setattr(evidence, "attach_text", lambda n, b, k="text": attached.setdefault(n, b))

    def broken(since: Any, until: Any) -> list[LogLine]:
        raise PermissionError("no access")

    window = evidence.ScenarioWindow().close()
    assert evidence.attach_logs([evidence.LogSource("worker", broken)], window) == ["log: worker"]
    assert "could not read the worker log: PermissionError: no access" in attached["log: worker"]


def test_timings_list_each_step_and_the_scenario() -> None:
    step = SimpleNamespace(duration=0.25, status=SimpleNamespace(name="passed"), keyword="Then")
    step.name = "it works"
    window = evidence.ScenarioWindow(datetime.now(UTC) - timedelta(seconds=1)).close()
    text = evidence.timings_text([step], window)
    assert "   0.250 s  passed    Then it works" in text
    assert "scenario wall time" in text


# ---------------------------------------------------------------- results and ISSUES.md


def _result(name: str, status: str, severity: str = "critical", **extra: Any) -> dict[str, Any]:
    labels = [{"name": "severity", "value": severity}, {"name": "feature", "value": "F"}]
    labels += [{"name": k, "value": v} for k, v in extra.items()]
    return {"name": name, "status": status, "labels": labels, "start": 1000, "stop": 2500}


def test_issues_md_for_a_clean_run_and_scenarios_without_phase() -> None:
    results = [parse_result(_result("a", "passed")), parse_result(_result("b", "skipped"))]
    text = render(results, {})
    assert "No scenario failed or broke in this run." in text
    assert "carry no @phaseN tag" in text
    assert "| No phase tag | 0/1 | 1/2 | 0 | 0 | 1 | 3.0 s |" in text


def test_a_hook_failure_has_no_failing_step() -> None:
    data = _result("c", "broken", epic="Phase 3 — Workflow execution testing")
    data["statusDetails"] = {"message": "\n".join(f"line {i}" for i in range(12))}
    text = render([parse_result(data)], {"Target": "native"})
    assert "failing step: a hook (no step failed)" in text
    assert "… (4 more lines in the report)" in text
    assert "- Target: native" in text


def test_empty_results_are_refused_with_a_fix(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no Allure results folder"):
        report.generate(report.ReportPaths(results=tmp_path / "none"), html=False)
    with pytest.raises(UserError, match="holds no scenario results"):
        report.generate(report.ReportPaths(results=tmp_path), html=False)


def test_a_missing_allure_cli_names_the_fix(tmp_path: Path) -> None:
    (tmp_path / "x-result.json").write_text(json.dumps(_result("a", "passed")))
    paths = report.ReportPaths(results=tmp_path, output=tmp_path / "out", allure=tmp_path / "no")
    with pytest.raises(UserError, match="npm ci"):
        report.generate(paths)
    assert (tmp_path / "categories.json").is_file(), "a cut-short run still gets its categories"


def test_report_command_writes_issues_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x-result.json").write_text(json.dumps(_result("a", "passed")))
    argv = ["report", "--results", str(tmp_path), "--output", str(tmp_path / "o"), "--no-html"]
    assert cli.main(argv) == 0
    assert "1 scenarios, 0 failed/broken" in capsys.readouterr().out
    assert (tmp_path / "o/ISSUES.md").is_file()
    assert cli.main(["report", "--results", str(tmp_path / "none"), "--no-html"]) == 2


def test_the_analytics_tag_is_removed(tmp_path: Path) -> None:
    index = tmp_path / "index.html"
    index.write_text(
        '<body><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>\n'
        "<script>\n window.dataLayer = window.dataLayer || [];\n</script>\n<p>kept</p></body>"
    )
    assert report.strip_analytics(index) == 1
    assert index.read_text() == "<body><p>kept</p></body>"


# ---------------------------------------------------------------- scan command and formatter


class _Stack:
    def __init__(self, secrets: dict[str, Secret], logs: list[Path], containers: Any = None):
        self.named = secrets
        self.logs = logs
        self.containers = containers or {}
        self.settings = SimpleNamespace(state_dir=Path("/nowhere"))

    def secrets(self) -> dict[str, Secret]:
        return self.named

    def log_files(self) -> list[Path]:
        return self.logs

    def container_logs(self, since: Any) -> dict[str, str]:
        return self.containers


def test_scan_command_names_the_secret_file_and_line_of_each_leak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin, temporal = generate_password(), generate_password()
    named = {"the PostgreSQL admin password": admin, "Temporal's PostgreSQL password": temporal}
    (tmp_path / "report.html").write_text("clean")
    log = tmp_path / "logs" / "temporal.log"
    log.parent.mkdir()
    log.write_text("quiet\n")
    assert cli.run_scan(_Stack(named, [log]), [tmp_path / "report.html"]) == 0  # type: ignore[arg-type]
    log.write_text(f"one\ntwo pw={admin.reveal()}\n")
    leaky = _Stack(named, [log], {"proj-temporal-1": f"a\n{temporal.reveal()}"})
    assert cli.run_scan(leaky, [tmp_path / "report.html"]) == 1  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert f"LEAK the PostgreSQL admin password appears in {log} line 2 (clear text)" in out
    assert (
        "LEAK Temporal's PostgreSQL password appears in the log of container proj-temporal-1 "
        "line 2 (clear text)"
    ) in out
    assert admin.reveal() not in out
    assert temporal.reveal() not in out


def test_scan_command_refuses_a_deployment_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no secrets of a deployment in /nowhere"):
        cli.run_scan(_Stack({}, []), [tmp_path])  # type: ignore[arg-type]


def test_emptying_the_results_folder_keeps_foreign_files(tmp_path: Path) -> None:
    for name in ("a-result.json", "b-container.json", "c-attachment.txt", "categories.json"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "README").write_text("mine")
    assert empty_results_dir(tmp_path) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["README"]
    assert empty_results_dir(tmp_path / "absent") == 0


def test_attachments_are_redacted_of_registered_secrets() -> None:
    secret = generate_password()
    attach.register_secret(secret)
    assert secret in attach.known_secrets()
    assert attach.clean(f"dsn with {secret.reveal()}") == "dsn with ***"


# ---------------------------------------------------------------- deployment facts


def test_facts_say_what_was_asked_when_the_servers_cannot_answer() -> None:
    import asyncio
    import socket

    from temporal_acceptance.clients.endpoints import Endpoints
    from temporal_acceptance.core.settings import Settings
    from temporal_acceptance.fixtures.run import Run

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoints = Endpoints(
        f"127.0.0.1:{port}", "default", "http://x", "127.0.0.1", port, "u", generate_password()
    )
    loop = asyncio.new_event_loop()

    async def no_client() -> Any:
        raise ConnectionRefusedError("frontend down")

    async def cluster_info() -> Any:
        return await no_client()

    run = SimpleNamespace(
        settings=Settings(),
        endpoints=endpoints,
        stack=SimpleNamespace(target="native", versions=lambda: {"ui_server": "2.55.0"}),
        client=no_client,
        _cluster_info=cluster_info,
        run=loop.run_until_complete,
    )
    try:
        facts = Run.facts(run)  # type: ignore[arg-type]
    finally:
        loop.close()
    assert facts["Temporal live"] == "unavailable (ConnectionRefusedError)"
    assert facts["PostgreSQL live"].startswith("unreachable: ")
    assert "Connection refused" in facts["PostgreSQL live"]
    assert (facts["Target"], facts["Temporal server"]) == ("native", Settings().temporal_version)
