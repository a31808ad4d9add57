"""Who logs in as what in a native deployment: each role with the password of its own file,
and health pinged as the admin — or, on an earlier version's data not adopted yet, as
Temporal's role (its superuser then)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from temporal_acceptance.clients.endpoints import PostgresAddress
from temporal_acceptance.stack.native.access import Access
from temporal_acceptance.stack.native.layout import Layout


class FakePostgres:
    def __init__(self, ca_cert: Path | None = None) -> None:
        self.pinged: list[tuple[str, str]] = []
        tls = SimpleNamespace(ca_cert=ca_cert) if ca_cert else None
        self.options = SimpleNamespace(tls=tls)

    def ping(self, login: PostgresAddress, source: Path, database: str = "postgres") -> bool:
        self.pinged.append((login.user, source.name))
        return True


def _access(tmp_path: Path, ca_cert: Path | None = None) -> tuple[Access, Any]:
    layout = Layout(tmp_path / "state")
    layout.create()
    postgres = FakePostgres(ca_cert)
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


def test_every_role_verifies_the_server_when_postgres_requires_tls(tmp_path: Path) -> None:
    plain, _ = _access(tmp_path / "plain")
    plain.layout.ensure_secret("admin-password")
    assert plain.login("postgres").ca_file == ""
    access, _ = _access(tmp_path / "tls", ca_cert=tmp_path / "ca.crt")
    access.layout.ensure_password()
    access.layout.ensure_secret("admin-password")
    access.layout.ensure_secret("app-password")
    for user in ("postgres", "temporal", "acceptance_app"):
        assert access.login(user).ca_file == str(tmp_path / "ca.crt")
