"""topology=multirole on the native target, without starting anything: ports, the per-host
configuration, the processes the stack names, and refusing to switch a cluster's topology."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Process, Service
from temporal_acceptance.stack.native.stack import NativeStack
from temporal_acceptance.stack.native.topology import HostPorts, check_topology

T = Service.TEMPORAL


def _stack(tmp_path: Path, topology: str = "multirole") -> NativeStack:
    settings = Settings.load(
        {"state_dir": str(tmp_path / "state"), "temporal_port": "18233", "topology": topology},
        env={},
    )
    return NativeStack(settings, say=lambda line: None, env={})


def test_the_second_history_host_takes_a_port_the_single_stack_leaves_free() -> None:
    first, second = HostPorts(18233, 1), HostPorts(18233, 2)
    assert (first.history, second.history) == (18234, 18236)
    ports = second.all()
    assert ports["history-2"] == 18236
    assert ports["history-2-membership"] == 17936
    assert len(set(ports.values())) == len(ports)  # no two roles share a port
    assert min(ports.values()) >= 17900
    assert max(ports.values()) <= 19900


def test_each_process_binds_its_own_roles_ports(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    assert stack.roles is not None
    bound = {h.spec.name: h.bound_ports for h in stack.roles.hosts}
    assert bound["history-1"] == [(18234, "gRPC"), (17934, "membership")]
    assert bound["history-2"] == [(18236, "gRPC"), (17936, "membership")]
    assert bound["frontend"] == [(18233, "gRPC"), (17933, "membership"), (18243, "HTTP API")]
    assert [p.name for p in stack.processes(T)] == [
        "history-1", "history-2", "matching", "frontend", "worker",
    ]  # fmt: skip
    assert stack.ring_identity(Process(T, "history-2", "history")) == "127.0.0.1:18236"
    assert stack.processes(Service.POSTGRES) == [Process(Service.POSTGRES, "postgres")]
    # every port is checked before anything starts (none runs yet)
    assert len(stack._ports_of(T)) == 11


def test_one_configuration_rendered_for_every_host_differing_only_in_history(
    tmp_path: Path,
) -> None:
    stack = _stack(tmp_path)
    assert stack.roles is not None
    stack.layout.create()
    stack.roles.write_config(Secret("pw-1"))
    shared = yaml.safe_load(stack.layout.temporal_config.read_text())
    second = yaml.safe_load((stack.layout.temporal_dir / "config-history-2.yaml").read_text())
    assert shared["persistence"]["numHistoryShards"] == 16
    assert second["services"]["history"]["rpc"]["grpcPort"] == 18236
    second["services"]["history"] = shared["services"]["history"]
    assert second == shared
    mode = (stack.layout.temporal_dir / "config-history-2.yaml").stat().st_mode & 0o777
    assert mode == 0o600  # it holds the password
    # Several history hosts: a failed first readiness check is retried within 10 s, not the
    # default minute (docs/TOPOLOGY.md); the suite's own settings are kept beside it.
    dynamic = yaml.safe_load(stack.layout.dynamic_config.read_text())
    assert dynamic["history.acquireShardInterval"] == [{"value": "10s"}]
    assert dynamic["system.forceSearchAttributesCacheRefreshOnRead"] == [{"value": True}]
    single = _stack(tmp_path / "single", "single")
    single.layout.create()
    single.temporal.write_config(Secret("pw-1"))
    assert "history.acquireShardInterval" not in single.layout.dynamic_config.read_text()


def test_the_report_lists_every_process_with_its_ports(tmp_path: Path) -> None:
    config = _stack(tmp_path).effective_config()
    assert config["temporal_server_config"]["persistence"]["numHistoryShards"] == 16
    assert config["temporal_processes"]["history-2"]["ports"] == {
        "gRPC": 18236,
        "membership": 17936,
    }
    assert config["ports"]["history-2"] == 18236
    assert "pw" not in json.dumps(config["temporal_processes"])


def test_a_cluster_is_not_brought_up_with_the_other_topology(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    stack.layout.create()
    stack.layout.pg_data.mkdir(parents=True)
    stack.layout.record({"topology": "single"})
    with pytest.raises(UserError, match="was created with topology=single") as info:
        check_topology(stack.layout, stack.settings.topology)
    assert "another TACC_STATE_DIR" in info.value.fix
    stack.layout.record({"topology": "multirole"})
    check_topology(stack.layout, stack.settings.topology)


def test_a_new_deployment_records_its_topology_first(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    stack.layout.create()
    check_topology(stack.layout, stack.settings.topology)
    assert stack.layout.recorded()["topology"] == "multirole"
    single = _stack(tmp_path, "single")
    assert single.roles is None
    assert [p.name for p in single.processes(T)] == ["temporal"]
    single.layout.pg_data.mkdir(parents=True)
    with pytest.raises(UserError, match="was created with topology=multirole"):
        check_topology(single.layout, single.settings.topology)


def test_status_of_a_role_process_that_is_not_running_says_so(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    status = stack.process_status(Process(T, "matching", "matching"))
    assert (status.running, status.healthy, status.line()) == (
        False, False, "temporal matching down — not running",
    )  # fmt: skip
    assert stack.status(T).line() == "temporal  down — not running"
    assert stack.process_logs(Process(T, "worker", "worker")) == []


def test_status_and_down_follow_the_topology_the_state_directory_was_made_with(
    tmp_path: Path,
) -> None:
    _stack(tmp_path).layout.create()
    layout = _stack(tmp_path).layout
    layout.record({"topology": "multirole"})
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    assert NativeStack(settings, say=lambda line: None, env={}).settings.topology == "multirole"
    given = Settings.load({"state_dir": str(tmp_path / "state"), "topology": "single"}, env={})
    assert NativeStack(given, say=lambda line: None, env={}).settings.topology == "single"
