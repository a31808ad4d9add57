"""Checks on the Temporal UI server over HTTP (stdlib only; the browser gates are separate)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def get_json(url: str, timeout: float = 5.0) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http only)
        return json.loads(response.read().decode())


def ui_health(base_url: str) -> str:
    """The health endpoint's answer ("OK" when healthy), or why there was none."""
    try:
        body = get_json(f"{base_url}/healthz")
    except (OSError, ValueError) as exc:
        return f"no answer ({type(exc).__name__}: {exc})"
    return str(body.get("status")) if isinstance(body, dict) else repr(body)


def ui_healthy(base_url: str) -> bool:
    """The UI server's own health endpoint answers {"status": "OK"}."""
    body = get_json(f"{base_url}/healthz")
    return isinstance(body, dict) and body.get("status") == "OK"


def ui_namespace_listing(base_url: str) -> tuple[list[str], str]:
    """The namespaces the UI lists, or why it could not list them ('' when it could): the
    HTTP error with the reason the UI gave (its answer's message)."""
    try:
        return ui_namespaces(base_url), ""
    except urllib.error.HTTPError as exc:
        try:
            detail = str(json.loads(exc.read().decode()).get("message", ""))
        except (ValueError, AttributeError, OSError):
            detail = ""
        return [], f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
    except (OSError, ValueError) as exc:
        return [], f"{type(exc).__name__}: {exc}"


def ui_namespaces(base_url: str) -> list[str]:
    """Namespaces as the UI's API (which goes through to the Temporal frontend) lists them."""
    body = get_json(f"{base_url}/api/v1/namespaces")
    return [ns["namespaceInfo"]["name"] for ns in body.get("namespaces", [])]
