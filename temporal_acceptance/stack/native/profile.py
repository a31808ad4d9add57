"""What a native stack is configured with beyond its processes: the postgres_tls profile's
certificates, the facts its rendered configuration holds, what its effective configuration
shows of roles and ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import APP_ROLE
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.facts import TemporalFacts
from temporal_acceptance.stack.native.config_mutants import TLS_NOT_REQUIRED
from temporal_acceptance.stack.native.layout import ADMIN_SECRET, APP_SECRET, Layout
from temporal_acceptance.stack.native.process import RunAs
from temporal_acceptance.stack.native.roles import ADMIN_ROLE
from temporal_acceptance.stack.native.server_config import facts_from_config
from temporal_acceptance.stack.tls import TlsFiles, issue


def tls_files(
    settings: Settings, mutant: str, layout: Layout, run_as: RunAs | None
) -> tuple[TlsFiles | None, bool]:
    """The postgres_tls profile: certificates in the state directory (and whether PostgreSQL
    requires TLS: only the TLS-not-required mutant says no); (None, False) when it is off."""
    if not (settings.postgres_tls or mutant == TLS_NOT_REQUIRED):
        return None, False
    layout.pg_tls.parent.mkdir(parents=True, exist_ok=True)
    files = issue(layout.pg_tls, (run_as.uid, run_as.gid) if run_as else None)
    return files, mutant != TLS_NOT_REQUIRED


def facts_from_files(layout: Layout, topology: Mapping[str, int]) -> TemporalFacts | None:
    """What the rendered server configuration asks for (None: not rendered yet)."""
    if not layout.temporal_config.is_file():
        return None
    config = yaml.safe_load(layout.temporal_config.read_text())
    dynamic: dict[str, Any] = {}
    if layout.dynamic_config.is_file():
        dynamic = yaml.safe_load(layout.dynamic_config.read_text()) or {}
    return facts_from_config(config, dynamic, topology, str(layout.temporal_config))


def roles_shown(layout: Layout, temporal_user: str) -> dict[str, str]:
    """The PostgreSQL roles for the effective configuration: where each secret lives."""
    return {
        "admin": f"{ADMIN_ROLE} (setup only; {layout.secret_file(ADMIN_SECRET)})",
        "temporal": f"{temporal_user} ({layout.password_file})",
        "application": f"{APP_ROLE} ({layout.secret_file(APP_SECRET)})",
    }


def deployed(settings: Settings) -> dict[str, Any]:
    """What stack.json records of a deployment brought up."""
    return {
        "postgres_major": settings.postgres_major,
        "temporal_version": settings.temporal_version,
        "ui_version": settings.ui_version,
        "topology": settings.topology,
        "ports": {
            "postgres": settings.postgres_port,
            "temporal": settings.temporal_port,
            "ui": settings.ui_port,
        },
    }
