"""The report screenshot command: one-line errors, and a real screenshot of a stand-in report
taken with the UI gates' browser launcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_acceptance.clients.browser import BrowserMissing, find_chromium
from temporal_acceptance.reporting import screenshot

# The report's structure as the command walks it: tree sections, a scenario, a step with
# an arrow, an attachment header that shows the attachment when clicked.
STAND_IN_REPORT = """<html><body>
<div data-testid="tree-section-title" onclick="show('feature')">Phase 2</div>
<div id="feature" hidden>
  <div data-testid="tree-section-title" onclick="show('gate')">Deployment validation</div>
</div>
<div id="gate" hidden>
  <div data-testid="tree-section-title" onclick="show('scenario')">The PostgreSQL schema is
    created</div>
</div>
<div id="scenario" hidden onclick="show('step')">Both Temporal databases exist</div>
<div id="step" hidden data-testid="test-result-step-header">
  each Temporal database is at the schema version this Temporal release expects
  <button data-testid="test-result-step-arrow-button" onclick="show('header')">v</button></div>
<div id="header" hidden data-testid="test-result-attachment-header"
     onclick="show('attachment')">schema versions</div>
<pre id="attachment" hidden data-testid="test-result-attachment">schema versions: 1.18</pre>
<script>function show(id) { document.getElementById(id).hidden = false; }</script>
</body></html>"""


def test_a_missing_report_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert screenshot.main(["--report", str(tmp_path / "none.html")]) == 2
    assert capsys.readouterr().err == (
        f"error: no report at {tmp_path / 'none.html'} — run `make report` first\n"
    )


def test_a_missing_browser_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "index.html"
    report.write_text(STAND_IN_REPORT)
    monkeypatch.setenv("TACC_CHROMIUM", str(tmp_path / "no-chromium"))
    assert screenshot.main(["--report", str(report), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: TACC_CHROMIUM is ")
    assert "apt-get install chromium" in err
    assert err.count("\n") == 1


@pytest.mark.browser
def test_the_screenshot_walks_the_report_to_an_attachment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        find_chromium()
    except BrowserMissing as exc:
        pytest.skip(exc.line())
    monkeypatch.delenv("TACC_CHROMIUM", raising=False)
    report, out = tmp_path / "index.html", tmp_path / "docs" / "shot.png"
    report.write_text(STAND_IN_REPORT)
    assert screenshot.main(["--report", str(report), "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    # A scenario the report does not have fails with the reason in one line.
    monkeypatch.setattr(screenshot, "RENDER_TIMEOUT_MS", 500)
    assert screenshot.main(["--report", str(report), "--out", str(out), "--tree", "Phase 9"]) == 2
