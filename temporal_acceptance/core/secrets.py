"""Secrets: a wrapper that never prints itself, and redaction of text that may hold one."""

from __future__ import annotations

import re
import secrets as _random
from collections.abc import Iterable

REDACTED = "***"
_SECRET_KEYS = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|POSTGRES_PWD|POSTGRES_PASSWORD|PGPASSWORD|SQL_PASSWORD)"
    r"\b[\"']?\s*[:=]\s*)(?P<quote>[\"']?)(?P<value>[^\s\"',}]+)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<value>[^@\s]+)(?=@)")


class Secret:
    """A value that shows up as *** in repr, str, f-strings, logs and tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and _random.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


def generate_password(length: int = 32) -> Secret:
    """URL- and shell-safe random password."""
    return Secret(_random.token_urlsafe(length)[:length])


def redact(text: str, known: Iterable[Secret] = ()) -> str:
    """Remove secrets from text: the known values anywhere, and any `password: value`,
    `password=value` or URL userinfo password pattern."""
    for secret in known:
        text = text.replace(secret.reveal(), REDACTED)
    text = _SECRET_KEYS.sub(lambda m: f"{m['key']}{m['quote']}{REDACTED}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{REDACTED}", text)
