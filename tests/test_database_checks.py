from __future__ import annotations

from temporal_acceptance.clients.endpoints import DataStore, Endpoints
from temporal_acceptance.clients.postgres import QueryLog, QueryResult
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.stack.base import Service, ServiceStatus


def test_query_results_render_as_tables() -> None:
    result = QueryResult(
        "select role, hosts from x where y = %s",
        ["a"],
        ["role", "hosts"],
        [("frontend", 1), ("history", 12)],
    )
    rendered = result.render()
    assert rendered.startswith("select role, hosts from x where y = %s;\n-- params: ['a']")
    assert "role     | hosts" in rendered
    assert "history  | 12" in rendered
    assert rendered.endswith("(2 rows)")
    log = QueryLog()
    assert log.add(result) is result
    assert log.entries == [result]


def test_endpoints_show_no_password() -> None:
    endpoints = Endpoints(
        "127.0.0.1:7233",
        "default",
        "http://127.0.0.1:8080",
        "127.0.0.1",
        55432,
        "temporal",
        Secret("pw-xyz"),
    )
    assert endpoints.display_dsn("temporal") == "postgresql://temporal:***@127.0.0.1:55432/temporal"
    assert "pw-xyz" not in repr(endpoints)
    assert "password=pw-xyz" in endpoints.conninfo("temporal")
    assert "password=other" in endpoints.conninfo("temporal", Secret("other"))


def test_service_names_and_status_lines() -> None:
    assert Service.parse("PostgreSQL") is Service.POSTGRES
    assert Service.parse("temporal-server") is Service.TEMPORAL
    status = ServiceStatus(Service.UI, running=True, healthy=False, detail="no answer", pid=42)
    assert status.line() == "ui        running, not healthy pid 42 — no answer"
    assert DataStore("d", "h", 1, "db", "u").describe() == "d: u@h:1/db"


def test_unknown_service_is_a_user_error() -> None:
    import pytest

    from temporal_acceptance.core.errors import UserError

    with pytest.raises(UserError, match="unknown service 'mysql'"):
        Service.parse("mysql")
