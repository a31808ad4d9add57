"""A backup of the real native stack restored into it: every workflow served before is
served again with the same history, through Temporal and through the UI's API."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from temporal_acceptance.checks.served import served_differences, ui_view_problems
from temporal_acceptance.clients.temporal import connect, run_sync
from temporal_acceptance.probes.served import read_served, read_ui_view
from temporal_acceptance.stack import backup
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.native.stack import NativeStack

pytestmark = pytest.mark.integration


async def _workflows(address: str, namespace: str) -> None:
    """One workflow closed (terminated: no worker is needed) and one left running."""
    client: Client = await connect(address, namespace)
    for closed in (True, False):
        handle = await client.start_workflow(
            "NoSuchWorkflow", id=f"backup-{uuid.uuid4().hex[:8]}", task_queue="nobody-polls"
        )
        if closed:
            await handle.terminate("closed before the backup")


def test_a_backup_restores_every_workflow_with_its_history(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    endpoints = native_stack.endpoints()
    admin = native_stack.maintenance_endpoints()  # a restore re-creates the databases
    run_sync(lambda: _workflows(endpoints.temporal_address, endpoints.namespace))
    before = read_served(endpoints.temporal_address, endpoints.namespace)
    assert sum(w.closed for w in before.workflows.values()) >= 1, before.summary()
    settings = native_stack.settings
    release = (settings.temporal_version, settings.ui_version, settings.postgres_major)
    manifest = backup.take_backup(admin, tmp_path / "b", release, True, print)
    assert [d.database for d in manifest.dumps] == ["temporal", "temporal_visibility"]
    with pytest.raises(Exception, match="is not empty"):
        backup.take_backup(admin, tmp_path / "b", release, True, print)
    native_stack.stop(Service.UI)
    native_stack.stop(Service.TEMPORAL)
    restored = backup.restore_databases(
        admin, tmp_path / "b", backup.read_backup(tmp_path / "b"), print
    )
    assert [r.schema_version for r in restored] == [d.schema_version for d in manifest.dumps]
    native_stack.start(Service.TEMPORAL)
    native_stack.start(Service.UI)
    after = read_served(endpoints.temporal_address, endpoints.namespace)
    assert served_differences(before, after) == []
    view = read_ui_view(endpoints.ui_url, endpoints.namespace, before)
    assert ui_view_problems(before, view, settings.ui_version) == []
