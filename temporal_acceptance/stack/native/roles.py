"""Least privilege in a native deployment's PostgreSQL: who may do what.

- The admin role (`postgres`, initdb's superuser) does the setup: roles, databases, the
  `btree_gin` extension (not a trusted extension before PostgreSQL 13). Its password
  (secrets/admin-password) is never given to Temporal.
- Temporal's role (settings.postgres_user, `temporal`) logs in and owns `temporal` and
  `temporal_visibility`; it is not a superuser and cannot create roles or databases, so
  temporal-sql-tool sets the schemas up as Temporal on databases the admin created.
- The test worker's role (`acceptance_app`) owns the application database and nothing else.
- CONNECT is revoked from PUBLIC on every database: each role reaches its own databases only.

Passwords go to PostgreSQL as SCRAM verifiers computed on this side (libpq's
PQencryptPasswordConn), so no statement — nor a server log line quoting one — holds a
password in clear text.

A state directory written before the admin role existed has Temporal's role as initdb's
superuser (the bootstrap user, which PostgreSQL 16 refuses to demote). `adopt_legacy` makes
it look like a fresh deployment without losing a row: a helper superuser renames the bootstrap
user to `postgres` (the admin, with the new admin password) and creates Temporal's role anew
with its old password, in one transaction; `ensure_roles` then hands Temporal's databases and
their tables to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from temporal_acceptance.clients.endpoints import (
    APP_DATABASE,
    TEMPORAL_DATABASE,
    VISIBILITY_DATABASE,
    PostgresAddress,
)
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret

ADMIN_ROLE = "postgres"
ADMIN_DATABASE = "postgres"
# A superuser that lives only while an earlier version's deployment is adopted.
ADOPTION_ROLE = "tacc_adoption"
BOOTSTRAP_OID = 10  # initdb's superuser
LEAST_PRIVILEGE = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
SUPERUSER = sql.SQL("LOGIN SUPERUSER")  # only for the temporal-superuser mutant
EXTENSIONS = {VISIBILITY_DATABASE: ("btree_gin",)}
# The comment on a database only the visibility-wrong-database mutant creates: dropped when
# the mutant is switched off, and no other database ever is.
MUTANT_DATABASE_COMMENT = "created by the visibility-wrong-database mutant of temporal-acceptance"

Connect = Callable[[PostgresAddress, str], Any]


@dataclass(frozen=True)
class RolePlan:
    """The roles and databases a native deployment has, with the passwords from its
    secrets files."""

    admin: PostgresAddress
    temporal_user: str
    temporal_password: Secret
    app_user: str
    app_password: Secret
    # MUTANT temporal-superuser: Temporal's role made a superuser (off unless asked for).
    temporal_superuser: bool = False
    # MUTANT visibility-wrong-database: one more visibility database of Temporal's.
    extra_visibility: str = ""

    def owners(self) -> dict[str, str]:
        owners = {
            TEMPORAL_DATABASE: self.temporal_user,
            VISIBILITY_DATABASE: self.temporal_user,
            APP_DATABASE: self.app_user,
        }
        if self.extra_visibility:
            owners[self.extra_visibility] = self.temporal_user
        return owners

    def login(self, user: str) -> PostgresAddress:
        password = self.temporal_password if user == self.temporal_user else self.app_password
        return PostgresAddress(self.admin.host, self.admin.port, user, password)


def verifier(conn: psycopg.Connection[Any], role: str, password: Secret) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for the password (not the password)."""
    hashed = conn.pgconn.encrypt_password(
        password.reveal().encode(), role.encode(), b"scram-sha-256"
    )
    return bytes(hashed).decode()


def _role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def _ensure_role(conn: psycopg.Connection[Any], role: str, password: Secret, attrs: Any) -> str:
    name = sql.Identifier(role)
    if not _role_exists(conn, role):
        conn.execute(
            sql.SQL("CREATE ROLE {} {} PASSWORD {}").format(
                name, attrs, sql.Literal(verifier(conn, role, password))
            )
        )
        return f"created role {role}"
    conn.execute(sql.SQL("ALTER ROLE {} {}").format(name, attrs))
    return ""


def _ensure_database(conn: psycopg.Connection[Any], database: str, owner: str) -> str:
    row = conn.execute(
        "select pg_get_userbyid(datdba) from pg_database where datname = %s", (database,)
    ).fetchone()
    name, role = sql.Identifier(database), sql.Identifier(owner)
    if row is None:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(name, role))
        return f"created database {database} (owner {owner})"
    if row[0] != owner:
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, role))
        return f"database {database}: owner {row[0]} → {owner}"
    return ""


# Objects of the public schema not owned by the database's owner (extension members stay
# the admin's). Tables take their indexes and owned sequences with them.
FOREIGN_OBJECTS = """
select case when c.relkind = 'S' then 'SEQUENCE' when c.relkind in ('v', 'm') then 'VIEW'
            else 'TABLE' end, c.oid::regclass::text
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  and pg_get_userbyid(c.relowner) <> %(owner)s
  and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
union all
select 'FUNCTION', p.oid::regprocedure::text
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> %(owner)s
  and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
"""


def _hand_over_objects(conn: psycopg.Connection[Any], owner: str) -> int:
    """Give the database owner every object of its public schema (after an adoption they
    belong to the former bootstrap user)."""
    rows = conn.execute(FOREIGN_OBJECTS, {"owner": owner}).fetchall()
    for kind, name in rows:
        # `name` is PostgreSQL's own quoted rendering (regclass/regprocedure).
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(kind), sql.SQL(name), sql.Identifier(owner)
            )
        )
    return len(rows)


def ensure_roles(plan: RolePlan, connect_as: Connect = connect) -> list[str]:
    """Roles, databases, extensions and CONNECT privileges as the module docstring says;
    idempotent (every start runs it). Returns what it changed. Existing roles keep their
    passwords: a mismatch with the secrets file is reported, never papered over."""
    changes: list[str] = []
    temporal_attrs = SUPERUSER if plan.temporal_superuser else LEAST_PRIVILEGE
    with connect_as(plan.admin, ADMIN_DATABASE) as conn:
        if _role_exists(conn, ADOPTION_ROLE):
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ADOPTION_ROLE)))
            changes.append(f"dropped the adoption helper role {ADOPTION_ROLE}")
        changes.append(
            _ensure_role(conn, plan.temporal_user, plan.temporal_password, temporal_attrs)
        )
        changes.append(_ensure_role(conn, plan.app_user, plan.app_password, LEAST_PRIVILEGE))
        for database, owner in plan.owners().items():
            changes.append(_ensure_database(conn, database, owner))
        if plan.extra_visibility:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(plan.extra_visibility), sql.Literal(MUTANT_DATABASE_COMMENT)
                )
            )
        for database in (ADMIN_DATABASE, *plan.owners()):
            conn.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                    sql.Identifier(database)
                )
            )
    for database, owner in plan.owners().items():
        with connect_as(plan.admin, database) as conn:
            kind = VISIBILITY_DATABASE if database == plan.extra_visibility else database
            for extension in EXTENSIONS.get(kind, ()):
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension))
                )
            if handed := _hand_over_objects(conn, owner):
                changes.append(f"{database}: {handed} objects handed to {owner}")
    return [change for change in changes if change]


def drop_mutant_database(
    admin: PostgresAddress, database: str, connect_as: Connect = connect
) -> bool:
    """Drop `database` if the visibility-wrong-database mutant created it (its comment)."""
    with connect_as(admin, ADMIN_DATABASE) as conn:
        row = conn.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = %s",
            (database,),
        ).fetchone()
        if row is None or row[0] != MUTANT_DATABASE_COMMENT:
            return False
        conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(database)))
        return True


def adopt_legacy(
    legacy: PostgresAddress, admin_password: Secret, connect_as: Connect = connect
) -> list[str]:
    """Turn a deployment whose Temporal role is a superuser (an earlier version's) into one
    with an admin role; `legacy` logs in as that role. Every step can be repeated, so an
    adoption that was interrupted resumes on the next start."""
    helper = PostgresAddress(legacy.host, legacy.port, ADOPTION_ROLE, admin_password)
    with connect_as(legacy, ADMIN_DATABASE) as conn:
        row = conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()
        if not row or not row[0]:
            raise UserError(
                f"PostgreSQL rejected the admin password and {legacy.user!r} is not a "
                "superuser: this deployment's admin password file does not match its data",
                "restore secrets/admin-password from where it was, or "
                "`temporal-acceptance down --purge` to start from empty data",
            )
        helper_verifier = sql.Literal(verifier(conn, ADOPTION_ROLE, admin_password))
        if _role_exists(conn, ADOPTION_ROLE):
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                    sql.Identifier(ADOPTION_ROLE), helper_verifier
                )
            )
        else:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                    sql.Identifier(ADOPTION_ROLE), helper_verifier
                )
            )
    with connect_as(helper, ADMIN_DATABASE) as conn, conn.transaction():
        return _swap_roles(conn, legacy, admin_password)


def _swap_roles(
    conn: psycopg.Connection[Any], legacy: PostgresAddress, admin_password: Secret
) -> list[str]:
    user, admin = sql.Identifier(legacy.user), sql.Identifier(ADMIN_ROLE)
    oid = conn.execute("select oid from pg_roles where rolname = %s", (legacy.user,)).fetchone()
    admin_verifier = sql.Literal(verifier(conn, ADMIN_ROLE, admin_password))
    if oid is not None and int(oid[0]) == BOOTSTRAP_OID:
        if _role_exists(conn, ADMIN_ROLE):
            raise UserError(
                f"cannot adopt this deployment: initdb's superuser is {legacy.user!r} and a "
                f"role {ADMIN_ROLE!r} exists already",
                f"drop or rename the role {ADMIN_ROLE!r}, then run up again",
            )
        conn.execute(sql.SQL("ALTER ROLE {} RENAME TO {}").format(user, admin))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(admin, admin_verifier))
        conn.execute(
            sql.SQL("CREATE ROLE {} {} PASSWORD {}").format(
                user, LEAST_PRIVILEGE, sql.Literal(verifier(conn, legacy.user, legacy.password))
            )
        )
        return [f"initdb's superuser {legacy.user} renamed {ADMIN_ROLE} (the admin role)"]
    if not _role_exists(conn, ADMIN_ROLE):
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(admin, admin_verifier)
        )
    else:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(admin, admin_verifier))
    conn.execute(sql.SQL("ALTER ROLE {} {}").format(user, LEAST_PRIVILEGE))
    return [f"role {legacy.user} is no longer a superuser; {ADMIN_ROLE} is the admin role"]
