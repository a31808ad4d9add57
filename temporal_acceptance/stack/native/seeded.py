"""MUTANTS — never deploy. Where each seeded defect of the catalogue (stack/mutants.py)
touches the native deployment, so the gates that must catch it can be proven to fail.

| mutant | hook point | the defect |
|---|---|---|
| ephemeral-postgres | PostgreSQL start | a fresh data directory at every start (mutant.py) |
| trust-auth | PostgreSQL start | `hba_file`: a file of its own trusting every TCP login |
| postgres-any-address | PostgreSQL start | `listen_addresses = '*'` |
| frontend-any-address | Temporal's config | the frontend binds 0.0.0.0 |
| temporal-superuser | roles (every PostgreSQL start) | Temporal's role is a superuser |
| visibility-wrong-database | roles, Temporal's config | the visibility store is another database |
| password-in-log | Temporal start | a deploy step logs the DSN with the password (deploy.log) |

Files a mutant writes live in `mutant-<name>/` of the state directory (with a marker), never
in the real data directory. A mutant that listens on every address runs only where the
network namespace's one interface is loopback (`require_isolated_network`): it never binds a
real host address.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.clients.endpoints import (
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    PostgresAddress,
)
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.stack.native.postgres import NativePostgres
from temporal_acceptance.stack.native.process import RunAs
from temporal_acceptance.stack.native.temporal import NativeTemporal

TRUST_AUTH = "trust-auth"
POSTGRES_ANY_ADDRESS = "postgres-any-address"
FRONTEND_ANY_ADDRESS = "frontend-any-address"
TEMPORAL_SUPERUSER = "temporal-superuser"
VISIBILITY_WRONG_DATABASE = "visibility-wrong-database"
PASSWORD_IN_LOG = "password-in-log"  # noqa: S105 (a mutant's name)
ISOLATED = (POSTGRES_ANY_ADDRESS, FRONTEND_ANY_ADDRESS)
MARKER = "CREATED-BY-A-TEMPORAL-ACCEPTANCE-MUTANT"
# The visibility-wrong-database mutant's store: a database with a complete visibility schema
# (a left-over copy, another deployment's), so Temporal runs on it without a complaint.
WRONG_VISIBILITY_DATABASE = "temporal_visibility_old"

TRUST_HBA = """\
# MUTANT trust-auth of temporal-acceptance: never deploy. Every TCP login is trusted, with
# or without a password.
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
host all all 0.0.0.0/0 trust
"""

Interfaces = Callable[[], list[str]]


def interfaces() -> list[str]:
    """The network interfaces of this process's network namespace."""
    return sorted(name for _, name in socket.if_nameindex())


def require_isolated_network(mutant: str, seen: Interfaces = interfaces) -> None:
    """Refuse to seed a listen-everywhere mutant where that reaches a real network."""
    names = seen()
    if names != ["lo"]:
        raise UserError(
            f"the {mutant} mutant listens on every address, and this network namespace has "
            f"the interfaces {', '.join(names)}: it would bind a real host address",
            "run it in a network namespace of its own whose only interface is loopback: "
            "temporal-acceptance isolated -- behave ... (docs/MUTANTS.md)",
        )


@dataclass(frozen=True)
class MutantFiles:
    """A mutant's own directory in the state directory, marked so only it is deleted."""

    state_dir: Path
    name: str

    @property
    def root(self) -> Path:
        return self.state_dir / f"mutant-{self.name}"

    def write(self, filename: str, text: str, run_as: RunAs | None) -> Path:
        self.root.mkdir(mode=0o755, parents=True, exist_ok=True)
        (self.root / MARKER).write_text(
            f"created {datetime.now(UTC).isoformat()} by the {self.name} mutant of "
            "temporal-acceptance\n"
        )
        path = self.root / filename
        path.write_text(text)
        if run_as is not None:
            os.chown(path, run_as.uid, run_as.gid)
        return path

    def remove(self) -> None:
        if not self.root.exists():
            return
        if not (self.root / MARKER).is_file():
            raise UserError(
                f"{self.root} exists but holds no {MARKER} marker: a mutant did not create it",
                "refusing to delete it; move it away by hand if it is not needed",
            )
        shutil.rmtree(self.root)


DEPLOY_LOG = "deploy.log"
DEPLOY_LOG_HEADER = "# written by the password-in-log mutant of temporal-acceptance: never deploy"


def leaked_dsn_line(login: PostgresAddress, when: datetime | None = None) -> str:
    """A JSON log line carrying the DSN with the password: what a deploy script that
    echoes its connection string leaves in its log."""
    ts = (when or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    dsn = (
        f"postgresql://{login.user}:{login.password.reveal()}@{login.host}:{login.port}/"
        f"{TEMPORAL_DATABASE}"
    )
    return json.dumps({"level": "info", "ts": ts, "msg": f"deploy: connecting Temporal to {dsn}"})


def write_leak(logs_dir: Path, login: PostgresAddress) -> Path:
    """The deploy step's log line with the password (the file is the mutant's own)."""
    path = logs_dir / DEPLOY_LOG
    logs_dir.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a") as log:
        log.write((DEPLOY_LOG_HEADER + "\n" if new else "") + leaked_dsn_line(login) + "\n")
    return path


def seed(mutant: str, postgres: NativePostgres, temporal: NativeTemporal) -> None:
    """Set the configuration a mutant changes (the others act at their hook points)."""
    if mutant == POSTGRES_ANY_ADDRESS:
        postgres.listen_override = "*"
    elif mutant == FRONTEND_ANY_ADDRESS:
        temporal.frontend_bind = "0.0.0.0"  # noqa: S104 (the mutant's whole point)
    elif mutant == VISIBILITY_WRONG_DATABASE:
        temporal.visibility_database = WRONG_VISIBILITY_DATABASE


def unseed(state_dir: Path, postgres: NativePostgres, temporal: NativeTemporal) -> None:
    """Every mutant's configuration back to the real one, its files removed."""
    MutantFiles(state_dir, TRUST_AUTH).remove()
    # password-in-log's deploy.log stays: the run's secrets gate reads it after the mutant is
    # switched off, and the next run's gate reads only what that run adds to a log.
    postgres.data_dir_override = None
    postgres.listen_override = None
    postgres.hba_file_override = None
    temporal.frontend_bind = None
    temporal.visibility_database = VISIBILITY_DATABASE
