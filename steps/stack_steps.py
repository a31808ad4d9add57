"""Steps about the deployment as a whole.

Given the Temporal stack is deployed
Then these services are running and healthy:
Then the Temporal frontend reports that it is serving
When the effective configuration is recorded
Then it names the PostgreSQL endpoint, the Temporal frontend and the UI
And it contains none of the deployment's passwords
Then none of these services listens beyond this machine:
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from temporal_acceptance.checks import deployment as checks
from temporal_acceptance.checks import security
from temporal_acceptance.clients.temporal import frontend_serving
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.probes.listeners import read_listeners
from temporal_acceptance.stack.base import Service


@given("the Temporal stack is deployed")
def step_stack_deployed(context: Any) -> None:
    statuses = [context.run.stack.status(service) for service in Service]
    expect("the stack", checks.unhealthy_problems(statuses))


@then("these services are running and healthy:")
def step_services_healthy(context: Any) -> None:
    statuses = [context.run.stack.status(Service.parse(row["service"])) for row in context.table]
    expect(
        "the services",
        checks.unhealthy_problems(statuses),
        {"service status": "\n".join(s.line() for s in statuses)},
    )


@then("the Temporal frontend reports that it is serving")
async def step_frontend_health(context: Any) -> None:
    address = context.run.endpoints.temporal_address
    serving = await frontend_serving(address, tls=context.run.endpoints.frontend_tls)
    seen = "SERVING" if serving else "NOT_SERVING"
    expect(
        f"the frontend at {address}",
        [] if serving else [f"its gRPC health is {seen}"],
        {"frontend health": f"grpc.health.v1 Check on {address}: {seen}"},
    )


@when("the effective configuration is recorded")
def step_record_config(context: Any) -> None:
    context.config_raw = context.run.stack.config_text(redacted=False)
    expect(
        "the configuration",
        [],
        {"effective configuration (redacted)": context.run.stack.config_text()},
    )


@then("it names the PostgreSQL endpoint, the Temporal frontend and the UI")
def step_config_names_endpoints(context: Any) -> None:
    problems = checks.config_names_problems(context.config_raw, context.run.endpoints)
    expect("the recorded configuration", problems)


@then("it contains none of the deployment's passwords")
def step_config_has_no_password(context: Any) -> None:
    # The raw rendering: the redaction applied to what is shown must not hide a leak.
    problems = checks.secrets_problems(context.config_raw, context.run.stack.secrets())
    expect("the recorded configuration", problems)


@then("none of these services listens beyond this machine:")
def step_loopback_only(context: Any) -> None:
    reading = read_listeners(context.run.stack, [row["service"] for row in context.table])
    expect("the deployment", security.listening_problems(reading), {"listening sockets": reading})
