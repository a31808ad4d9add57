"""The security gates' judgments on data: listeners on loopback, Temporal's role with least
privilege, the worker's own role, leaks, the configuration's secrets and datastores."""

from __future__ import annotations

from dataclasses import replace

import pytest

from temporal_acceptance.checks import security
from temporal_acceptance.checks.deployment import datastore_problems, secrets_problems
from temporal_acceptance.clients.endpoints import DataStore
from temporal_acceptance.core.ports import Listener
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.probes.datastores import DatastoreReading
from temporal_acceptance.probes.leaks import Leak
from temporal_acceptance.probes.listeners import ListenerReading
from temporal_acceptance.probes.privileges import PrivilegeReading

# ---------------------------------------------------------------- listeners


def test_loopback_listeners_pass_and_every_other_address_is_named() -> None:
    assert security.listener_problems("postgres", [Listener("tcp", "127.0.0.1", 5432, 7)]) == []
    assert security.listener_problems("ui", [Listener("tcp", "::1", 8080)]) == []
    assert security.listener_problems("x", [Listener("tcp", "::ffff:127.0.0.1", 1)]) == []
    problems = security.listener_problems(
        "postgres",
        [
            Listener("tcp", "127.0.0.1", 5432, 7),
            Listener("tcp", "0.0.0.0", 5432, 7),
            Listener("tcp", "::", 5432, 7),
            Listener("udp", "192.0.2.4", 9000),
        ],
    )
    assert problems == [
        "postgres listens on 0.0.0.0:5432 (tcp, pid 7), not on loopback: anything that "
        "reaches this machine reaches it (check its listen/bind address setting)",
        "postgres listens on [::]:5432 (tcp, pid 7), not on loopback: anything that "
        "reaches this machine reaches it (check its listen/bind address setting)",
        "postgres listens on 192.0.2.4:9000 (udp), not on loopback: anything that "
        "reaches this machine reaches it (check its listen/bind address setting)",
    ]


def test_a_service_seen_listening_nowhere_proves_nothing() -> None:
    (problem,) = security.listener_problems("temporal", [])
    assert problem.startswith("temporal listens on no socket the suite can see")


def test_every_service_of_the_reading_is_judged() -> None:
    reading = ListenerReading(
        {
            "postgres": [Listener("tcp", "127.0.0.1", 1)],
            "temporal": [Listener("tcp", "0.0.0.0", 7233)],
            "ui": [],
        }
    )
    problems = security.listening_problems(reading)
    assert [p.split(" ")[0] for p in problems] == ["temporal", "ui"]
    assert "temporal  0.0.0.0:7233 (tcp)" in reading.render()
    assert "ui        (none seen)" in reading.render()


def test_a_garbled_address_is_never_counted_as_loopback() -> None:
    assert not Listener("tcp", "not-an-address", 1).loopback


# ---------------------------------------------------------------- least privilege

CLEAN = PrivilegeReading(
    role="temporal",
    alter_system_state="42501",
    alter_system_answer='permission denied to set parameter "temporal_acceptance.probe"',
    connectable=("temporal", "temporal_visibility"),
    other_database_refusal='FATAL:  permission denied for database "acceptance_app"',
)


def test_a_least_privilege_role_passes_every_part() -> None:
    assert security.attribute_problems(CLEAN, "temporal") == []
    assert security.alter_system_problems(CLEAN) == []
    assert security.reach_problems(CLEAN) == []


def test_a_superuser_fails_each_part_with_its_reason() -> None:
    superuser = replace(
        CLEAN,
        superuser=True,
        create_role=True,
        create_db=True,
        alter_system_state="42704",
        alter_system_answer='unrecognized configuration parameter "temporal_acceptance.probe"',
        connectable=("acceptance_app", "postgres", "temporal", "temporal_visibility"),
        other_database_refusal="",
    )
    attributes = security.attribute_problems(superuser, "temporal")
    assert attributes[0].startswith("temporal is a superuser")
    assert attributes[1:] == [
        "temporal can create roles (CREATEROLE)",
        "temporal can create databases (CREATEDB)",
    ]
    (alter,) = security.alter_system_problems(superuser)
    assert "not refused ALTER SYSTEM" in alter
    assert "unrecognized configuration" in alter
    reach = security.reach_problems(superuser)
    assert reach == [
        "temporal may connect to databases that are not Temporal's: acceptance_app, postgres "
        "(revoke CONNECT from PUBLIC on them)",
        "temporal connected to acceptance_app, the application's data",
    ]


def test_an_accepted_alter_system_fails() -> None:
    accepted = replace(CLEAN, alter_system_state="", alter_system_answer="")
    (problem,) = security.alter_system_problems(accepted)
    assert "PostgreSQL answered: accepted" in problem


def test_a_refusal_for_another_reason_proves_nothing() -> None:
    missing = replace(CLEAN, other_database_refusal='database "acceptance_app" does not exist')
    (problem,) = security.reach_problems(missing)
    assert "not for lack of privilege" in problem


def test_a_session_of_another_role_or_an_unreadable_role_fails() -> None:
    (problem,) = security.attribute_problems(replace(CLEAN, role="postgres"), "temporal")
    assert "ran as 'postgres', not as Temporal's role 'temporal'" in problem
    broken = PrivilegeReading(error="OperationalError: refused")
    for check in (
        lambda r: security.attribute_problems(r, "temporal"),
        security.alter_system_problems,
        security.reach_problems,
    ):
        assert check(broken) == [
            "the privileges of Temporal's role could not be read: OperationalError: refused"
        ]


def test_the_privilege_reading_renders_what_was_seen() -> None:
    text = replace(CLEAN, notes=["ALTER SYSTEM ... → 42501"]).render()
    assert "role temporal: superuser=False" in text
    assert "may connect to: temporal, temporal_visibility" in text
    assert PrivilegeReading(error="boom").render() == "could not read the role's privileges: boom"


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        ("acceptance_app", []),
        (
            "temporal",
            ["the database activity ran as 'temporal', a role that is not the application's"],
        ),
        (
            "postgres",
            [
                "the database activity ran as 'postgres', expected the application role "
                "'acceptance_app'"
            ],
        ),
        ("", ["the database activity did not report the role it ran as"]),
    ],
)
def test_the_worker_runs_as_a_role_of_its_own(seen: str, expected: list[str]) -> None:
    assert security.role_of_its_own_problems(seen, "acceptance_app", ["temporal"]) == expected


# ---------------------------------------------------------------- leaks and secrets


def test_leaks_become_problems_and_an_empty_scan_fails() -> None:
    leak = Leak("/s/logs/temporal.log", 12, "Temporal's PostgreSQL password", "clear text")
    assert security.leak_problems([leak], 3) == [
        "Temporal's PostgreSQL password appears in /s/logs/temporal.log line 12 (clear text)"
    ]
    assert security.leak_problems([], 3) == []
    assert security.leak_problems([], 0) == ["no file was read: the secrets gate looked at nothing"]
    assert security.leak_problems([], 0, expected_files=False) == []


def test_the_configuration_holds_none_of_the_secrets_named_never_shown() -> None:
    secrets = {"the PostgreSQL admin password": Secret("adm-123456"), "x": Secret("t-98765432")}
    assert secrets_problems("user: temporal\npassword: ***\n", secrets) == []
    problems = secrets_problems("password: adm-123456\n", secrets)
    assert problems == ["it contains the PostgreSQL admin password in clear text"]
    assert "adm-123456" not in "".join(problems)
    assert secrets_problems("anything", {})[0].startswith("the deployment's secrets are unknown")


# ---------------------------------------------------------------- datastores


def _reading(role: str, database: str, version: str | None, error: str = "") -> DatastoreReading:
    store = DataStore(f"postgres-{role}", "127.0.0.1", 5432, database, "temporal", role)
    return DatastoreReading(store, error, version)


def test_each_store_is_its_database_at_the_expected_version() -> None:
    readings = [
        _reading("default", "temporal", "1.18"),
        _reading("visibility", "temporal_visibility", "1.13"),
    ]
    assert datastore_problems(readings, "default", "temporal", "1.18") == []
    assert datastore_problems(readings, "visibility", "temporal_visibility", "1.13") == []
    (behind,) = datastore_problems(readings, "visibility", "temporal_visibility", "1.14")
    assert behind == (
        "the visibility store's database temporal_visibility is at schema version 1.13, "
        "this release expects 1.14"
    )


def test_a_visibility_store_on_the_wrong_database_names_both() -> None:
    readings = [_reading("default", "temporal", "1.18"), _reading("visibility", "temporal", "1.18")]
    (problem,) = datastore_problems(readings, "visibility", "temporal_visibility", "1.13")
    assert problem.startswith(
        "the visibility store postgres-visibility uses database temporal, not temporal_visibility"
    )
    assert "records schema 1.18" in problem


def test_unreachable_missing_or_absent_stores_fail() -> None:
    unreachable = [_reading("default", "temporal", None, "OperationalError: refused")]
    (problem,) = datastore_problems(unreachable, "default", "temporal", "1.18")
    assert "cannot be reached: OperationalError: refused" in problem
    (problem,) = datastore_problems(unreachable, "visibility", "temporal_visibility", "1.13")
    assert problem.startswith("the Temporal configuration names no visibility store")
    assert datastore_problems([], "default", "temporal", "1.18") == [
        "the Temporal configuration lists no datastores"
    ]
