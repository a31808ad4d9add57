"""Backups of Temporal's two databases (pg_dump, custom format) and their restore.

A backup is a directory: one dump per database and backup.json, which says which releases
wrote the data (Temporal, the UI, the PostgreSQL major), each database's schema version,
each dump's size and sha256, and whether Temporal was running while it was dumped (each
database is dumped consistently; only a stopped Temporal makes the pair consistent, so the
upgrade command stops it first). It works over the deployment's PostgreSQL endpoint, so
the same code serves the native and the compose target. The password reaches pg_dump and
pg_restore through PGPASSWORD, never a command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from temporal_acceptance.clients.endpoints import (
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    Endpoints,
)
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say
from temporal_acceptance.core.secrets import redact
from temporal_acceptance.provision.pgclient import client_tool, tool_version

DATABASES = (TEMPORAL_DATABASE, VISIBILITY_DATABASE)
MANIFEST = "backup.json"
BACKUPS_DIR = "backups"


@dataclass(frozen=True)
class Dump:
    database: str
    file: str
    bytes: int
    sha256: str
    seconds: float
    schema_version: str


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds and which releases wrote it."""

    temporal_version: str
    ui_version: str
    postgres_major: int
    postgres_server: str
    taken_at: str
    temporal_running: bool
    pg_dump: str
    dumps: tuple[Dump, ...]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "dumps": [asdict(d) for d in self.dumps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BackupManifest:
        dumps = tuple(Dump(**d) for d in data["dumps"])
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k != "dumps"}
        return cls(**fields, dumps=dumps)

    def summary(self) -> str:
        sizes = ", ".join(
            f"{d.database} {d.bytes / 1024:.0f} KiB (schema {d.schema_version})" for d in self.dumps
        )
        return (
            f"Temporal {self.temporal_version} on PostgreSQL {self.postgres_server}, taken "
            f"{self.taken_at}: {sizes}"
        )


@dataclass(frozen=True)
class Restored:
    database: str
    seconds: float
    schema_version: str

    def line(self) -> str:
        return f"{self.database}: restored in {self.seconds:.2f}s (schema {self.schema_version})"


def default_directory(state_dir: Path, release: str, label: str = "") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return state_dir / BACKUPS_DIR / f"{stamp}-temporal-{release}{'-' + label if label else ''}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(endpoints: Endpoints, env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "PGPASSWORD": endpoints.postgres_password.reveal(), "PGCONNECT_TIMEOUT": "10"}


def _address(endpoints: Endpoints) -> list[str]:
    return [
        "--host",
        endpoints.postgres_host,
        "--port",
        str(endpoints.postgres_port),
        "--username",
        endpoints.postgres_user,
        "--no-password",
    ]


def _run(argv: list[str], endpoints: Endpoints, env: Mapping[str, str], what: str) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, env=_pg_env(endpoints, env), check=False
    )
    if result.returncode != 0:
        output = redact((result.stderr or result.stdout).strip(), [endpoints.postgres_password])
        last = output.splitlines()[-1] if output else f"exit status {result.returncode}"
        raise UserError(f"{what} failed: {last}", "check PostgreSQL is up and the role may do it")


def schema_version(endpoints: Endpoints, database: str) -> str:
    try:
        with connect(endpoints, database) as conn:
            row = conn.execute(
                "select curr_version from schema_version where db_name = %s", (database,)
            ).fetchone()
    except psycopg.Error:
        return "none"
    return str(row[0]) if row else "none"


def holds_data(endpoints: Endpoints) -> bool:
    """Whether Temporal's databases exist with a schema (something a restore would replace)."""
    return any(schema_version(endpoints, database) != "none" for database in DATABASES)


def take_backup(
    endpoints: Endpoints,
    directory: Path,
    release: tuple[str, str, int],
    temporal_running: bool,
    say: Say,
    env: Mapping[str, str] | None = None,
) -> BackupManifest:
    """Dump both databases into `directory` (new or empty) and write backup.json.
    `release`: the Temporal and UI releases and the PostgreSQL major that wrote the data."""
    env = os.environ if env is None else env
    if directory.exists() and any(directory.iterdir()):
        raise UserError(f"backup directory {directory} is not empty", "choose a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # the dumps hold the data
    pg_dump = client_tool("pg_dump", env)
    with connect(endpoints, "postgres") as conn:
        server = str(conn.execute("show server_version").fetchone()[0])
    dumps = []
    for database in DATABASES:
        path = directory / f"{database}.dump"
        started = time.monotonic()
        argv = [str(pg_dump), *_address(endpoints), "--format=custom", f"--file={path}"]
        _run([*argv, f"--dbname={database}"], endpoints, env, f"pg_dump of {database}")
        seconds = round(time.monotonic() - started, 2)
        version = schema_version(endpoints, database)
        dumps.append(
            Dump(database, path.name, path.stat().st_size, _sha256(path), seconds, version)
        )
        say(f"  backed up {database} ({path.stat().st_size / 1024:.0f} KiB) in {seconds:.2f}s")
    manifest = BackupManifest(
        release[0],
        release[1],
        release[2],
        server,
        datetime.now(UTC).isoformat(timespec="seconds"),
        temporal_running,
        f"pg_dump {tool_version(pg_dump)}",
        tuple(dumps),
    )
    (directory / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    return manifest


def read_backup(directory: Path) -> BackupManifest:
    """A backup's manifest, once every dump it names is there and intact."""
    path = directory / MANIFEST
    if not path.is_file():
        raise UserError(
            f"{directory} holds no backup ({MANIFEST} is missing)",
            f"give a directory written by `temporal-acceptance backup` (under <state_dir>/"
            f"{BACKUPS_DIR}/)",
        )
    try:
        manifest = BackupManifest.from_json(json.loads(path.read_text()))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path} is not a backup manifest: {exc}", "give another backup") from None
    for dump in manifest.dumps:
        file = directory / dump.file
        if not file.is_file() or _sha256(file) != dump.sha256:
            raise UserError(
                f"the backup in {directory} is damaged: {dump.file} is missing or changed",
                "restore another backup",
            )
    return manifest


# pg_restore 18 writes settings older servers do not know (SET transaction_timeout, PG 17+)
# into every script; each is dropped for a server older than the major that added it.
NEWER_SETTINGS = {"SET transaction_timeout = 0;": 17}


def script_filter(server_major: int) -> set[str]:
    """The script lines to leave out for a server of this major."""
    return {line for line, since in NEWER_SETTINGS.items() if server_major < since}


def _restore_one(
    endpoints: Endpoints, dump: Path, server_major: int, env: Mapping[str, str]
) -> None:
    """pg_restore --create writes the database's script; psql runs it (stopping at the
    first error) with the lines this server does not know left out."""
    pg_restore, psql = client_tool("pg_restore", env), client_tool("psql", env)
    skip = script_filter(server_major)
    run_env = _pg_env(endpoints, env)
    script = [str(pg_restore), "--create", "--file=-", str(dump)]
    runner = [str(psql), *_address(endpoints), "--no-psqlrc", "--quiet"]
    runner += ["--set=ON_ERROR_STOP=1", "--dbname=postgres", "--output=/dev/null"]
    with (
        subprocess.Popen(
            script, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=run_env
        ) as writer,
        subprocess.Popen(
            runner, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=run_env
        ) as reader,
    ):
        if writer.stdout is None or reader.stdin is None:  # pragma: no cover (PIPE given)
            raise RuntimeError("no pipes")
        for line in writer.stdout:
            if line.rstrip(b"\n").decode(errors="replace") not in skip:
                reader.stdin.write(line)
        reader.stdin.close()
        errors = (writer.stderr.read() if writer.stderr else b"") + (
            reader.stderr.read() if reader.stderr else b""
        )
    if writer.returncode != 0 or reader.returncode != 0:
        text = redact(errors.decode(errors="replace").strip(), [endpoints.postgres_password])
        last = text.splitlines()[-1] if text else f"exit status {reader.returncode}"
        raise UserError(
            f"restoring {dump.name} failed: {last}",
            "check PostgreSQL is up and the role may create databases",
        )


def server_major(endpoints: Endpoints) -> int:
    with connect(endpoints, "postgres") as conn:
        return int(str(conn.execute("show server_version_num").fetchone()[0])) // 10000


def restore_databases(
    endpoints: Endpoints,
    directory: Path,
    manifest: BackupManifest,
    say: Say,
    env: Mapping[str, str] | None = None,
) -> list[Restored]:
    """Replace both databases with the backup's (Temporal must be stopped): each is dropped
    and recreated from its dump (pg_restore --create: owners and properties included)."""
    env = os.environ if env is None else env
    major = server_major(endpoints)
    done = []
    for dump in manifest.dumps:
        started = time.monotonic()
        with connect(endpoints, "postgres") as conn:
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = %s and pid <> pg_backend_pid()",
                (dump.database,),
            )
            conn.execute(f'drop database if exists "{dump.database}"')
        _restore_one(endpoints, directory / dump.file, major, env)
        seconds = round(time.monotonic() - started, 2)
        done.append(Restored(dump.database, seconds, schema_version(endpoints, dump.database)))
        say(f"  {done[-1].line()}")
    return done
