"""What a deployment serves, read from a real Temporal dev server (probes/served.py), and
the UI API's readers against a stand-in UI server (clients/ui_http.py)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from conftest import LoopRunner
from temporalio.testing import WorkflowEnvironment

from temporal_acceptance.checks.served import served_differences, ui_view_problems
from temporal_acceptance.clients.ui_http import ui_history, ui_version, ui_workflows
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.probes import served
from temporal_acceptance.probes.served import (
    ServedData,
    read_served,
    read_served_with,
    read_ui_view,
)

pytestmark = pytest.mark.devserver


def test_closed_workflows_come_with_their_history(
    run: LoopRunner, dev_env: WorkflowEnvironment
) -> None:
    client, queue = dev_env.client, f"nobody-{uuid.uuid4().hex[:6]}"
    closed = run(client.start_workflow("Nothing", id=f"closed-{queue}", task_queue=queue))
    run(closed.terminate("done"))
    run(client.start_workflow("Nothing", id=f"open-{queue}", task_queue=queue))
    expected = {("closed", "TERMINATED"), ("open", "RUNNING")}

    def listed(data: ServedData) -> set[tuple[str, str]]:
        mine = [w for k, w in data.workflows.items() if k[0].endswith(queue)]
        return {(w.workflow_id.split("-")[0], w.status) for w in mine}

    # Visibility is eventually consistent, on the dev server too: wait (bounded) until both
    # are listed; a reader that drops or mislabels one still fails on the last reading.
    found = run(
        wait_until_async(
            lambda: read_served_with(client),
            what="both workflows to be listed",
            timeout=10.0,
            accept=lambda data: listed(data) == expected,
            describe=lambda data: str(sorted(listed(data))),
        )
    )
    assert listed(found) == expected
    mine = {k: w for k, w in found.workflows.items() if k[0].endswith(queue)}
    assert [len(w.events) for w in mine.values() if w.closed] == [3]
    assert run(read_served_with(client, limit=1)).limited
    assert served_differences(found, run(read_served_with(client))) == []


def test_an_unreachable_frontend_is_recorded_not_raised(
    held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(served, "READ_TIMEOUT", 1.0)  # the wait is bounded: not 30 s here
    found = read_served(f"127.0.0.1:{held_port}", "default")
    assert found.error == f"127.0.0.1:{held_port} did not answer a connection in 1 s"
    assert not found.workflows


EVENTS = [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"},
          {"eventId": "2", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"}]  # fmt: skip


class StandIn(BaseHTTPRequestHandler):
    """The UI server's API as the upgrade gates read it, two pages of everything."""

    def do_GET(self) -> None:
        page2 = "nextPageToken=p2" in self.path
        if self.path.startswith("/api/v1/settings"):
            body: Any = {"Version": "2.52.0"}
        elif "/history" in self.path:
            body = {"history": {"events": EVENTS[1:] if page2 else EVENTS[:1]}}
            body["nextPageToken"] = "" if page2 else "p2"
        else:
            run = "r2" if page2 else "r1"
            body = {"executions": [{"execution": {"workflowId": f"w-{run}", "runId": run}}],
                    "nextPageToken": "" if page2 else "p2"}  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_ui_api_readers_follow_every_page(stand_in: str) -> None:
    assert ui_version(stand_in) == "2.52.0"
    assert ui_workflows(stand_in, "default") == [("w-r1", "r1"), ("w-r2", "r2")]
    assert ui_history(stand_in, "default", "w-r1", "r1") == [
        (1, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"),
        (2, "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"),
    ]


def test_a_ui_that_does_not_answer_is_a_problem_not_a_crash(held_port: int) -> None:
    from temporal_acceptance.probes.served import ServedData

    view = read_ui_view(f"http://127.0.0.1:{held_port}", "default", ServedData())
    assert view.error
    assert ui_view_problems(ServedData(), view, "2.52.0")[0].startswith("the UI does not answer")
