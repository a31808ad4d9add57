"""The role logic against a scripted PostgreSQL session (the real one: tests/integration):
what is refused, and which statements each situation sends — never a password in clear."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import sql

from temporal_acceptance.clients.endpoints import PostgresAddress
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.native import roles

PASSWORD = Secret("temporal-pw-123456")
ADMIN = Secret("admin-pw-654321")


class Result:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class Session:
    """Answers the role queries from a dict of facts; records every statement."""

    def __init__(self, facts: dict[str, Any], log: list[str], user: str) -> None:
        self.facts, self.log, self.user = facts, log, user
        self.pgconn = self

    def encrypt_password(self, password: bytes, user: bytes, algorithm: bytes) -> bytes:
        return b"SCRAM-SHA-256$4096:fake-verifier-for-" + user

    def execute(self, statement: Any, params: Any = None) -> Result:
        text = statement.as_string(None) if isinstance(statement, sql.Composable) else statement
        self.log.append(f"{self.user}: {text}")
        if "rolsuper from pg_roles" in text:
            return Result([(self.facts.get("superuser", True),)])
        if "select 1 from pg_roles" in text:
            return Result([(1,)] if params[0] in self.facts.get("roles", ()) else [])
        if "select oid from pg_roles" in text:
            return Result([(self.facts.get("oid", 10),)])
        return Result([])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.log.append(f"{self.user}: BEGIN")
        yield
        self.log.append(f"{self.user}: COMMIT")


def _connect(facts: dict[str, Any], log: list[str]) -> Any:
    @contextlib.contextmanager
    def connect_as(address: PostgresAddress, database: str) -> Iterator[Session]:
        yield Session(facts, log, address.user)

    return connect_as


LEGACY = PostgresAddress("127.0.0.1", 5432, "temporal", PASSWORD)


def test_a_legacy_bootstrap_superuser_is_renamed_and_temporal_recreated_in_one_transaction() -> (
    None
):
    log: list[str] = []
    changes = roles.adopt_legacy(LEGACY, ADMIN, _connect({"roles": {"temporal"}}, log))
    assert changes == ["initdb's superuser temporal renamed postgres (the admin role)"]
    helper = [line for line in log if line.startswith("tacc_adoption:")]
    assert helper[0] == "tacc_adoption: BEGIN"
    assert helper[-1] == "tacc_adoption: COMMIT"
    assert 'ALTER ROLE "temporal" RENAME TO "postgres"' in "\n".join(helper)
    assert any('CREATE ROLE "temporal" LOGIN NOSUPERUSER NOCREATEDB' in line for line in helper)
    text = "\n".join(log)
    assert PASSWORD.reveal() not in text
    assert ADMIN.reveal() not in text


def test_a_non_bootstrap_superuser_is_demoted_and_an_admin_made() -> None:
    log: list[str] = []
    facts = {"roles": {"temporal", "tacc_adoption"}, "oid": 16384}
    changes = roles.adopt_legacy(LEGACY, ADMIN, _connect(facts, log))
    assert changes == ["role temporal is no longer a superuser; postgres is the admin role"]
    assert any('ALTER ROLE "tacc_adoption" LOGIN SUPERUSER PASSWORD' in line for line in log)
    assert any('CREATE ROLE "postgres" LOGIN SUPERUSER' in line for line in log)
    assert any('ALTER ROLE "temporal" LOGIN NOSUPERUSER' in line for line in log)


def test_an_admin_password_that_opens_nothing_is_not_papered_over() -> None:
    with pytest.raises(UserError, match="'temporal' is not a superuser: this deployment's admin"):
        roles.adopt_legacy(LEGACY, ADMIN, _connect({"superuser": False}, []))
    with pytest.raises(UserError, match="a role 'postgres' exists already"):
        roles.adopt_legacy(LEGACY, ADMIN, _connect({"roles": {"temporal", "postgres"}}, []))


def test_ensure_creates_what_is_missing_and_revokes_public_connect() -> None:
    log: list[str] = []
    admin = PostgresAddress("127.0.0.1", 5432, "postgres", ADMIN)
    plan = roles.RolePlan(admin, "temporal", PASSWORD, "acceptance_app", Secret("app-pw-0000"))
    changes = roles.ensure_roles(plan, _connect({"roles": {"tacc_adoption"}}, log))
    assert changes[:3] == [
        "dropped the adoption helper role tacc_adoption",
        "created role temporal",
        "created role acceptance_app",
    ]
    text = "\n".join(log)
    assert 'CREATE DATABASE "temporal_visibility" OWNER "temporal"' in text
    assert 'REVOKE CONNECT, TEMPORARY ON DATABASE "postgres" FROM PUBLIC' in text
    assert 'CREATE EXTENSION IF NOT EXISTS "btree_gin"' in text
    superuser = roles.RolePlan(admin, "temporal", PASSWORD, "a", Secret("x"), True)
    log.clear()
    roles.ensure_roles(superuser, _connect({"roles": {"temporal", "a"}}, log))
    assert 'postgres: ALTER ROLE "temporal" LOGIN SUPERUSER' in log
