"""behave's configuration in pyproject.toml: where each formatter writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

from temporal_acceptance.reporting.report import RESULTS_DIR

REPO = Path(__file__).resolve().parents[1]


def behave_config() -> dict[str, object]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["behave"]
    assert isinstance(config, dict)
    return config


def test_allure_results_go_where_the_report_reads_them_and_pretty_to_the_console() -> None:
    config = behave_config()
    formats, outfiles = config["format"], config["outfiles"]
    assert isinstance(formats, list)
    assert isinstance(outfiles, list)
    outputs = dict(zip(formats, outfiles, strict=False))
    assert outputs == {"allure": str(RESULTS_DIR)}
    assert "pretty" in formats
    # behave 1.3.3 writes every console line twice when "-" is listed as an outfile
    assert "-" not in outfiles
