"""Steps about the deployment as a whole.

Given the Temporal stack is deployed
Then these services are running and healthy:
Then the Temporal frontend health is "SERVING"
When the effective configuration is recorded
Then it names the PostgreSQL endpoint, the Temporal frontend and the UI
And it does not contain the PostgreSQL password
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.checks.temporal import frontend_serving
from temporal_acceptance.reporting.attach import attach_text
from temporal_acceptance.reporting.config import effective_config_yaml
from temporal_acceptance.stack.base import Service


@given("the Temporal stack is deployed")
def step_stack_deployed(context: Any) -> None:
    unhealthy = [s.line() for s in map(context.run.stack.status, Service) if not s.healthy]
    assert not unhealthy, "the stack is not healthy:\n" + "\n".join(unhealthy)


@then("these services are running and healthy:")
def step_services_healthy(context: Any) -> None:
    statuses = [context.run.stack.status(Service.parse(row["service"])) for row in context.table]
    attach_text("service status", "\n".join(s.line() for s in statuses))
    failing = [s.line() for s in statuses if not (s.running and s.healthy)]
    assert not failing, "services not running and healthy:\n" + "\n".join(failing)


@then('the Temporal frontend health is "{expected}"')
async def step_frontend_health(context: Any, expected: str) -> None:
    address = context.run.endpoints.temporal_address
    serving = await frontend_serving(address)
    seen = "SERVING" if serving else "NOT_SERVING"
    attach_text("frontend health", f"grpc.health.v1 Check on {address}: {seen}")
    assert seen == expected, f"frontend {address} health is {seen}, expected {expected}"


@when("the effective configuration is recorded")
def step_record_config(context: Any) -> None:
    context.config_text = attach_text(
        "effective configuration (redacted)", effective_config_yaml(context.run.stack), "yaml"
    )


@then("it names the PostgreSQL endpoint, the Temporal frontend and the UI")
def step_config_names_endpoints(context: Any) -> None:
    endpoints = context.run.endpoints
    expected = {
        "PostgreSQL endpoint": f"{endpoints.postgres_host}:{endpoints.postgres_port}",
        "Temporal frontend": endpoints.temporal_address.rsplit(":", 1)[1],
        "UI": endpoints.ui_url.rsplit(":", 1)[1],
    }
    missing = [
        f"{what} ({value})" for what, value in expected.items() if value not in context.config_text
    ]
    assert not missing, f"the recorded configuration does not name: {', '.join(missing)}"


@then("it does not contain the PostgreSQL password")
def step_config_has_no_password(context: Any) -> None:
    password = context.run.endpoints.postgres_password.reveal()
    assert password not in context.config_text, "the recorded configuration leaks the password"
    assert "***" in context.config_text, "the configuration shows no redacted password field"
