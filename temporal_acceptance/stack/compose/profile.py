"""What the compose deployment's operator gates read, and the TLS profile's files: the
server's facts from its container, where PostgreSQL's data lives (its mounts), the
certificates and pg_hba.conf the TLS override mounts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import Endpoints, PostgresAddress
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.compose.engine import parse_env
from temporal_acceptance.stack.compose.project import TLS_DIR_VARIABLE
from temporal_acceptance.stack.compose.servers import data_location_of, facts_from_env
from temporal_acceptance.stack.facts import DataLocation, TemporalFacts
from temporal_acceptance.stack.tls import issue

DYNAMIC_CONFIG = "compose/dynamicconfig/acceptance.yaml"
# The postgres account of the official image and of the local one (uid, gid).
IMAGE_POSTGRES_ACCOUNT = (999, 999)
# TLS profile: the socket for the image's own setup, TLS only on TCP.
COMPOSE_TLS_HBA = "local all all trust\nhostssl all all all scram-sha-256\n"
DEFAULT_PGDATA = "/var/lib/postgresql/data"


def issue_tls(variables: Mapping[str, str]) -> None:
    """The certificates and pg_hba.conf in the directory the TLS override mounts (the key
    owned by the images' postgres account); nothing without the profile."""
    directory = variables.get(TLS_DIR_VARIABLE)
    if not directory:
        return
    files = issue(Path(directory), IMAGE_POSTGRES_ACCOUNT if os.geteuid() == 0 else None)
    hba = files.directory / "pg_hba.conf"
    hba.write_text(COMPOSE_TLS_HBA)
    hba.chmod(0o644)


def ca_file(variables: Mapping[str, str]) -> str:
    directory = variables.get(TLS_DIR_VARIABLE)
    return str(Path(directory) / "ca.crt") if directory else ""


def server_facts(
    project_dir: Path, server_env: Mapping[str, str], topology: Mapping[str, int]
) -> TemporalFacts:
    dynamic_file = project_dir / DYNAMIC_CONFIG
    dynamic = yaml.safe_load(dynamic_file.read_text()) if dynamic_file.is_file() else {}
    source = f"the temporal container's environment and {DYNAMIC_CONFIG}"
    return facts_from_env(server_env, topology, dynamic or {}, source)


def postgres_data_location(container: Any, project: str) -> DataLocation:
    env = parse_env((container.attrs.get("Config") or {}).get("Env"))
    pgdata = env.get("PGDATA", DEFAULT_PGDATA)
    return data_location_of(container.attrs.get("Mounts") or [], pgdata, project)


def admin_address(variables: Mapping[str, str], endpoints: Endpoints) -> PostgresAddress | None:
    """The image's superuser (the deployment's admin) as the suite reaches it, when the
    project's variables hold its password."""
    password = variables.get("POSTGRES_ADMIN_PASSWORD")
    if not password:
        return None
    return PostgresAddress(
        endpoints.postgres_host,
        endpoints.postgres_port,
        variables.get("POSTGRES_ADMIN_USER") or "postgres",
        Secret(password),
        endpoints.postgres_ca_file,
    )
