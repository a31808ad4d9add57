"""The external target's preflight: one line per endpoint — name resolution, TCP, the TLS
handshake, authentication, the namespace — so a deployment that cannot be reached, or a
setting that is wrong, fails in seconds with the exact cause instead of a timeout in the
middle of a scenario. `temporal-acceptance preflight` prints it; a behave run on the
external target runs it before anything else.

A line's mark: ✓ reached, ✗ stops the run, ! a finding the gates will judge (a database
that is missing), - not configured (the gates that need it are skipped, saying why).
"""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    GetSystemInfoRequest,
    ListWorkflowExecutionsRequest,
)
from temporalio.service import RPCError, RPCStatusCode

from temporal_acceptance.clients.endpoints import Endpoints
from temporal_acceptance.clients.reach import Unreachable, speaks_tls, tls_handshake
from temporal_acceptance.clients.temporal import connect, run_sync
from temporal_acceptance.clients.ui_http import get_json
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.stack.external.lines import (
    ABSENT,
    FINDING,
    OK,
    Line,
    Stop,
    host_port,
    reach,
    run_source,
    run_stages,
)
from temporal_acceptance.stack.external.logsources import LogSource
from temporal_acceptance.stack.external.preflight_postgres import app_line, postgres_line
from temporal_acceptance.stack.external.serverconfig import read_server_datastores


@dataclass
class PreflightReport:
    lines: list[Line]
    seconds: float = 0.0
    temporal_version: str = ""  # as the frontend reports it
    postgres_version: str = ""  # server_version

    @property
    def fatal(self) -> list[Line]:
        return [line for line in self.lines if line.fatal]

    def render(self) -> str:
        return "\n".join(line.render() for line in self.lines)

    def summary(self) -> str:
        if self.fatal:
            return f"preflight failed after {self.seconds:.1f}s: {len(self.fatal)} endpoint(s)"
        reached = sum(1 for line in self.lines if line.mark in (OK, FINDING))
        return f"preflight passed in {self.seconds:.1f}s: {reached} endpoint(s) reached"

    def error(self) -> UserError:
        first = self.fatal[0]
        return UserError(f"preflight: {first.name} {first.where}: {first.problem}", first.fix)


# ---------------------------------------------------------------- the frontend


TLS_FIX = (
    "give the CA that signed the frontend's certificate in TACC_TEMPORAL_TLS_CA "
    "(and TACC_TEMPORAL_TLS_SERVER_NAME if the certificate names another host)"
)


def _frontend_tls(line: Line, endpoints: Endpoints, host: str, port: int) -> None:
    tls = endpoints.frontend_tls
    if not tls.enabled:
        version = speaks_tls(host, port)
        if version:
            raise Stop(
                f"the frontend answers with TLS ({version}) but the suite was told to use plain "
                "gRPC",
                "set TACC_TEMPORAL_TLS_CA=/path/to/ca.pem (or TACC_TEMPORAL_TLS=on when a "
                "public CA signed its certificate)",
            )
        line.seen.append("plain gRPC (no TLS)")
        return
    try:
        seen = tls_handshake(host, port, tls.ca_file, tls.cert_file, tls.key_file, tls.server_name)
    except Unreachable as exc:
        raise Stop(str(exc), TLS_FIX) from None
    line.seen.append(seen.line())


async def _frontend_calls(endpoints: Endpoints) -> tuple[str, str | RPCError]:
    """(the server version of a call the frontend accepted, what the namespace looks like
    or the error asking for it gave). One coroutine: one event loop for the client."""
    namespace = endpoints.namespace
    client = await connect(endpoints.temporal_address, namespace, tls=endpoints.frontend_tls)
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    try:
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        await client.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(namespace=namespace, page_size=1)
        )
    except RPCError as exc:
        return str(info.server_version), exc
    hours = described.config.workflow_execution_retention_ttl.ToTimedelta().total_seconds() / 3600
    retention = f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} h"
    return str(info.server_version), f"registered, retention {retention}, visibility answers"


def frontend_lines(endpoints: Endpoints) -> tuple[list[Line], str]:
    """The frontend's line and the namespace's, and the server version it reports."""
    address, namespace = endpoints.temporal_address, endpoints.namespace
    found: dict[str, Any] = {}

    def frontend(line: Line) -> None:
        host, port = host_port(address)
        reach(line, host, port, "check TACC_TEMPORAL_ADDRESS (DNS, a port-forward, a firewall)")
        _frontend_tls(line, endpoints, host, port)
        try:
            found["version"], found["namespace"] = run_sync(lambda: _frontend_calls(endpoints))
        except (RuntimeError, RPCError) as exc:
            raise Stop(
                f"the frontend did not accept the connection: {redact(str(exc))}",
                "check TLS (TACC_TEMPORAL_TLS_*: a client certificate for mTLS) and that "
                "the address is Temporal's frontend",
            ) from None
        line.seen.append(f"authenticated: server {found['version'] or '(no version)'}")

    def namespace_line(line: Line) -> None:
        seen = found.get("namespace")
        if seen is None:
            raise Stop("not checked: the frontend was not reached", mark=ABSENT)
        if isinstance(seen, RPCError):
            if seen.status == RPCStatusCode.NOT_FOUND:
                raise Stop(
                    f"namespace {namespace!r} is not registered on this deployment",
                    "register it (temporal operator namespace create) or set TACC_NAMESPACE",
                )
            raise Stop(f"{seen.status.name if seen.status else 'error'}: {seen}")
        line.seen.append(seen)

    lines = [
        run_stages(Line("frontend", address), frontend),
        run_stages(Line("namespace", namespace), namespace_line),
    ]
    return lines, found.get("version", "")


# ---------------------------------------------------------------- the UI


def ui_line(endpoints: Endpoints, fetch: Callable[[str], Any] = get_json) -> Line:
    url = endpoints.ui_url

    def stages(line: Line) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        reach(line, host, port, "check TACC_UI_URL (DNS, a port-forward, a firewall)")
        if parts.scheme == "https":
            try:
                line.seen.append(tls_handshake(host, port, alpn=()).line())
            except Unreachable as exc:
                raise Stop(
                    str(exc), "the UI's certificate must be trusted by this machine"
                ) from None
        try:
            health = fetch(f"{url}/healthz")
            names = [
                ns["namespaceInfo"]["name"]
                for ns in fetch(f"{url}/api/v1/namespaces").get("namespaces", [])
            ]
        except (OSError, ValueError, KeyError, urllib.error.URLError) as exc:
            raise Stop(f"the UI did not answer: {exc}", "check TACC_UI_URL") from None
        if not (isinstance(health, dict) and health.get("status") == "OK"):
            raise Stop(f"/healthz answered {health!r}, not OK", "check TACC_UI_URL")
        line.seen.append("/healthz OK")
        if endpoints.namespace not in names:
            raise Stop(
                f"the UI lists namespaces {names}, not {endpoints.namespace!r}",
                "point TACC_UI_URL at the UI of this frontend",
                mark=FINDING,
            )
        line.seen.append(f"lists namespace {endpoints.namespace!r} (reaches the frontend)")

    return run_stages(Line("ui", url), stages)


# ---------------------------------------------------------------- what the user pointed at


def log_lines(sources: Mapping[str, LogSource | None], services: Sequence[str]) -> list[Line]:
    lines = []
    for service in services:
        source = sources.get(service)
        name = f"{service} log"
        if source is None:
            env = f"TACC_{service.upper()}_LOG"
            lines.append(
                Line(
                    name,
                    "(not given)",
                    mark=ABSENT,
                    problem="its log gate is skipped",
                    fix=f"set {env}=/path/to/file or cmd:docker logs --timestamps NAME",
                )
            )
            continue

        def stages(line: Line, source: LogSource = source) -> None:
            until = datetime.now(UTC)
            count = len(source.read(until - timedelta(minutes=5), until))
            line.seen.append(f"read: {count} lines in the last 5 minutes")

        lines.append(run_source(Line(name, source.describe()), stages))
    return lines


def config_line(path: str) -> Line:
    if not path:
        return Line(
            "server configuration",
            "(not given)",
            mark=ABSENT,
            problem="the datastore gate is skipped",
            fix="set TACC_TEMPORAL_CONFIG to the server's configuration or environment file",
        )

    def stages(line: Line) -> None:
        stores = read_server_datastores(Path(path))
        line.seen.append(", ".join(store.describe() for store in stores) or "no SQL datastores")

    return run_source(Line("server configuration", path), stages)


def preflight(
    endpoints: Endpoints,
    sources: Mapping[str, LogSource | None],
    config: str,
    services: Sequence[str] = ("temporal", "postgres", "ui"),
) -> PreflightReport:
    started = time.monotonic()
    lines, temporal = frontend_lines(endpoints)
    lines.append(ui_line(endpoints))
    pg, postgres = postgres_line(endpoints)
    lines += [pg, app_line(endpoints), config_line(config), *log_lines(sources, services)]
    return PreflightReport(lines, time.monotonic() - started, temporal, postgres)
