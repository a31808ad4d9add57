"""Steps about the Temporal UI server's HTTP surface (browser gates live in browser_steps).

Then the Temporal UI answers its health check
And the Temporal UI lists the "default" namespace
"""

from __future__ import annotations

from typing import Any

from behave import then

from temporal_acceptance.checks.ui import ui_healthy, ui_namespaces
from temporal_acceptance.reporting.attach import attach_text


@then("the Temporal UI answers its health check")
def step_ui_health(context: Any) -> None:
    url = context.run.endpoints.ui_url
    try:
        healthy = ui_healthy(url)
    except OSError as exc:
        raise AssertionError(f"the Temporal UI at {url} does not answer: {exc}") from exc
    assert healthy, f"the Temporal UI at {url}/healthz did not answer OK"


@then('the Temporal UI lists the "{namespace}" namespace')
def step_ui_namespace(context: Any, namespace: str) -> None:
    url = context.run.endpoints.ui_url
    names = ui_namespaces(url)
    attach_text("UI namespaces", f"GET {url}/api/v1/namespaces → {names}")
    assert namespace in names, f"the UI lists namespaces {names}, not {namespace!r}"
