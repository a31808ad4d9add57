"""The end of a run: no workflow of this run is left running on the deployment.

Every workflow the suite starts runs on the run's own task queue (fixtures/worker.py), so
"this run's unfinished workflows" is a visibility query on that queue — children included,
and whatever helper started them. On an external deployment this is the only trace the
suite leaves besides its completed workflows (which the namespace's retention removes).
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

TERMINATE_REASON = "temporal-acceptance: the run ended before this workflow finished"


def unfinished_query(task_queue: str) -> str:
    escaped = task_queue.replace("\\", "\\\\").replace('"', '\\"')
    return f'TaskQueue = "{escaped}" AND ExecutionStatus = "Running"'


async def terminate_unfinished(client: Client, task_queue: str) -> list[str]:
    """Terminate every running workflow on `task_queue`; return their ids."""
    terminated = []
    async for execution in client.list_workflows(unfinished_query(task_queue)):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        try:
            await handle.terminate(reason=TERMINATE_REASON)
        except RPCError:
            continue  # it closed meanwhile: nothing is left running
        terminated.append(execution.id)
    return terminated
