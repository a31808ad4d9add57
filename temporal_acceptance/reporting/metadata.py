"""The run's metadata files in the Allure results folder: environment.properties,
executor.json and categories.json.

Static facts (Python, behave, OS, SDK) are known anywhere; facts about the deployment
(target, versions, the PostgreSQL version the live server reports) are recorded by the
hooks while the stack is up, and written with the rest when the run ends.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from temporal_acceptance.core.evidence import clean
from temporal_acceptance.reporting.categories import categories_json

REPORT_NAME = "Temporal + PostgreSQL acceptance"

_recorded: dict[str, str] = {}


def _package_version(name: str) -> str:
    try:
        return package_metadata.version(name)
    except package_metadata.PackageNotFoundError:
        return "not installed"


def static_environment() -> dict[str, str]:
    """What is true of the machine that ran the suite, whatever it tested."""
    return {
        "Python": platform.python_version(),
        "behave": _package_version("behave"),
        "allure-behave": _package_version("allure-behave"),
        "Python SDK": _package_version("temporalio"),
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Distribution": _os_release(),
    }


def _os_release(path: Path = Path("/etc/os-release")) -> str:
    if not path.is_file():
        return platform.platform()
    fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return fields.get("PRETTY_NAME", platform.platform()).strip('"')


def record_environment(facts: Mapping[str, str]) -> None:
    """Remember facts about the deployment under test (called by the hooks)."""
    _recorded.update({key: str(value) for key, value in facts.items()})


def recorded_environment() -> dict[str, str]:
    return dict(_recorded)


def forget_environment() -> None:
    _recorded.clear()


def _escape_property(text: str, is_key: bool = False) -> str:
    """Java .properties escaping (what Allure's reader parses)."""
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    out = out.replace("=", "\\=").replace(":", "\\:")
    if is_key:
        out = out.replace(" ", "\\ ")
    return out


def properties_text(facts: Mapping[str, str]) -> str:
    lines = [f"{_escape_property(k, True)}={_escape_property(v)}" for k, v in facts.items()]
    return "\n".join(lines) + "\n"


def executor(now: datetime | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Who ran the suite: CI (with its build URL when the CI says one) or a person's machine."""
    env = os.environ if env is None else env
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    on_ci = env.get("CI", "").lower() in ("1", "true", "yes")
    info: dict[str, Any] = {
        "name": "CI (.ci/run)" if on_ci else f"{platform.node() or 'local'} (make acceptance)",
        "type": "ci" if on_ci else "local",
        "reportName": REPORT_NAME,
        "buildName": f"acceptance run {stamp}",
    }
    if url := env.get("BUILD_URL") or env.get("CI_JOB_URL"):
        info["buildUrl"] = url
    return info


def write_metadata(results_dir: Path) -> list[Path]:
    """Write environment.properties, executor.json and categories.json; return their paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    facts = {**recorded_environment(), **static_environment()}
    files = {
        "environment.properties": clean(properties_text(facts)),
        "executor.json": json.dumps(executor(), indent=2),
        "categories.json": json.dumps(categories_json(), indent=2),
    }
    written = []
    for name, text in files.items():
        path = results_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
