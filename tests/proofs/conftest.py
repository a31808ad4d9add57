"""The external target's proofs: deployments nobody here configured, judged by the suite.

Slow (each brings up a deployment and runs every gate that applies against it), so they
run only when asked for: `pytest -m proof tests/proofs` (`make proofs`, `.ci/external`).
Each writes its reports under reports/proofs/<proof>/ and its deployment's files under
TACC_PROOF_ROOT (default: a fresh directory in /var/tmp), which is deleted afterwards
unless TACC_PROOF_KEEP=1.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "proofs"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/proofs/" in str(item.fspath):
            item.add_marker(pytest.mark.proof)


@pytest.fixture(scope="module")
def proof_root(request: pytest.FixtureRequest) -> Iterator[Path]:
    base = Path(os.environ.get("TACC_PROOF_ROOT", "/var/tmp"))
    base.mkdir(parents=True, exist_ok=True)
    name = request.module.__name__.rsplit(".", 1)[-1]
    root = Path(tempfile.mkdtemp(prefix=f"tacc-{name}-", dir=base))
    root.chmod(0o755)  # PostgreSQL runs as an unprivileged account and must reach its data
    yield root
    if os.environ.get("TACC_PROOF_KEEP") != "1":
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(request: pytest.FixtureRequest) -> Path:
    return REPORTS / request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
