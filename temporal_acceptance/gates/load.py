"""Many workflows across a restart, as Temporal's list API shows them: each exactly once,
completed (visibility is eventually consistent, so this waits for it first)."""

from __future__ import annotations

from typing import Protocol

from temporalio.client import Client

from temporal_acceptance.checks.load import api_problems
from temporal_acceptance.probes.load import listed_through_api
from temporal_acceptance.workload.shared import CHILD_WORKFLOW_NAME, WORKFLOW_NAME


class Batch(Protocol):
    """Workflows started together under one id prefix (workload.load, workload.mixed)."""

    @property
    def prefix(self) -> str: ...

    @property
    def ids(self) -> list[str]: ...


async def listed_exactly_once(client: Client, batch: Batch) -> list[str]:
    """Every workflow of the batch (and its child) listed exactly once, completed."""
    count = len(batch.ids)
    children = [f"{wid}-child" for wid in batch.ids]
    parents = await listed_through_api(client, batch.prefix, WORKFLOW_NAME, count)
    listed_children = await listed_through_api(client, batch.prefix, CHILD_WORKFLOW_NAME, count)
    return api_problems(parents, batch.ids, WORKFLOW_NAME) + api_problems(
        listed_children, children, CHILD_WORKFLOW_NAME
    )
