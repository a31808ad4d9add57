"""Everything a native stack needs, provisioned in one call."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.errors import UserError
from temporal_acceptance.provision.cache import read_manifest, write_manifest
from temporal_acceptance.provision.gobuild import (
    ensure_go_binary,
    module_source_dir,
    temporal_server,
    temporal_sql_tool,
    ui_server,
)
from temporal_acceptance.provision.postgres import PostgresBinaries, ensure_postgres
from temporal_acceptance.provision.progress import Say, stderr_say
from temporal_acceptance.settings import Settings

# Schema versions each Temporal release line expects (schema/postgresql/v12/version.go),
# used only when the binaries come from an override and the module source is not at hand.
KNOWN_SCHEMA_VERSIONS: dict[str, tuple[str, str]] = {
    "1.29": ("1.18", "1.9"),
    "1.30": ("1.18", "1.13"),
    "1.31": ("1.19", "1.14"),
}


@dataclass(frozen=True)
class SchemaVersions:
    temporal: str
    visibility: str


@dataclass(frozen=True)
class Binaries:
    temporal_server: Path
    sql_tool: Path
    ui_server: Path
    postgres: PostgresBinaries
    schema: SchemaVersions


def parse_schema_versions(version_go: str) -> SchemaVersions:
    """Read `const Version = "1.18"` and `const VisibilityVersion = "1.13"` from Go source."""
    found = dict(re.findall(r'const\s+(Version|VisibilityVersion)\s*=\s*"([\d.]+)"', version_go))
    if set(found) != {"Version", "VisibilityVersion"}:
        raise ValueError("schema version constants not found")
    return SchemaVersions(found["Version"], found["VisibilityVersion"])


def known_schema(temporal_version: str) -> SchemaVersions:
    """The schema versions of a release line from the table above."""
    series = ".".join(temporal_version.split(".")[:2])
    if series not in KNOWN_SCHEMA_VERSIONS:
        raise UserError(
            f"the schema version Temporal {temporal_version} expects is unknown",
            f"use a release of {', '.join(sorted(KNOWN_SCHEMA_VERSIONS))} or install Go so "
            "the suite can read it from the module source",
        )
    return SchemaVersions(*KNOWN_SCHEMA_VERSIONS[series])


def expected_schema(
    temporal_version: str, server_binary: Path, env: Mapping[str, str]
) -> SchemaVersions:
    """The schema versions this Temporal release expects, recorded beside its build."""
    if env.get("TACC_TEMPORAL_SERVER_BIN"):
        # A binary of unknown origin: trust the requested release line, not a module source.
        return known_schema(temporal_version)
    entry = server_binary.parent
    manifest = read_manifest(entry)
    if "schema" in manifest:
        return SchemaVersions(**manifest["schema"])
    go = shutil.which("go", path=env.get("PATH"))
    if go is not None:
        source = module_source_dir(go, "go.temporal.io/server", temporal_version, env)
        schema = parse_schema_versions((source / "schema/postgresql/v12/version.go").read_text())
        if manifest:  # our own cache entry: remember it for next time
            write_manifest(entry, {**manifest, "schema": schema.__dict__})
        return schema
    return known_schema(temporal_version)


def provision_all(
    settings: Settings, env: Mapping[str, str] | None = None, say: Say = stderr_say
) -> Binaries:
    env = os.environ if env is None else env
    cache = settings.cache_dir
    server = ensure_go_binary(temporal_server(settings.temporal_version), cache, env, say)
    sql_tool = ensure_go_binary(temporal_sql_tool(settings.temporal_version), cache, env, say)
    ui = ensure_go_binary(ui_server(settings.ui_version), cache, env, say)
    postgres = ensure_postgres(settings.postgres_major, cache, env, say)
    schema = expected_schema(settings.temporal_version, server, env)
    return Binaries(server, sql_tool, ui, postgres, schema)
