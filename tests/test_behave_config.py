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
    assert dict(zip(formats, outfiles, strict=True)) == {"allure": str(RESULTS_DIR)}
    # behave adds the default formatter on stdout itself: listed here too, every console
    # line came out twice (and a formatter without an outfile writes to <name>.output)
    assert config["default_format"] == "pretty"
    assert "pretty" not in formats
