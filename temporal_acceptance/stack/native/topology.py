"""topology=multirole on the native target: one temporal-server process per role
(`start --service <role>`) and two history hosts, all on loopback, all reading one
configuration.

Each process binds the ports of its own role's `services.<role>.rpc` block, and registers
its gRPC address (host:port) as its identity in the membership ring. The configuration has
one `services.history.rpc` block, so the second history host needs other numbers there:
it reads a copy of the same rendered configuration that differs only in that block
(`config-history-2.yaml`). (v1.30.8 can also render a config file as a template with the
process's environment — `# enable-template`, sprig's `env` — but a template is not YAML
until rendered, and the suite and its gates read the configuration back.)

Ports derive from the frontend port F as the single-process stack's do: history-1 F+1,
matching F+2, history-2 F+3, worker F+6, the frontend's HTTP API F+10, and each role's
membership port 300 below its gRPC port.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import yaml

from temporal_acceptance.clients.membership import (
    ROLE_HEALTH_SERVICE,
    describe_rings,
    grpc_health,
    rpc_failure,
)
from temporal_acceptance.clients.temporal import frontend_ready, frontend_serving, run_sync
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import LogLine, read_log, tail
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import (
    HISTORY_SHARDS,
    MULTIROLE,
    SINGLE,
    RoleProcess,
    role_processes,
)
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.provision.binaries import Binaries
from temporal_acceptance.stack.native.layout import Layout, write_private
from temporal_acceptance.stack.native.process import ManagedProcess, ServiceExited
from temporal_acceptance.stack.native.temporal import NativeTemporal, TemporalPorts

# Offsets from the frontend port; the single-process stack uses +1, +2, +6 and +10 already.
SECOND_HISTORY_OFFSET = 3
STOP_TIMEOUT = 30.0
READY_TIMEOUT = 90.0


@dataclass(frozen=True)
class HostPorts(TemporalPorts):
    """The ports one history host binds: the shared ones, with its own history port."""

    history_host: int = 1

    @property
    def history(self) -> int:
        return self.frontend + (1 if self.history_host == 1 else SECOND_HISTORY_OFFSET)

    def all(self) -> dict[str, int]:
        """Every port of the topology (whichever host these are): history-1's as `history`."""
        ports = TemporalPorts(self.frontend).all()
        second = self.frontend + SECOND_HISTORY_OFFSET
        ports["history-2"], ports["history-2-membership"] = second, self.membership(second)
        return ports


@dataclass
class RoleHost:
    """One temporal-server process of the multirole topology."""

    spec: RoleProcess
    process: ManagedProcess
    ports: HostPorts
    config: Path

    @property
    def grpc_port(self) -> int:
        role = self.spec.role
        return {
            "frontend": self.ports.frontend,
            "history": self.ports.history,
            "matching": self.ports.matching,
            "worker": self.ports.worker,
        }[role]

    @property
    def bound_ports(self) -> list[tuple[int, str]]:
        grpc_port = self.grpc_port
        ports = [(grpc_port, "gRPC"), (self.ports.membership(grpc_port), "membership")]
        if self.spec.role == "frontend":
            ports.append((self.ports.frontend_http, "HTTP API"))
        return ports


class RoleGroup:
    """The five processes as one, for the stack's service-level questions: its pid (the
    frontend's, else any live one), running (all of them), kill and freeze (all of them)."""

    def __init__(self, hosts: list[RoleHost]) -> None:
        self.hosts = hosts
        self.name = "temporal"

    def pid(self) -> int | None:
        front = [host for host in self.hosts if host.spec.role == "frontend"]
        pids = [host.process.pid() for host in [*front, *self.hosts]]
        return next((pid for pid in pids if pid is not None), None)

    def running(self) -> bool:
        return all(host.process.running() for host in self.hosts)

    def kill(self) -> None:
        _each(self.hosts, lambda host: host.process.kill())

    def freeze(self, seconds: float) -> None:
        """Every process stalled at once for `seconds` (the late-timer mutant)."""
        _each(self.hosts, lambda host: host.process.freeze(seconds))


def _each(hosts: list[RoleHost], action: Callable[[RoleHost], object]) -> None:
    """Act on every host at once (a graceful stop takes seconds each)."""
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        for future in [pool.submit(action, host) for host in hosts]:
            future.result()


# Two history hosts starting together can pass a shard back and forth while their rings
# join; a host whose first readiness check ran into that stays NOT_SERVING until its next
# shard acquisition, which without a ring change is history.acquireShardInterval away
# (1 min by default; docs/TOPOLOGY.md, "Findings on Temporal 1.32.2"). Ten seconds keeps
# that within the 30 s the whole-cluster gate allows, as an operator running several
# history hosts would set it; a deployment without it can fail that gate, rightly.
MULTIROLE_DYNAMIC_CONFIG: dict[str, Any] = {"history.acquireShardInterval": [{"value": "10s"}]}


class MultiroleTemporal(NativeTemporal):
    topology = MULTIROLE

    def __init__(
        self,
        binaries: Callable[[], Binaries],
        layout: Layout,
        host: str,
        ports: TemporalPorts,
        pg_port: int,
        pg_user: str,
        namespace: str,
    ) -> None:
        super().__init__(binaries, layout, host, ports, pg_port, pg_user, namespace)
        self.history_shards = HISTORY_SHARDS[MULTIROLE]
        self.topology_dynamic = dict(MULTIROLE_DYNAMIC_CONFIG)
        self.hosts = [self._host(spec) for spec in role_processes(MULTIROLE)]
        self.group = RoleGroup(self.hosts)
        # What the single-process code paths (namespace registration, log hints) watch.
        self.process = self.role_host("frontend").process

    def _host(self, spec: RoleProcess) -> RoleHost:
        ports = HostPorts(self.ports.frontend, history_host=spec.index)
        config = self.layout.temporal_config
        if spec.role == "history" and spec.index > 1:
            config = self.layout.temporal_dir / f"config-{spec.name}.yaml"
        name = f"temporal-{spec.name}"
        process = ManagedProcess(name, self.layout.pid(name), self.layout.log(name))
        return RoleHost(spec, process, ports, config)

    def role_host(self, name: str) -> RoleHost:
        return next(host for host in self.hosts if host.spec.name == name)

    # -- configuration -------------------------------------------------------------
    def write_config(self, password: Secret) -> None:
        """The shared configuration as the single-process stack renders it, and for each
        further history host a copy with its own ports in the history block."""
        super().write_config(password)
        shared = yaml.safe_load(self.layout.temporal_config.read_text())
        for host in self.hosts:
            if host.config == self.layout.temporal_config:
                continue
            config = copy.deepcopy(shared)
            history = host.ports.history
            config["services"]["history"]["rpc"].update(
                grpcPort=history, membershipPort=host.ports.membership(history)
            )
            write_private(host.config, yaml.safe_dump(config, sort_keys=False))

    def ports_to_check(self) -> list[tuple[int, str]]:
        return [
            (port, f"Temporal {host.spec.name} {what}")
            for host in self.hosts
            if not host.process.running()
            for port, what in host.bound_ports
        ]

    # -- processes -----------------------------------------------------------------
    def start(self, password: Secret, timeout: float = READY_TIMEOUT) -> None:
        """Start every role process that is not running, then wait until all serve. The
        first one starts alone: each process writes the cluster's metadata record when it
        starts, and on a new cluster two doing it at once make one of them exit ("Failed to
        apply cluster metadata", temporal/fx.go)."""
        self.write_config(password)
        first = self.hosts[0]
        if not first.process.running():
            self._launch(first)
            self.wait_answering(first, timeout)
        for host in self.hosts:
            self._launch(host)
        for host in self.hosts:
            self.wait_host_ready(host, timeout, namespace=False)
        self.ensure_namespace(timeout)

    def _launch(self, host: RoleHost) -> None:
        host.process.start(
            [
                str(self.binaries().temporal_server),
                "--config-file",
                str(host.config),
                "--allow-no-auth",
                "start",
                "--service",
                host.spec.role,
            ],
            cwd=self.layout.temporal_dir,
        )

    def start_host(self, name: str, password: Secret, timeout: float = READY_TIMEOUT) -> None:
        host = self.role_host(name)
        self.write_config(password)
        self._launch(host)
        self.wait_host_ready(host, timeout)

    def stop(self) -> None:
        _each(self.hosts, lambda host: host.process.stop(timeout=STOP_TIMEOUT))

    def stop_host(self, name: str) -> None:
        self.role_host(name).process.stop(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        self.group.kill()

    def kill_host(self, name: str) -> None:
        self.role_host(name).process.kill()

    # -- health ----------------------------------------------------------------------
    def host_ready(self, host: RoleHost, namespace: bool = True) -> tuple[bool, str]:
        """(ready, what was seen) for one process: the frontend is SERVING (and serves the
        namespace, once registered); history and matching report SERVING on their own
        port (history only once it owns its first shards); the worker role is in the
        frontend's worker ring."""
        host.process.require_running()
        role, address = host.spec.role, f"{self.host}:{host.grpc_port}"
        try:
            if role == "frontend" and not namespace:
                serving = run_sync(lambda: frontend_serving(self.address))
                return serving, f"{address} {'SERVING' if serving else 'NOT_SERVING'}"
            if role == "frontend":
                return run_sync(lambda: frontend_ready(self.address, self.namespace))
            if role in ROLE_HEALTH_SERVICE:
                state = grpc_health(address, ROLE_HEALTH_SERVICE[role], timeout=3.0)
                if state == "SERVING" or role != "history":
                    return state == "SERVING", f"{address} {state}"
            members = describe_rings(self.address, timeout=3.0).members.get(role, ())
            if role == "history":
                # History reports SERVING only 5 s after it acquired its first shards
                # (service/history/service.go: a pause for load balancers); Temporal routes
                # by the ring, so a history host in the ring is at work.
                joined = address in members
                return joined, f"{address} NOT_SERVING, {'in' if joined else 'not in'} the ring"
        except grpc.RpcError as exc:
            return False, f"{address}: {rpc_failure(exc)}"
        seen = address in members
        return seen, f"{address} {'in' if seen else 'not in'} the {role} ring"

    def wait_answering(self, host: RoleHost, timeout: float) -> None:
        """Until the process answers on its gRPC port, SERVING or not (it is built)."""

        def answer() -> str:
            host.process.require_running()
            role = host.spec.role
            return grpc_health(f"{self.host}:{host.grpc_port}", ROLE_HEALTH_SERVICE[role], 3.0)

        wait_until(
            answer,
            what=f"Temporal {host.spec.name} to answer on its gRPC port",
            timeout=timeout,
            errors=(grpc.RpcError,),
            fatal=(ServiceExited,),
            hint=lambda: self._host_hint(host),
        )

    def wait_host_ready(self, host: RoleHost, timeout: float, namespace: bool = True) -> None:
        wait_until(
            lambda: self.host_ready(host, namespace),
            what=f"Temporal {host.spec.name} to serve",
            timeout=timeout,
            accept=lambda seen: seen[0],
            describe=lambda seen: seen[1],
            fatal=(ServiceExited,),
            hint=lambda: self._host_hint(host),
        )

    def _host_hint(self, host: RoleHost) -> str:
        return f"tail of {host.process.log_file}:\n{tail(host.process.log_file)}"

    def ready(self) -> tuple[bool, str]:
        """Every role process ready; the detail names each one that is not."""
        problems = []
        for host in self.hosts:
            try:
                ok, seen = self.host_ready(host)
            except ServiceExited:
                ok, seen = False, "not running"
            if not ok:
                problems.append(f"{host.spec.name}: {seen}")
        if problems:
            return False, "; ".join(problems)
        return True, f"frontend {self.address} serving; {len(self.hosts)} role processes ready"

    def serving(self) -> bool:
        return self.ready()[0]

    def wait_ready(self, timeout: float) -> None:
        """Every process serving, and the namespace registered (idempotent) and served."""
        for host in self.hosts:
            self.wait_host_ready(host, timeout, namespace=False)
        self.ensure_namespace(timeout)

    # -- logs ------------------------------------------------------------------------
    def host_logs(
        self, name: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        host = self.role_host(name)
        return read_log(host.process.log_file, "temporal", since, until, process=name)

    def log_lines(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogLine]:
        merged: list[LogLine] = []
        for host in self.hosts:
            merged += self.host_logs(host.spec.name, since, until)
        return sorted(merged, key=lambda line: line.ts)

    def describe_processes(self) -> dict[str, Any]:
        """Each process's role, ports and configuration file, for the report."""
        return {
            host.spec.name: {
                "role": host.spec.role,
                "ports": {what: port for port, what in host.bound_ports},
                "config": str(host.config),
                "log": str(host.process.log_file),
            }
            for host in self.hosts
        }


# -- the topology a state directory was made with ---------------------------------------------


def recorded_topology(settings: Settings) -> Settings:
    """The topology the state directory's deployment was made with, unless one was given:
    `status` and `down` must see all of its processes."""
    recorded = Layout(settings.state_dir).recorded().get("topology")
    if recorded and "topology" not in settings.given and recorded != settings.topology:
        return replace(settings, topology=str(recorded))
    return settings


def check_topology(layout: Layout, topology: str) -> None:
    """A cluster keeps the history shard count it was created with, so a deployment made
    with one topology is not brought up with the other. A new one records its topology
    before anything starts."""
    recorded_data = layout.recorded()
    if not layout.pg_data.exists():
        layout.record({**recorded_data, "topology": topology})
        return
    recorded = recorded_data.get("topology", SINGLE)
    if recorded != topology:
        raise UserError(
            f"the deployment in {layout.root} was created with topology={recorded}; "
            f"topology={topology} needs a cluster of its own (its history shard count is "
            "fixed when the cluster is created)",
            f"use another TACC_STATE_DIR, or topology={recorded}, or `down --purge` it",
        )
