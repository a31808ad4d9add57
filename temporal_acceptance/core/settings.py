"""Run settings: one place that turns env vars, behave `-D` userdata and CLI flags into a
validated, typed object.

Precedence: explicit values (CLI flags or `-D key=value`) > `TACC_*` environment variables >
defaults. Every value is validated here so bad input fails before anything starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import (
    DEFAULT_POSTGRES_MAJOR,
    DEFAULT_TEMPORAL_VERSION,
    DEFAULT_UI_VERSION,
    parse_postgres_major,
    parse_temporal_version,
    parse_ui_version,
    ui_for,
)

TARGETS = ("native", "compose", "external")
ENV_PREFIX = "TACC_"

# The keys a user may set; each maps to a Settings field of the same name.
KEYS = (
    "target",
    "temporal_version",
    "ui_version",
    "postgres_version",
    "host",
    "postgres_port",
    "temporal_port",
    "ui_port",
    "namespace",
    "postgres_user",
    "state_dir",
    "cache_dir",
    "temporal_address",
    "ui_url",
    "force_version",
    # compose target (see stack/compose): which images, extra override files, project name
    "compose_images",
    "compose_overrides",
    "compose_project",
    "compose_file",
    # -- ui: the Chromium binary the browser gates drive (default: Debian's /usr/bin/chromium)
    "chromium",
)
COMPOSE_IMAGES = ("auto", "official", "local")


def _default_dirs() -> tuple[Path, Path]:
    """Cache and state directories outside the repository.

    As root the suite runs PostgreSQL as an unprivileged user, which must be able to reach
    both the binaries and the data directory; /root is private, so root uses the FHS
    system locations instead of ~/.cache.
    """
    if os.geteuid() == 0:
        return Path("/var/cache/temporal-acceptance"), Path("/var/lib/temporal-acceptance")
    home = Path.home()
    cache = Path(os.environ.get("XDG_CACHE_HOME", home / ".cache")) / "temporal-acceptance"
    state = Path(os.environ.get("XDG_STATE_HOME", home / ".local/state")) / "temporal-acceptance"
    return cache, state


def _port(key: str, raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise UserError(f"{key} {raw!r} is not a TCP port", "give a number between 1 and 65535")
    return int(raw)


# Temporal records each role's membership port (frontend port -300 .. -294) in a PostgreSQL
# SMALLINT column (cluster_membership.rpc_port); a larger port makes the server exit with
# "value ... is out of range for type smallint" after a long, silent start.
MAX_TEMPORAL_PORT = 32767 + 300 - 6


def _temporal_port(raw: str) -> int:
    port = _port("temporal_port", raw)
    if port > MAX_TEMPORAL_PORT:
        raise UserError(
            f"temporal_port {port} is too high: Temporal stores its membership ports "
            f"({port - 300}–{port - 294}) in a smallint column (at most 32767)",
            f"choose a frontend port between 301 and {MAX_TEMPORAL_PORT}",
        )
    if port < 301:
        raise UserError(
            f"temporal_port {port} is too low: the membership ports sit 300 below it",
            f"choose a frontend port between 301 and {MAX_TEMPORAL_PORT}",
        )
    return port


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise UserError(f"{key} {raw!r} is not a yes/no value", "use true or false")
    return value in _TRUE


@dataclass(frozen=True)
class Settings:
    target: str = "native"
    temporal_version: str = DEFAULT_TEMPORAL_VERSION
    ui_version: str = DEFAULT_UI_VERSION
    postgres_major: int = DEFAULT_POSTGRES_MAJOR
    host: str = "127.0.0.1"
    postgres_port: int = 55432
    temporal_port: int = 7233
    ui_port: int = 8080
    namespace: str = "default"
    postgres_user: str = "temporal"
    state_dir: Path = field(default_factory=lambda: _default_dirs()[1] / "native")
    cache_dir: Path = field(default_factory=lambda: _default_dirs()[0])
    # Only for the external target (and optional overrides elsewhere).
    temporal_address: str = ""
    ui_url: str = ""
    # Deploy a version pair the compatibility matrix marks unsupported (with a warning).
    force_version: bool = False
    # Compose target only: "auto" uses the locally built images when the official ones are
    # not present; overrides are extra compose files (comma-separated, e.g. the mutants).
    compose_images: str = "auto"
    compose_overrides: str = ""
    compose_project: str = ""
    compose_file: str = ""
    # The keys the user set (env or explicit): targets with their own defaults (compose's
    # .env) let these win and keep their own values for the rest.
    given: frozenset[str] = field(default=frozenset(), compare=False)
    # -- ui: the Chromium the browser gates drive ('' = Debian's /usr/bin/chromium)
    chromium: str = ""

    @classmethod
    def load(
        cls, explicit: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from env vars and explicit values; raise UserError on bad input."""
        env = os.environ if env is None else env
        raw: dict[str, str] = {}
        for key in KEYS:
            env_value = env.get(ENV_PREFIX + key.upper())
            if env_value:
                raw[key] = env_value
        for key, value in (explicit or {}).items():
            if value is None or value == "":
                continue
            if key not in KEYS:
                raise UserError(
                    f"unknown setting {key!r}", f"use one of: {', '.join(sorted(KEYS))}"
                )
            raw[key] = str(value)
        return cls._from_raw(raw)

    @classmethod
    def _from_raw(cls, raw: Mapping[str, str]) -> Settings:
        settings = cls()
        values: dict[str, Any] = {}
        target = raw.get("target", settings.target)
        if target not in TARGETS:
            raise UserError(f"unknown target {target!r}", f"use one of: {', '.join(TARGETS)}")
        values["target"] = target
        if "temporal_version" in raw:
            values["temporal_version"] = str(parse_temporal_version(raw["temporal_version"]))
        if "ui_version" in raw:
            values["ui_version"] = str(parse_ui_version(raw["ui_version"]))
        else:  # the UI server that goes with the Temporal release (core/versions.py)
            values["ui_version"] = ui_for(values.get("temporal_version", settings.temporal_version))
        if "postgres_version" in raw:
            values["postgres_major"] = parse_postgres_major(raw["postgres_version"])
        for key in ("postgres_port", "ui_port"):
            if key in raw:
                values[key] = _port(key, raw[key])
        if "temporal_port" in raw:
            values["temporal_port"] = _temporal_port(raw["temporal_port"])
        if "force_version" in raw:
            values["force_version"] = _flag("force_version", raw["force_version"])
        for key in (
            "host",
            "namespace",
            "postgres_user",
            "temporal_address",
            "ui_url",
            "compose_overrides",
            "compose_project",
            "compose_file",
            "chromium",
        ):
            if key in raw:
                values[key] = raw[key].strip()
        if "compose_images" in raw:
            images = raw["compose_images"].strip().lower()
            if images not in COMPOSE_IMAGES:
                raise UserError(
                    f"unknown compose_images {raw['compose_images']!r}",
                    f"use one of: {', '.join(COMPOSE_IMAGES)}",
                )
            values["compose_images"] = images
        if values.get("host", "127.0.0.1") not in ("127.0.0.1", "localhost") and target == "native":
            raise UserError(
                f"the native target listens on loopback only, not {values['host']!r}",
                "drop the host setting or set it to 127.0.0.1",
            )
        cache_default, state_default = _default_dirs()
        values["cache_dir"] = Path(raw.get("cache_dir", cache_default)).expanduser().absolute()
        values["state_dir"] = (
            Path(raw.get("state_dir", state_default / target)).expanduser().absolute()
        )
        if target == "external" and not values.get("temporal_address"):
            raise UserError(
                "the external target needs the Temporal frontend address",
                "set TACC_TEMPORAL_ADDRESS=host:port (and TACC_UI_URL, TACC_POSTGRES_* )",
            )
        values["given"] = frozenset(raw)
        return replace(settings, **values)

    @property
    def frontend_address(self) -> str:
        return self.temporal_address or f"{self.host}:{self.temporal_port}"

    @property
    def ui_base_url(self) -> str:
        return (self.ui_url or f"http://{self.host}:{self.ui_port}").rstrip("/")

    def describe(self) -> dict[str, str]:
        """The settings as plain strings (nothing secret lives here)."""
        return {key: str(value) for key, value in asdict(self).items() if key != "given"}
