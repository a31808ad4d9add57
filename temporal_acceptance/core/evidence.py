"""Attachments for the Allure report, always redacted of every known secret."""

from __future__ import annotations

import json
from typing import Any

import allure

from temporal_acceptance.core.secrets import Secret, redact

_KNOWN_SECRETS: list[Secret] = []

_TYPES = {
    "text": allure.attachment_type.TEXT,
    "json": allure.attachment_type.JSON,
    "yaml": allure.attachment_type.YAML,
    "csv": allure.attachment_type.CSV,
    "png": allure.attachment_type.PNG,
    "html": allure.attachment_type.HTML,
}


def register_secret(secret: Secret) -> None:
    """Remember a secret so no attachment can ever carry it."""
    if secret not in _KNOWN_SECRETS:
        _KNOWN_SECRETS.append(secret)


def known_secrets() -> list[Secret]:
    return list(_KNOWN_SECRETS)


def clean(text: str) -> str:
    return redact(text, _KNOWN_SECRETS)


def attach_text(name: str, body: str, kind: str = "text") -> str:
    """Attach text to the current step/scenario; returns what was attached (redacted)."""
    safe = clean(body)
    allure.attach(safe, name=name, attachment_type=_TYPES[kind])
    return safe


def attach_json(name: str, data: Any) -> str:
    return attach_text(name, json.dumps(data, indent=2, sort_keys=False, default=str), "json")


def attach_png(name: str, data: bytes) -> None:
    allure.attach(data, name=name, attachment_type=_TYPES["png"])
