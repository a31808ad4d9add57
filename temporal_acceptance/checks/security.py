"""Security judgments: every listener on loopback, Temporal's role with least privilege, no
secret in anything the run wrote."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE, VISIBILITY_DATABASE
from temporal_acceptance.core.ports import Listener
from temporal_acceptance.probes.leaks import Leak
from temporal_acceptance.probes.listeners import ListenerReading
from temporal_acceptance.probes.privileges import INSUFFICIENT_PRIVILEGE, PrivilegeReading

TEMPORAL_DATABASES = (TEMPORAL_DATABASE, VISIBILITY_DATABASE)


def listener_problems(service: str, listeners: Sequence[Listener]) -> list[str]:
    """Every socket the service accepts traffic on is a loopback one (and there is at least
    one: a service seen listening nowhere proves nothing)."""
    if not listeners:
        return [
            f"{service} listens on no socket the suite can see: its processes (or published "
            "ports) could not be read, so nothing proves it stays on loopback"
        ]
    return [
        f"{service} listens on {listener.describe()}, not on loopback: anything that reaches "
        "this machine reaches it (check its listen/bind address setting)"
        for listener in listeners
        if not listener.loopback
    ]


def listening_problems(reading: ListenerReading) -> list[str]:
    problems: list[str] = []
    for service, listeners in reading.by_service.items():
        problems += listener_problems(service, listeners)
    return problems


def _unread(reading: PrivilegeReading) -> list[str]:
    if reading.error:
        return [f"the privileges of Temporal's role could not be read: {reading.error}"]
    return []


def attribute_problems(reading: PrivilegeReading, temporal_user: str) -> list[str]:
    """The session is Temporal's role, which is not a superuser and cannot create roles or
    databases."""
    if unread := _unread(reading):
        return unread
    role, problems = reading.role, []
    if role != temporal_user:
        problems.append(f"the session ran as {role!r}, not as Temporal's role {temporal_user!r}")
    if reading.superuser:
        problems.append(
            f"{role} is a superuser: whoever has Temporal's password can reconfigure "
            "PostgreSQL and read every database"
        )
    if reading.create_role:
        problems.append(f"{role} can create roles (CREATEROLE)")
    if reading.create_db:
        problems.append(f"{role} can create databases (CREATEDB)")
    return problems


def alter_system_problems(reading: PrivilegeReading) -> list[str]:
    """ALTER SYSTEM is refused for lack of privilege (not for any other reason)."""
    if unread := _unread(reading):
        return unread
    if reading.alter_system_state == INSUFFICIENT_PRIVILEGE:
        return []
    answer = reading.alter_system_answer or "accepted"
    return [
        f"{reading.role} is not refused ALTER SYSTEM (PostgreSQL answered: {answer}); it must "
        f"be denied for lack of privilege (SQLSTATE {INSUFFICIENT_PRIVILEGE})"
    ]


def reach_problems(reading: PrivilegeReading) -> list[str]:
    """Temporal's role may connect to Temporal's two databases and no other, and an attempt
    on the application database is refused for lack of privilege."""
    if unread := _unread(reading):
        return unread
    role, problems = reading.role, []
    foreign = [name for name in reading.connectable if name not in TEMPORAL_DATABASES]
    if foreign:
        problems.append(
            f"{role} may connect to databases that are not Temporal's: {', '.join(foreign)} "
            "(revoke CONNECT from PUBLIC on them)"
        )
    if not reading.other_database_refusal:
        problems.append(f"{role} connected to {reading.other_database}, the application's data")
    elif "permission denied" not in reading.other_database_refusal:
        problems.append(
            f"connecting to {reading.other_database} as {role} failed, but not for lack of "
            f"privilege, so nothing is proven: {reading.other_database_refusal}"
        )
    return problems


def role_of_its_own_problems(seen: str, app_user: str, others: Iterable[str]) -> list[str]:
    """The test worker's database work ran as the application's own role."""
    if not seen:
        return ["the database activity did not report the role it ran as"]
    if seen in set(others):
        return [f"the database activity ran as {seen!r}, a role that is not the application's"]
    if seen != app_user:
        return [
            f"the database activity ran as {seen!r}, expected the application role {app_user!r}"
        ]
    return []


def leak_problems(leaks: Sequence[Leak], files_read: int, expected_files: bool = True) -> list[str]:
    """No secret in what was read — and something was read (an empty scan proves nothing)."""
    problems = [leak.line() for leak in leaks]
    if expected_files and files_read == 0:
        problems.append("no file was read: the secrets gate looked at nothing")
    return problems
