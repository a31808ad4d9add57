"""The external target's settings (stack/external): where an existing deployment is, how to
reach it (TLS of the frontend and of PostgreSQL), its databases' names, the server's
configuration for the datastore gate and where each service's log can be read.

Each value is checked on its own here (core.settings calls in); the password is never one of
them: it comes from the environment only (stack/external reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError

# Never a setting: a flag or -D value shows up in argv (/proc) and in shell history.
PASSWORD_KEYS = ("postgres_password", "postgres_password_file", "password")
PASSWORD_ENV = "TACC_POSTGRES_PASSWORD"  # noqa: S105 (a variable name)
PASSWORD_FILE_ENV = "TACC_POSTGRES_PASSWORD_FILE"  # noqa: S105
# The application database the test workflow's database activity writes to (a libpq DSN with
# its password: environment only, like the worker's).
APP_DSN_ENV = "TACC_APP_DSN"
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LOG_KEYS = ("temporal_log", "postgres_log", "ui_log")


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_flag(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise UserError(f"{key} {raw!r} is not a yes/no value", "use true or false")
    return value in _TRUE


def _existing_file(key: str, raw: str) -> str:
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise UserError(
            f"{key} {raw!r} is not a file",
            f"give the path of an existing file in TACC_{key.upper()}",
        )
    return str(path.absolute())


def _host_port(key: str, raw: str) -> str:
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UserError(f"{key} {raw!r} is not host:port", f"set TACC_{key.upper()}=host:port")
    return raw.strip()


def _log_source(key: str, raw: str) -> str:
    value = raw.strip()
    if value.startswith("cmd:") and value[4:].strip():
        return value
    if value.startswith(("file:", "/")):
        return "file:" + _existing_file(key, value.removeprefix("file:"))
    raise UserError(
        f"{key} {raw!r} is neither a log file nor a command",
        f"set TACC_{key.upper()}=/path/to/file (or file:/path) "
        "or cmd:docker logs --timestamps NAME",
    )


def external_values(raw: Mapping[str, str]) -> dict[str, Any]:
    """The external target's settings, each checked on its own."""
    values: dict[str, Any] = {}
    for key in (
        "postgres_host",
        "temporal_database",
        "visibility_database",
        "temporal_tls_server_name",
    ):
        if key in raw:
            values[key] = raw[key].strip()
    if "temporal_address" in raw:
        values["temporal_address"] = _host_port("temporal_address", raw["temporal_address"])
    if "temporal_tls" in raw:
        values["temporal_tls"] = parse_flag("temporal_tls", raw["temporal_tls"])
    for key in (
        "postgres_sslrootcert",
        "temporal_tls_ca",
        "temporal_tls_cert",
        "temporal_tls_key",
        "temporal_config",
    ):
        if key in raw:
            values[key] = _existing_file(key, raw[key])
    if bool(values.get("temporal_tls_cert")) != bool(values.get("temporal_tls_key")):
        raise UserError(
            "a client certificate needs its key (and a key its certificate)",
            "set both TACC_TEMPORAL_TLS_CERT and TACC_TEMPORAL_TLS_KEY, or neither",
        )
    if "postgres_sslmode" in raw:
        mode = raw["postgres_sslmode"].strip().lower()
        if mode not in SSLMODES:
            raise UserError(
                f"unknown postgres_sslmode {raw['postgres_sslmode']!r}",
                f"use one of: {', '.join(SSLMODES)}",
            )
        values["postgres_sslmode"] = mode
    for key in LOG_KEYS:
        if key in raw:
            values[key] = _log_source(key, raw[key])
    return values


def require_external(values: Mapping[str, Any]) -> None:
    """What the external target cannot start without: where the deployment is."""
    missing = [
        env
        for key, env in (
            ("temporal_address", "TACC_TEMPORAL_ADDRESS=host:port"),
            ("ui_url", "TACC_UI_URL=http://host:port"),
            ("postgres_host", "TACC_POSTGRES_HOST=host"),
        )
        if not values.get(key)
    ]
    if missing:
        raise UserError(
            "the external target needs the deployment's addresses "
            f"({', '.join(m.split('=')[0] for m in missing)} not set)",
            "set " + ", ".join(missing) + f" and {PASSWORD_ENV} (docs/DEPLOYMENT.md)",
        )
