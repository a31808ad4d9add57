"""Proof 1: upstream's own configuration. temporal-server runs config/docker.yaml from the Go
module cache as shipped (only the variables upstream exposes set: addresses, ports,
credentials), the schema comes from temporal-sql-tool and upstream's schema files, the UI
runs ui-server's own docker.yaml — none of it written by the suite's stack code — and every
gate that does not change the deployment passes against it on the external target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proofs.deployments import (
    SKIP_REASONS,
    BehaveRun,
    Upstream,
    deploy_upstream,
    leaked,
    run_behave,
)


@pytest.fixture(scope="module")
def upstream(proof_root: Path) -> Iterator[Upstream]:
    yield from deploy_upstream(proof_root, 1)


@pytest.fixture(scope="module")
def run(upstream: Upstream, reports: Path) -> BehaveRun:
    return run_behave(reports, upstream.suite_env())


def test_every_gate_that_only_reads_passes(run: BehaveRun) -> None:
    counts = run.verdict["counts"]
    failed = [f"{g['scenario']}: {g['reason']}" for g in run.gates("failed")]
    assert failed == [], "\n".join(failed) + "\n" + run.output[-3000:]
    assert run.status == 0, run.output[-3000:]
    assert counts["passed"] >= 30, counts
    assert run.verdict["headline"].startswith("PASSED")


# What the external target cannot judge, and says so: disruptions, and what needs a view
# from inside the deployment's hosts or a session of Temporal's own role.


def test_what_was_not_checked_is_skipped_with_its_reason(run: BehaveRun) -> None:
    skipped = run.gates("skipped")
    assert skipped, "the persistence gates change the deployment: they must be skipped"
    for gate in skipped:
        assert any(reason in gate["reason"] for reason in SKIP_REASONS), gate
    persistence = [g for g in skipped if g["feature"] == "Persistence through restarts and crashes"]
    assert len(persistence) >= 9
    assert "skipped, with the reason" in run.output


def test_the_gates_that_need_the_users_inputs_ran(run: BehaveRun) -> None:
    for name in (
        "The datastores Temporal runs with are its own databases at this release's schema",
        "The server, database and worker log no errors while the workflow runs",
        "The completed workflow's execution, history and visibility are in PostgreSQL",
        "The history page shows every event in the order Temporal recorded them",
        "The live servers run the requested versions and the decision is in the report",
    ):
        assert run.scenario(name)["status"] == "passed", run.scenario(name)


def test_the_deployment_was_not_changed(upstream: Upstream, run: BehaveRun) -> None:
    assert upstream.server.running()
    assert upstream.ui.running()
    assert run.verdict["target"] == "external"
    assert "the external deployment was not changed" in run.output


def test_no_password_reaches_the_reports(upstream: Upstream, run: BehaveRun, reports: Path) -> None:
    del run
    assert (
        leaked(
            reports,
            [
                upstream.roles.temporal,
                upstream.roles.reader,
                upstream.roles.app,
                upstream.postgres.password,
            ],
        )
        == []
    )
