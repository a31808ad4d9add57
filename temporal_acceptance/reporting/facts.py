"""Facts about the deployment under test for environment.properties, read from the live
servers where they can say it themselves (PostgreSQL's version, Temporal's)."""

from __future__ import annotations

from temporalio.api.workflowservice.v1 import GetClusterInfoRequest

from temporal_acceptance.checks.database import try_connect
from temporal_acceptance.harness import Run


async def _temporal_reported_version(run: Run) -> str:
    client = await run.client()
    info = await client.workflow_service.get_cluster_info(GetClusterInfoRequest())
    return str(info.server_version) or "not reported"


def deployment_facts(run: Run) -> dict[str, str]:
    """Target, versions asked for, and versions the running servers report ("live")."""
    settings = run.settings
    endpoints = run.endpoints
    postgres = try_connect(endpoints, "postgres")
    try:
        temporal_reported = run.run(_temporal_reported_version(run))
    except Exception as exc:  # the report must still say what was asked for
        temporal_reported = f"unavailable ({type(exc).__name__})"
    return {
        "Target": run.stack.target,
        "Temporal server": settings.temporal_version,
        "Temporal live": temporal_reported,
        "UI server": settings.ui_version,
        "PostgreSQL major": str(settings.postgres_major),
        "PostgreSQL live": (
            postgres.server_version if postgres.ok else f"unreachable: {postgres.error}"
        ),
        "Frontend": endpoints.temporal_address,
        "Temporal UI": endpoints.ui_url,
        "Namespace": endpoints.namespace,
    }
