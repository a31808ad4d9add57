"""Proof 4: TLS. Upstream's configuration with its own TLS variables set — the frontend and
internode TLS from a CA generated for the proof. With the CA the external target passes;
without it the preflight fails in seconds with one line naming the TLS error (and a suite
told to speak plain gRPC to it hears that the frontend answers with TLS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proofs.deployments import (
    BehaveRun,
    Certificates,
    Upstream,
    deploy_upstream,
    generate_certificates,
    run_behave,
    run_cli,
)


@pytest.fixture(scope="module")
def certs(proof_root: Path) -> Certificates:
    return generate_certificates(proof_root / "certs")


@pytest.fixture(scope="module")
def upstream(proof_root: Path, certs: Certificates) -> Iterator[Upstream]:
    yield from deploy_upstream(proof_root, 13, certs)


def with_ca(upstream: Upstream, certs: Certificates) -> dict[str, str]:
    return {
        **upstream.suite_env(),
        "TACC_TEMPORAL_TLS_CA": str(certs.ca),
        "TACC_TEMPORAL_TLS_SERVER_NAME": "localhost",
    }


@pytest.fixture(scope="module")
def run(upstream: Upstream, certs: Certificates, reports: Path) -> BehaveRun:
    return run_behave(reports, with_ca(upstream, certs))


def test_with_the_ca_every_gate_that_only_reads_passes(run: BehaveRun) -> None:
    failed = [f"{g['scenario']}: {g['reason']}" for g in run.gates("failed")]
    assert failed == [], "\n".join(failed) + "\n" + run.output[-3000:]
    assert run.status == 0, run.output[-3000:]
    assert "TLS TLSv1.3" in run.output  # the preflight's handshake line
    for name in (
        "The worker polls its task queue for workflow and activity tasks",
        "The execution script runs the test workflow and prints its result",
        "The Temporal frontend is serving and every server role is up",
    ):
        assert run.scenario(name)["status"] == "passed", run.scenario(name)


def _failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✗")]


def test_without_the_ca_the_preflight_names_the_tls_error(
    upstream: Upstream, certs: Certificates
) -> None:
    env = {**with_ca(upstream, certs), "TACC_TEMPORAL_TLS": "on"}
    del env["TACC_TEMPORAL_TLS_CA"]
    result = run_cli(env, "preflight")
    assert result.returncode == 2, result.stdout + result.stderr
    failed = _failed_lines(result.stdout)
    assert len(failed) == 1, result.stdout
    assert failed[0].startswith("✗ frontend"), failed
    assert "TLS handshake failed: certificate verify failed" in failed[0], failed[0]
    error = result.stderr.strip().splitlines()
    assert len(error) == 1, result.stderr
    assert "certificate verify failed" in error[0], error
    assert "TACC_TEMPORAL_TLS_CA" in error[0], error


def test_plain_grpc_to_a_tls_frontend_is_named_too(upstream: Upstream, certs: Certificates) -> None:
    env = {
        k: v for k, v in with_ca(upstream, certs).items() if not k.startswith("TACC_TEMPORAL_TLS")
    }
    result = run_cli(env, "preflight")
    assert result.returncode == 2, result.stdout + result.stderr
    failed = _failed_lines(result.stdout)
    assert len(failed) == 1, result.stdout
    assert "answers with TLS" in failed[0], failed[0]
