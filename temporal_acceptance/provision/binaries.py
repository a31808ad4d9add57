"""Everything a native stack needs, provisioned in one call."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.provision.cache import read_manifest, write_manifest
from temporal_acceptance.provision.gobuild import (
    ensure_go_binary,
    module_source_dir,
    temporal_server,
    temporal_sql_tool,
    ui_server,
)
from temporal_acceptance.provision.postgres import PostgresBinaries, ensure_postgres

# Schema versions each Temporal release line expects (schema/postgresql/v12/version.go),
# used only when the binaries come from an override and the module source is not at hand.
KNOWN_SCHEMA_VERSIONS: dict[str, tuple[str, str]] = {
    "1.29": ("1.18", "1.9"),
    "1.30": ("1.18", "1.13"),
    "1.31": ("1.19", "1.14"),
    "1.32": ("1.19", "1.14"),
}


@dataclass(frozen=True)
class ReleaseSchema:
    """What a Temporal release expects of its databases, read from its own schema files
    (schema/postgresql/v12 in the server module): both schema versions, the tables each
    database needs (schema_version, which temporal-sql-tool creates, included) and what the
    visibility schema installs besides tables. Empty tuples: the files were not at hand."""

    temporal: str
    visibility: str
    temporal_tables: tuple[str, ...] = ()
    visibility_tables: tuple[str, ...] = ()
    visibility_extensions: tuple[str, ...] = ()
    visibility_functions: tuple[str, ...] = ()
    # The pre-allocated columns of custom search attributes (Bool01, ..., KeywordList03):
    # SQL visibility has a fixed number per type.
    search_attribute_columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ReleaseSchema:
        def names(key: str) -> tuple[str, ...]:
            value = data.get(key, ())
            return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()

        return cls(
            str(data["temporal"]),
            str(data["visibility"]),
            names("temporal_tables"),
            names("visibility_tables"),
            names("visibility_extensions"),
            names("visibility_functions"),
            names("search_attribute_columns"),
        )


_CREATE = re.compile(
    r"\bCREATE\s+(TABLE|EXTENSION|(?:OR\s+REPLACE\s+)?FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(\w+)",
    re.IGNORECASE,
)
SCHEMA_DIR = "schema/postgresql/v12"
# A custom search attribute's column in executions_visibility: type name + two digits.
_SLOT = re.compile(
    r"^\s+((?:Bool|Datetime|Double|Int|KeywordList|Keyword|Text)\d{2})\s", re.MULTILINE
)
# temporal-sql-tool creates it (setup-schema); the schema files do not.
TOOL_TABLE = "schema_version"


def created(sql: str, kind: str) -> tuple[str, ...]:
    """The names a schema file CREATEs of one kind ('table', 'extension', 'function')."""
    return tuple(
        sorted({name.lower() for what, name in _CREATE.findall(sql) if kind in what.lower()})
    )


def read_release_schema(module_dir: Path) -> ReleaseSchema:
    """A release's expectations from its module source (the files a Go build downloads)."""
    root = module_dir / SCHEMA_DIR
    versions = parse_schema_versions((root / "version.go").read_text())
    temporal_sql = (root / "temporal/schema.sql").read_text()
    visibility_sql = (root / "visibility/schema.sql").read_text()
    return ReleaseSchema(
        versions.temporal,
        versions.visibility,
        tuple(sorted({*created(temporal_sql, "table"), TOOL_TABLE})),
        tuple(sorted({*created(visibility_sql, "table"), TOOL_TABLE})),
        created(visibility_sql, "extension"),
        created(visibility_sql, "function"),
        tuple(sorted(set(_SLOT.findall(visibility_sql)))),
    )


@dataclass(frozen=True)
class Binaries:
    temporal_server: Path
    sql_tool: Path
    ui_server: Path
    postgres: PostgresBinaries
    schema: ReleaseSchema


def parse_schema_versions(version_go: str) -> ReleaseSchema:
    """Read `const Version = "1.18"` and `const VisibilityVersion = "1.13"` from Go source."""
    found = dict(re.findall(r'const\s+(Version|VisibilityVersion)\s*=\s*"([\d.]+)"', version_go))
    if set(found) != {"Version", "VisibilityVersion"}:
        raise ValueError("schema version constants not found")
    return ReleaseSchema(found["Version"], found["VisibilityVersion"])


def known_schema(temporal_version: str) -> ReleaseSchema:
    """The schema versions of a release line from the table above."""
    series = ".".join(temporal_version.split(".")[:2])
    if series not in KNOWN_SCHEMA_VERSIONS:
        raise UserError(
            f"the schema version Temporal {temporal_version} expects is unknown",
            f"use a release of {', '.join(sorted(KNOWN_SCHEMA_VERSIONS))} or install Go so "
            "the suite can read it from the module source",
        )
    return ReleaseSchema(*KNOWN_SCHEMA_VERSIONS[series])


def release_schema(temporal_version: str, env: Mapping[str, str]) -> ReleaseSchema:
    """What the release expects, from its module source when Go can fetch it; otherwise the
    schema versions of the table above (and no table list)."""
    go = shutil.which("go", path=env.get("PATH"))
    if go is None:
        return known_schema(temporal_version)
    return read_release_schema(
        module_source_dir(go, "go.temporal.io/server", temporal_version, env)
    )


# The manifest key of a build's release schema ("schema" held only the two versions in
# earlier versions of the suite, which share the cache and must still read it).
MANIFEST_KEY = "release_schema"


def expected_schema(
    temporal_version: str, server_binary: Path, env: Mapping[str, str]
) -> ReleaseSchema:
    """What this Temporal release expects of its databases, recorded beside its build."""
    if env.get("TACC_TEMPORAL_SERVER_BIN"):
        # A binary of unknown origin: the requested release's files, not a build's record.
        return release_schema(temporal_version, env)
    entry = server_binary.parent
    manifest = read_manifest(entry)
    recorded = manifest.get(MANIFEST_KEY)
    kept = ReleaseSchema.from_json(recorded) if isinstance(recorded, dict) else None
    if kept is not None and kept.temporal_tables and kept.search_attribute_columns:
        return kept
    schema = release_schema(temporal_version, env)
    if not schema.temporal_tables and kept is not None and kept.temporal_tables:
        return kept  # recorded by an earlier version of the suite; no module source here
    if manifest and schema.temporal_tables:  # our own cache entry: remember it
        write_manifest(entry, {**manifest, MANIFEST_KEY: schema.to_json()})
    return schema


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
