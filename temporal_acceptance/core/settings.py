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
from temporal_acceptance.core.external_settings import (
    PASSWORD_ENV,
    PASSWORD_FILE_ENV,
    PASSWORD_KEYS,
    external_values,
    parse_flag,
    require_external,
)
from temporal_acceptance.core.topology import SINGLE, parse_topology, parse_topology_name
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
    # -- topology (issue 16): single (one temporal-server) or multirole (one per role, two
    # history hosts); an external deployment may give role=count,... instead
    "topology",
    # -- operator gates (issue 14): PostgreSQL TLS, its time zone, and whether gates that
    # change the deployment (search attributes) may run on an external target
    "postgres_tls",
    "postgres_timezone",
    "allow_changes",
    # external target (stack/external): PostgreSQL as the deployment runs it, the databases'
    # names, TLS of the frontend and of PostgreSQL, the server's configuration (for the
    # datastore gate) and where each service's log can be read
    "postgres_host",
    "postgres_sslmode",
    "postgres_sslrootcert",
    "temporal_database",
    "visibility_database",
    "temporal_tls",
    "temporal_tls_ca",
    "temporal_tls_cert",
    "temporal_tls_key",
    "temporal_tls_server_name",
    "temporal_config",
    "temporal_log",
    "postgres_log",
    "ui_log",
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


def _topology(raw: str, target: str) -> str:
    """single or multirole; an external target may describe itself as role=count,..."""
    if target == "external" and "=" in raw:
        parse_topology(raw)  # one line naming a bad entry
        return raw.strip().lower()
    return parse_topology_name(raw)


def _timezone(raw: str) -> str:
    """An IANA zone name PostgreSQL and Python both know (e.g. Asia/Kolkata)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"postgres_timezone {raw!r} is not a time zone name",
            "use an IANA name such as Asia/Kolkata or UTC",
        ) from None
    return name


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
    # -- topology: how the Temporal roles are laid out (core/topology.py)
    topology: str = SINGLE
    # -- operator gates: PostgreSQL that accepts only TLS on TCP (native, compose); its
    # `timezone` ('' = UTC); changes allowed on an external deployment
    postgres_tls: bool = False
    postgres_timezone: str = ""
    allow_changes: bool = False
    # -- external target ('' = not given; see docs/DEPLOYMENT.md, "External deployment")
    postgres_host: str = ""
    postgres_sslmode: str = ""
    postgres_sslrootcert: str = ""
    temporal_database: str = "temporal"
    visibility_database: str = "temporal_visibility"
    temporal_tls: bool = False
    temporal_tls_ca: str = ""
    temporal_tls_cert: str = ""
    temporal_tls_key: str = ""
    temporal_tls_server_name: str = ""
    temporal_config: str = ""
    temporal_log: str = ""
    postgres_log: str = ""
    ui_log: str = ""

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
            if key in PASSWORD_KEYS:
                raise UserError(
                    f"the PostgreSQL password is never taken from a flag or -D ({key}): "
                    "it would show in the process list and the shell history",
                    f"export {PASSWORD_ENV}, or {PASSWORD_FILE_ENV}=/path/to/a/file",
                )
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
        for key in ("force_version", "postgres_tls", "allow_changes"):
            if key in raw:
                values[key] = parse_flag(key, raw[key])
        if "postgres_timezone" in raw:
            values["postgres_timezone"] = _timezone(raw["postgres_timezone"])
        values.update(external_values(raw))
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
        if "topology" in raw:
            values["topology"] = _topology(raw["topology"], target)
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
        if target == "external":
            require_external(values)
        values["given"] = frozenset(raw)
        return replace(settings, **values)

    @property
    def temporal_tls_on(self) -> bool:
        """TLS to the frontend: asked for, or implied by a CA, a client certificate or a
        server name."""
        return self.temporal_tls or any(
            (self.temporal_tls_ca, self.temporal_tls_cert, self.temporal_tls_server_name)
        )

    @property
    def frontend_address(self) -> str:
        return self.temporal_address or f"{self.host}:{self.temporal_port}"

    @property
    def ui_base_url(self) -> str:
        return (self.ui_url or f"http://{self.host}:{self.ui_port}").rstrip("/")

    def describe(self) -> dict[str, str]:
        """The settings as plain strings (nothing secret lives here)."""
        return {key: str(value) for key, value in asdict(self).items() if key != "given"}
