"""Who logs in as what in a native deployment: each role with the password of its own file,
and health pinged as the admin — or, on an earlier version's data not adopted yet, as
Temporal's role (its superuser then)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporal_acceptance.clients.endpoints import PostgresAddress
from temporal_acceptance.stack.native.access import Access
from temporal_acceptance.stack.native.layout import Layout


class FakePostgres:
    def __init__(self) -> None:
        self.pinged: list[tuple[str, str]] = []

    def ping(self, login: PostgresAddress, source: Path, database: str = "postgres") -> bool:
        self.pinged.append((login.user, source.name))
        return True


def _access(tmp_path: Path) -> tuple[Access, Any]:
    layout = Layout(tmp_path / "state")
    layout.create()
    postgres = FakePostgres()
    access = Access(layout, postgres, "127.0.0.1", 5432, "temporal", lambda line: None)  # type: ignore[arg-type]
    return access, postgres


def test_each_role_logs_in_with_its_own_secret(tmp_path: Path) -> None:
    access, _ = _access(tmp_path)
    temporal = access.layout.ensure_password()
    admin = access.layout.ensure_secret("admin-password")
    app = access.layout.ensure_secret("app-password")
    assert len({temporal, admin, app}) == 3
    assert access.login("postgres").password == admin
    assert access.login("acceptance_app").password == app
    assert access.login("temporal").password == temporal
    assert (access.login("temporal").host, access.login("temporal").port) == ("127.0.0.1", 5432)
    plan = access.plan(access.login("postgres"))
    assert plan.owners() == {
        "temporal": "temporal",
        "temporal_visibility": "temporal",
        "acceptance_app": "acceptance_app",
    }
    assert not plan.temporal_superuser


def test_health_is_the_admins_unless_the_data_is_an_earlier_versions(tmp_path: Path) -> None:
    access, postgres = _access(tmp_path)
    access.layout.ensure_password()
    assert access.ping()
    assert postgres.pinged == [("temporal", "postgres-password")]  # not adopted yet
    access.layout.ensure_secret("admin-password")
    assert access.ping()
    assert postgres.pinged[-1] == ("postgres", "admin-password")
