"""The compose project the suite drives: which files, which project name, which variables.

Compose substitutes `${VARS}` from the process environment first and the project's `.env`
second. The suite resolves the same way, then lets the settings the user gave (TACC_* or
`-D`) win, and hands the complete result to the Compose CLI, so the CLI, the endpoints and
the report all see one set of values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import REDACTED, Secret
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.topology import MULTIROLE
from temporal_acceptance.core.versions import (
    parse_postgres_major,
    parse_temporal_version,
    parse_ui_version,
)
from temporal_acceptance.stack.compose.network import (
    SUBNET_VARIABLE,
    TEMPORAL_ADDRESS_VARIABLE,
    checked_subnet,
    on_subnet,
    project_network,
)
from temporal_acceptance.stack.compose.secrets import (
    DEPLOYMENT_VARIABLE,
    SECRET_VARIABLES,
    ProjectFiles,
)

COMPOSE_FILE = "docker-compose.yml"
DEFAULT_PROJECT = "temporal-acceptance"
LOCAL_IMAGES_OVERRIDE = "compose/local-images.yml"
# The PostgreSQL TLS profile (postgres_tls=on): certificates, hostssl only, clients verify.
TLS_OVERRIDE = "compose/postgres-tls.yml"
TLS_DIR_VARIABLE = "TACC_POSTGRES_TLS_DIR"
# Where the named volume is mounted: the official image's data is in /var/lib/postgresql/data
# up to 17, in /var/lib/postgresql/<major>/docker from 18 on (docker-library/postgres#1259).
DATA_MOUNT_VARIABLE = "POSTGRES_DATA_MOUNT"


def data_mount(major: int) -> str:
    return "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"


# topology=multirole: one container per Temporal role (and its local images' override).
MULTIROLE_OVERRIDE = "compose/multirole.yml"
MULTIROLE_LOCAL_IMAGES = "compose/multirole-local-images.yml"
MULTIROLE_MAX_CONNECTIONS = 300

# Compose service names (upstream's, minus fixed container names).
POSTGRES_SERVICE = "postgresql"
SCHEMA_JOB = "temporal-schema-setup"
TEMPORAL_SERVICE = "temporal"
NAMESPACE_JOB = "temporal-create-namespace"
UI_SERVICE = "temporal-ui"

# Which compose variable each setting drives, and how a setting turns into its value.
SETTING_VARIABLES: dict[str, tuple[tuple[str, ...], Callable[[Settings], str]]] = {
    "postgres_version": (("POSTGRESQL_VERSION",), lambda s: str(s.postgres_major)),
    "temporal_version": (
        ("TEMPORAL_VERSION", "TEMPORAL_ADMINTOOLS_VERSION"),
        lambda s: s.temporal_version,
    ),
    "ui_version": (("TEMPORAL_UI_VERSION",), lambda s: s.ui_version),
    "postgres_port": (("POSTGRES_PUBLISHED_PORT",), lambda s: str(s.postgres_port)),
    "temporal_port": (("TEMPORAL_PUBLISHED_PORT",), lambda s: str(s.temporal_port)),
    "ui_port": (("UI_PUBLISHED_PORT",), lambda s: str(s.ui_port)),
    "postgres_user": (("POSTGRES_USER",), lambda s: s.postgres_user),
    "namespace": (("TEMPORAL_NAMESPACE",), lambda s: s.namespace),
    "postgres_timezone": (("POSTGRES_TIMEZONE",), lambda s: s.postgres_timezone),
    "compose_project": (("COMPOSE_PROJECT_NAME",), lambda s: s.compose_project),
}

# Every variable docker-compose.yml substitutes (the environment may set them without .env).
COMPOSE_VARIABLES = (
    "COMPOSE_PROJECT_NAME",
    "POSTGRES_IMAGE",
    "POSTGRESQL_VERSION",
    "TEMPORAL_ADMINTOOLS_IMAGE",
    "TEMPORAL_ADMINTOOLS_VERSION",
    "TEMPORAL_SERVER_IMAGE",
    "TEMPORAL_VERSION",
    "TEMPORAL_UI_IMAGE",
    "TEMPORAL_UI_VERSION",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_ADMIN_USER",
    "POSTGRES_ADMIN_PASSWORD",
    "APP_DB_USER",
    "APP_DB_PASSWORD",
    DEPLOYMENT_VARIABLE,
    "POSTGRES_PUBLISHED_PORT",
    "TEMPORAL_PUBLISHED_PORT",
    "UI_PUBLISHED_PORT",
    "TEMPORAL_NAMESPACE",
    DATA_MOUNT_VARIABLE,
    "POSTGRES_MAX_CONNECTIONS",
    "POSTGRES_TIMEZONE",
    SUBNET_VARIABLE,
    TEMPORAL_ADDRESS_VARIABLE,
)

# Variables whose values are secret wherever they show up.
_SECRET_NAME = re.compile(r"PASSWORD|PWD|SECRET|TOKEN", re.IGNORECASE)
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)$")


def started_with_local_images(config_files_label: str) -> bool:
    """Whether compose's config_files label (comma-separated paths) names the local override."""
    return any(
        Path(part.strip()).as_posix().endswith(LOCAL_IMAGES_OVERRIDE)
        for part in config_files_label.split(",")
    )


def parse_dotenv(text: str) -> dict[str, str]:
    """KEY=VALUE lines as compose reads them: comments, blank lines, optional quotes."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if not match:
            continue
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[match["key"]] = value
    return values


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_variables(variables: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if is_secret_name(k) and v else v) for k, v in variables.items()}


def normalise_project_name(name: str) -> str:
    """Compose's own normalisation (lower case; letters, digits, '-' and '_')."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower())
    if not cleaned:
        raise UserError(
            f"compose project name {name!r} has no usable characters",
            "use letters, digits, '-' or '_' (TACC_COMPOSE_PROJECT or COMPOSE_PROJECT_NAME)",
        )
    return cleaned


def find_compose_file(settings: Settings, cwd: Path, package_root: Path) -> Path:
    """The explicit setting, else ./docker-compose.yml, else the repository's own."""
    if settings.compose_file:
        path = Path(settings.compose_file).expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            raise UserError(
                f"compose file {path} does not exist", "fix TACC_COMPOSE_FILE or unset it"
            )
        return path.resolve()
    for candidate in (cwd / COMPOSE_FILE, package_root / COMPOSE_FILE):
        if candidate.is_file():
            return candidate.resolve()
    raise UserError(
        f"no {COMPOSE_FILE} in {cwd} or {package_root}",
        "run from the repository root or set TACC_COMPOSE_FILE",
    )


@dataclass(frozen=True)
class ComposeProject:
    directory: Path
    files: tuple[Path, ...]
    name: str
    variables: Mapping[str, str]  # complete: what the compose CLI substitutes
    settings: Settings  # the deployment's effective settings (from the variables)
    # Where the network's subnet came from: "given" (environment or .env), "recorded" (by
    # an earlier `up` of this project) or "preferred" (the name's hash, not yet checked).
    subnet_source: str = "preferred"

    @property
    def files_of(self) -> ProjectFiles:
        """Where the suite keeps this project's secrets and deployment id."""
        return ProjectFiles(self.settings.state_dir, self.name)

    def variable(self, name: str) -> str:
        value = self.variables.get(name, "")
        if not value:
            if name in SECRET_VARIABLES:
                raise UserError(
                    f"compose variable {name} is not set and no password was generated for "
                    f"project {self.name!r} (in {self.files_of.secrets_dir})",
                    "bring the stack up with the suite (it generates them), or export "
                    "the passwords (docs/compose.md)",
                )
            raise UserError(
                f"compose variable {name} is not set",
                f"set it in {self.directory / '.env'} or the environment",
            )
        return value

    def password(self) -> Secret:
        """Temporal's PostgreSQL password."""
        return Secret(self.variable("POSTGRES_PASSWORD"))

    def secrets(self) -> dict[str, Secret]:
        """Every password the deployment has, by what it is."""
        return {
            label: Secret(self.variables[name])
            for name, label in SECRET_VARIABLES.items()
            if self.variables.get(name)
        }

    def with_generated_secrets(self) -> ComposeProject:
        """The project with a generated password for each role that has none (`up` only:
        it writes the 0600 files) and the deployment id that labels what it creates."""
        missing = [name for name in SECRET_VARIABLES if not self.variables.get(name)]
        generated = self.files_of.ensure(missing)
        variables = dict(self.variables)
        for name in missing:
            variables[name] = generated[name]
        variables[DEPLOYMENT_VARIABLE] = self.files_of.deployment_id()
        return replace(self, variables=variables)

    def for_teardown(self) -> ComposeProject:
        """The project as `down` hands it to compose: the file demands every password
        (`${VAR:?…}`), which stopping and removing never use, so one that is gone (the
        project's files purged, or never generated) must not make `down` fail."""
        gone = {n: "not-used-by-down" for n in SECRET_VARIABLES if not self.variables.get(n)}
        return replace(self, variables={**self.variables, **gone}) if gone else self

    def with_network(
        self, others: Mapping[str, Iterable[str]], own: Iterable[str]
    ) -> ComposeProject:
        """The project on a subnet no other Docker network holds (`up` only: it records the
        choice, so a `down` + `up` keeps Temporal's address). `others`: every other
        network's subnets by name; `own`: the subnets of this project's network, if any."""
        files, subnet, source = self.files_of, self.variables[SUBNET_VARIABLE], self.subnet_source
        chosen = checked_subnet(self.name, subnet, source, files.subnet_file, own, others)
        if chosen is not None:
            files.record_subnet(chosen)
            moved = on_subnet(self.name, self.variables, chosen)
            return replace(self, variables=moved, subnet_source="recorded")
        return self

    def describe(self, cli: str) -> dict[str, object]:
        """The project as the report shows it (passwords redacted)."""
        return {
            "cli": cli,
            "project": self.name,
            "files": [str(path) for path in self.files],
            "variables": redact_variables(self.variables),
            "secrets": f"{self.files_of.secrets_dir} (generated per deployment, 0600)",
        }

    def with_local_images(self) -> ComposeProject:
        overrides = [LOCAL_IMAGES_OVERRIDE]
        if (self.directory / MULTIROLE_OVERRIDE).resolve() in self.files:
            overrides.append(MULTIROLE_LOCAL_IMAGES)
        added = [
            f for f in ((self.directory / n).resolve() for n in overrides) if f not in self.files
        ]
        return replace(self, files=(*self.files, *added)) if added else self

    def file_arguments(self) -> list[str]:
        arguments = ["-p", self.name]
        for path in self.files:
            arguments += ["-f", str(path)]
        return arguments

    def official_images(self) -> dict[str, str]:
        """Service → image when no override changes it (the registry names from .env)."""
        v = self.variable
        return {
            POSTGRES_SERVICE: f"{v('POSTGRES_IMAGE')}:{v('POSTGRESQL_VERSION')}",
            SCHEMA_JOB: f"{v('TEMPORAL_ADMINTOOLS_IMAGE')}:{v('TEMPORAL_ADMINTOOLS_VERSION')}",
            TEMPORAL_SERVICE: f"{v('TEMPORAL_SERVER_IMAGE')}:{v('TEMPORAL_VERSION')}",
            NAMESPACE_JOB: f"{v('TEMPORAL_ADMINTOOLS_IMAGE')}:{v('TEMPORAL_ADMINTOOLS_VERSION')}",
            UI_SERVICE: f"{v('TEMPORAL_UI_IMAGE')}:{v('TEMPORAL_UI_VERSION')}",
        }


def resolve_variables(
    settings: Settings, dotenv: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    """.env, overlaid by the process environment (compose's order), overlaid by the
    settings the user gave explicitly."""
    variables = dict(dotenv)
    for name in {*variables, *COMPOSE_VARIABLES}:
        if environ.get(name):
            variables[name] = environ[name]
    for key, (names, value_of) in SETTING_VARIABLES.items():
        # The UI follows a Temporal release the user gave (core.versions.ui_for), as on
        # the native target, unless the UI release is given too.
        follows = key == "ui_version" and "temporal_version" in settings.given
        if key in settings.given or follows:
            for name in names:
                variables[name] = value_of(settings)
    if not environ.get(DATA_MOUNT_VARIABLE) and (
        "postgres_version" in settings.given or not dotenv.get(DATA_MOUNT_VARIABLE)
    ):
        major = variables.get("POSTGRESQL_VERSION", "")
        if major.isdigit():
            variables[DATA_MOUNT_VARIABLE] = data_mount(int(major))
    return variables


def effective_settings(settings: Settings, variables: Mapping[str, str]) -> Settings:
    """The settings as the deployment will actually run (values from the variables)."""

    def get(name: str, fallback: str) -> str:
        return variables.get(name) or fallback

    def port(name: str, fallback: int) -> int:
        raw = get(name, str(fallback))
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise UserError(f"{name}={raw!r} is not a TCP port", "fix it in .env or TACC_*")
        return int(raw)

    return replace(
        settings,
        postgres_major=parse_postgres_major(
            get("POSTGRESQL_VERSION", str(settings.postgres_major))
        ),
        temporal_version=str(
            parse_temporal_version(get("TEMPORAL_VERSION", settings.temporal_version))
        ),
        ui_version=str(parse_ui_version(get("TEMPORAL_UI_VERSION", settings.ui_version))),
        postgres_port=port("POSTGRES_PUBLISHED_PORT", settings.postgres_port),
        temporal_port=port("TEMPORAL_PUBLISHED_PORT", settings.temporal_port),
        ui_port=port("UI_PUBLISHED_PORT", settings.ui_port),
        postgres_user=get("POSTGRES_USER", settings.postgres_user),
        namespace=get("TEMPORAL_NAMESPACE", settings.namespace),
    )


def load_project(
    settings: Settings, environ: Mapping[str, str], cwd: Path, package_root: Path
) -> ComposeProject:
    compose_file = find_compose_file(settings, cwd, package_root)
    directory = compose_file.parent
    dotenv_path = directory / ".env"
    dotenv = parse_dotenv(dotenv_path.read_text()) if dotenv_path.is_file() else {}
    variables = resolve_variables(settings, dotenv, environ)
    name = normalise_project_name(
        variables.get("COMPOSE_PROJECT_NAME")
        or environ.get("COMPOSE_PROJECT_NAME")
        or DEFAULT_PROJECT
    )
    variables["COMPOSE_PROJECT_NAME"] = name
    # The subnet: as given, else as recorded by an earlier `up`, else the name's (unchecked).
    generated = ProjectFiles(settings.state_dir, name)
    given, recorded = variables.get(SUBNET_VARIABLE, ""), generated.subnet()
    subnet, address = project_network(name, given or recorded)
    variables[SUBNET_VARIABLE] = subnet
    variables.setdefault(TEMPORAL_ADDRESS_VARIABLE, address)
    source = "given" if given else "recorded" if recorded else "preferred"
    # Generated passwords (stack/compose/secrets.py) where neither the environment nor .env
    # gives one; the deployment id that labels what the suite created.
    for variable, value in generated.read().items():
        if not variables.get(variable):
            variables[variable] = value
    variables[DEPLOYMENT_VARIABLE] = generated.deployment_id()
    files = [compose_file]
    for raw in filter(None, (part.strip() for part in settings.compose_overrides.split(","))):
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else directory / path).resolve()
        if not path.is_file():
            raise UserError(
                f"compose override {raw!r} does not exist (looked at {path})",
                "fix TACC_COMPOSE_OVERRIDES (comma-separated, relative to the compose file)",
            )
        files.append(path)
    if settings.postgres_tls:
        files.append((directory / TLS_OVERRIDE).resolve())
        variables[TLS_DIR_VARIABLE] = str(settings.state_dir / "tls")
    if settings.topology == MULTIROLE:
        files.append((directory / MULTIROLE_OVERRIDE).resolve())
        # Five server processes open their own pools to both databases: 200 connections
        # leave too little headroom (the connection-budget gate failed it), unless set.
        if not variables.get("POSTGRES_MAX_CONNECTIONS"):
            variables["POSTGRES_MAX_CONNECTIONS"] = str(MULTIROLE_MAX_CONNECTIONS)
    project = ComposeProject(
        directory, tuple(files), name, variables, effective_settings(settings, variables), source
    )
    if settings.compose_images == "local":
        project = project.with_local_images()
    return project
