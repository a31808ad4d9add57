from __future__ import annotations

import pytest

from temporal_acceptance.core.secrets import REDACTED, Secret, generate_password, redact


def test_secret_never_prints_itself() -> None:
    secret = Secret("hunter2-very-secret")
    for shown in (str(secret), repr(secret), f"{secret}", f"{secret!r}"):
        assert "hunter2" not in shown
    assert secret.reveal() == "hunter2-very-secret"


def test_secret_equality_and_emptiness() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1
    with pytest.raises(ValueError, match="empty"):
        Secret("")


def test_generated_passwords_are_long_and_distinct() -> None:
    first, second = generate_password(), generate_password()
    assert len(first.reveal()) == 32
    assert first != second


def test_redact_known_values_anywhere() -> None:
    secret = Secret("s3cr3t-value")
    assert redact("dsn host=x s3cr3t-value tail", [secret]) == f"dsn host=x {REDACTED} tail"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("password: abc123", "abc123"),
        ('"password": "abc123"', "abc123"),
        ("password=abc123 host=x", "abc123"),
        ("POSTGRES_PWD=abc123", "abc123"),
        ("PGPASSWORD='abc123'", "abc123"),
        ("postgresql://temporal:abc123@127.0.0.1:5432/temporal", "abc123"),
    ],
)
def test_redact_password_patterns(text: str, leak: str) -> None:
    cleaned = redact(text)
    assert leak not in cleaned
    assert REDACTED in cleaned


def test_redact_leaves_ordinary_text() -> None:
    text = "user: temporal\nport: 5432\npasswordless login disabled"
    assert redact(text) == text
