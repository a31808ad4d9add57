"""What a deployment serves through Temporal: every workflow its visibility lists, with the
full history of each closed one. Read before a release change and again after it (or after
a rollback, or in a restored copy) to prove nothing was lost or rewritten.

Reads through the frontend only (no SQL): this is what users and the UI get.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from temporal_acceptance.clients.temporal import connect, run_sync
from temporal_acceptance.clients.ui_http import ui_history, ui_version, ui_workflows
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.core.waiting import wait_until_async

# The newest workflows first; a deployment with more is proven on this many (the record
# says so). Reading one history takes a few milliseconds on loopback.
LIMIT = 500
# Right after a start the frontend may answer before its shards are loaded.
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServedWorkflow:
    workflow_id: str
    run_id: str
    status: str  # WorkflowExecutionStatus name
    events: tuple[HistoryEvent, ...] = ()  # the full history of a closed workflow

    @property
    def closed(self) -> bool:
        return self.status != WorkflowExecutionStatus.RUNNING.name


@dataclass
class ServedData:
    workflows: dict[tuple[str, str], ServedWorkflow] = field(default_factory=dict)
    error: str = ""  # why it could not be read (then nothing else counts)
    limited: bool = False  # more workflows are listed than were read

    def summary(self) -> str:
        if self.error:
            return f"not readable: {self.error}"
        closed = sum(1 for w in self.workflows.values() if w.closed)
        events = sum(len(w.events) for w in self.workflows.values())
        more = f" (the newest {LIMIT}; more are listed)" if self.limited else ""
        return (
            f"{len(self.workflows)} workflows{more}: {closed} closed with {events} history "
            f"events, {len(self.workflows) - closed} running"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "workflows": [
                {"workflow_id": w.workflow_id, "run_id": w.run_id, "status": w.status,
                 "events": len(w.events)}
                for w in self.workflows.values()
            ],
        }  # fmt: skip


async def read_served_with(client: Client, limit: int = LIMIT) -> ServedData:
    """Every listed workflow (up to `limit`), with the history of each closed one."""
    data = ServedData()
    async for listed in client.list_workflows("", limit=limit + 1):
        if len(data.workflows) == limit:
            data.limited = True
            break
        status = listed.status.name if listed.status else "UNKNOWN"
        workflow = ServedWorkflow(listed.id, listed.run_id, status)
        if workflow.closed:
            handle = client.get_workflow_handle(listed.id, run_id=listed.run_id)
            events = (await handle.fetch_history()).events
            workflow = ServedWorkflow(listed.id, listed.run_id, status, tuple(events))
        data.workflows[(listed.id, listed.run_id)] = workflow
    return data


async def read_served_async(address: str, namespace: str, limit: int = LIMIT) -> ServedData:
    """read_served_with on a client of its own, retried while the frontend warms up."""
    try:
        # A frontend that accepts the connection and never answers would hold the SDK's
        # connect far longer: the connect is bounded by READ_TIMEOUT too.
        client = await asyncio.wait_for(connect(address, namespace), READ_TIMEOUT)
        return await wait_until_async(
            lambda: read_served_with(client, limit),
            what=f"the workflows served by {address}",
            timeout=READ_TIMEOUT,
            accept=lambda data: True,
            errors=(RPCError,),
            max_delay=0.5,
        )
    except TimeoutError:
        return ServedData(error=f"{address} did not answer a connection in {READ_TIMEOUT:g} s")
    except (WaitTimeout, RPCError, RuntimeError) as exc:
        return ServedData(error=redact(" ".join(str(exc).split())))


def read_served(address: str, namespace: str, limit: int = LIMIT) -> ServedData:
    """read_served_async from synchronous code (the upgrade command, a sync step)."""
    return run_sync(lambda: read_served_async(address, namespace, limit))


# The closed workflows whose history is read again through the UI (the newest first).
UI_SAMPLE = 20


@dataclass
class UiView:
    """What the UI server shows of the workflows a ServedData holds."""

    version: str = ""
    listed: set[tuple[str, str]] = field(default_factory=set)
    histories: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)
    error: str = ""


def read_ui_view(ui_url: str, namespace: str, served: ServedData) -> UiView:
    """The UI's version, the workflows it lists, and the histories it serves of the first
    UI_SAMPLE closed workflows of `served` (the UI's own API, which its pages render)."""
    view = UiView()
    try:
        view.version = ui_version(ui_url)
        view.listed = set(ui_workflows(ui_url, namespace))
        closed = [key for key, w in served.workflows.items() if w.closed][:UI_SAMPLE]
        for workflow_id, run_id in closed:
            view.histories[(workflow_id, run_id)] = ui_history(
                ui_url, namespace, workflow_id, run_id
            )
    except (OSError, ValueError, KeyError) as exc:
        view.error = redact(f"{type(exc).__name__}: {exc}")
    return view
