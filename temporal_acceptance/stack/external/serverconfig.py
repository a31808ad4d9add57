"""The datastores an external Temporal server runs with, from a configuration the user points
at (TACC_TEMPORAL_CONFIG): the server's rendered YAML configuration, or its environment as
KEY=VALUE lines (what `docker exec temporal env` or `kubectl exec deploy/temporal -- env`
prints) for servers configured by the official image's variables (DB, POSTGRES_SEEDS, ...).

The datastore gate connects as the server does: with the user and the password the
configuration holds (a Secret: it never prints, and the secrets gate looks for it in what
the run wrote).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from temporal_acceptance.clients.endpoints import DataStore
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.compose.servers import datastores_from_env

TEMPLATE_MARK = "enable-template"


def _environment(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key and not key.startswith("#"):
            env[key.strip()] = value.strip().strip("'\"")
    return env


def _yaml_datastores(config: Any, where: str) -> list[DataStore]:
    try:
        persistence = config["persistence"]
        names = [persistence["defaultStore"], persistence["visibilityStore"]]
        stores = persistence["datastores"]
    except (KeyError, TypeError):
        raise UserError(
            f"{where} has no persistence section with defaultStore, visibilityStore and "
            "datastores (is it a temporal-server configuration?)",
            "point TACC_TEMPORAL_CONFIG at the server's configuration or its environment",
        ) from None
    found = []
    for role, name in zip(("default", "visibility"), names, strict=True):
        sql = (stores.get(name) or {}).get("sql") if isinstance(stores, dict) else None
        if not isinstance(sql, dict):
            continue  # not an SQL store (Cassandra, Elasticsearch): nothing to reach here
        host, _, port = str(sql.get("connectAddr", "")).rpartition(":")
        password = str(sql.get("password") or "")
        found.append(
            DataStore(
                str(name),
                host,
                int(port) if port.isdigit() else 5432,
                str(sql.get("databaseName", "")),
                str(sql.get("user", "")),
                role,
                Secret(password) if password else None,
            )
        )
    return found


def read_server_datastores(path: Path) -> list[DataStore]:
    """The SQL datastores named by the configuration at `path` (see the module doc)."""
    text = path.read_text(errors="replace")
    head = "\n".join(text.splitlines()[:20])
    if any(line.lstrip().startswith("#") and TEMPLATE_MARK in line for line in head.splitlines()):
        raise UserError(
            f"{path} is a template the server renders from its environment ({TEMPLATE_MARK})",
            "point TACC_TEMPORAL_CONFIG at the server's environment instead "
            "(`docker exec <server> env > server.env`), or at the rendered configuration",
        )
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict) and "persistence" in parsed:
        return _yaml_datastores(parsed, str(path))
    env = _environment(text)
    if "DB" not in env:
        raise UserError(
            f"{path} is neither a temporal-server configuration (no persistence section) nor "
            "a server environment (no DB=...)",
            "point TACC_TEMPORAL_CONFIG at the server's configuration or its environment",
        )
    return [
        DataStore(
            store.name, store.host, store.port, store.database, store.user, store.role,
            store.password,
        )
        for store in datastores_from_env(env)
    ]  # fmt: skip
