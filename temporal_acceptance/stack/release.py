"""Changing the Temporal release of a deployment: its schema updates (timed), and what a
server that refuses an old schema said, turned into the one line that names the fix.

A Temporal server checks both databases' schema_version when it starts and exits with
"sql schema version compatibility check failed: version mismatch for keyspace/database:
"temporal". Expected version: 1.19 cannot be greater than Actual version: 1.18"
(common/persistence/schema/version.go) when one is older than the release expects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, VISIBILITY_DATABASE
from temporal_acceptance.core.errors import UserError

SCHEMA_PLUGIN = "postgres12"
# Each database and the schema directory the tool's embedded schemas use for it.
SCHEMA_NAMES = {
    TEMPORAL_DATABASE: "postgresql/v12/temporal",
    VISIBILITY_DATABASE: "postgresql/v12/visibility",
}
# The server's own words (JSON logs escape the quotes around the database name).
_MISMATCH = re.compile(
    r"(?:sql schema version compatibility check failed: )?version mismatch for "
    r'keyspace/database: \\?"(?P<database>[\w-]+)\\?"\. Expected version: '
    r"(?P<expected>\d+(?:\.\d+)*) cannot be greater than Actual version: (?P<actual>\d+(?:\.\d+)*)"
)


@dataclass(frozen=True)
class SchemaUpdate:
    """One database's update-schema run: the versions before and after, and its time."""

    database: str
    before: str
    after: str
    seconds: float

    def line(self) -> str:
        change = "unchanged" if self.before == self.after else f"{self.before} → {self.after}"
        return f"{self.database}: {change} in {self.seconds:.2f}s"

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SchemaMismatch:
    """A server's refusal of a schema: the database, what it expects, what it found."""

    database: str
    expected: str
    actual: str

    @property
    def server_says(self) -> str:
        return (
            "sql schema version compatibility check failed: version mismatch for "
            f'keyspace/database: "{self.database}". Expected version: {self.expected} '
            f"cannot be greater than Actual version: {self.actual}"
        )


def find_schema_mismatch(server_output: str) -> SchemaMismatch | None:
    """The last schema refusal in a server's output (log or console), if any."""
    found = list(_MISMATCH.finditer(server_output))
    if not found:
        return None
    last = found[-1]
    return SchemaMismatch(last["database"], last["expected"], last["actual"])


def sql_tool_commands(sql_tool: str, host: str, port: int, user: str) -> list[str]:
    """The update-schema command for each database, as a user types it (the tool reads
    the password from SQL_PASSWORD: it never goes on a command line)."""
    return [
        f"{sql_tool} --plugin {SCHEMA_PLUGIN} --ep {host} --port {port} --user {user} "
        f"--db {database} update-schema --schema-name {schema}"
        for database, schema in SCHEMA_NAMES.items()
    ]


def schema_refusal(release: str, mismatch: SchemaMismatch, commands: Sequence[str]) -> UserError:
    """A version-compatibility failure naming the server's error and the exact fix."""
    steps = "; ".join(f"`{command}`" for command in commands)
    return UserError(
        f"version compatibility: Temporal {release} refuses the schema of its databases — "
        f"the server says: {mismatch.server_says}",
        f"update both schemas with Temporal {release}'s temporal-sql-tool before it starts "
        f"(password in SQL_PASSWORD): {steps}; or run `temporal-acceptance upgrade --to "
        f"{release}`, which backs the databases up first",
    )
