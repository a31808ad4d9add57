"""Steps about the Temporal UI server's HTTP surface (browser gates live in browser_steps).

Then the Temporal UI answers its health check
And the Temporal UI lists the "default" namespace
"""

from __future__ import annotations

from typing import Any

from behave import then

from temporal_acceptance.checks.deployment import missing_problems
from temporal_acceptance.clients.ui_http import ui_health, ui_namespace_listing
from temporal_acceptance.core.verdict import expect


@then("the Temporal UI answers its health check")
def step_ui_health(context: Any) -> None:
    url = context.run.endpoints.ui_url
    answer = ui_health(url)
    problems = [] if answer == "OK" else [f"{url}/healthz answered {answer}, not OK"]
    expect("the Temporal UI", problems, {"UI health": f"GET {url}/healthz → {answer}"})


@then('the Temporal UI lists the "{namespace}" namespace')
def step_ui_namespace(context: Any, namespace: str) -> None:
    url = context.run.endpoints.ui_url
    names, error = ui_namespace_listing(url)
    failed = [f"it cannot list namespaces: GET {url}/api/v1/namespaces → {error}"] if error else []
    expect(
        "the Temporal UI",
        failed or missing_problems("namespaces", [namespace], names),
        {"UI namespaces": f"GET {url}/api/v1/namespaces → {error or names}"},
    )
