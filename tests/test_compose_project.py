"""The compose project: .env parsing, variable precedence, effective settings, and the
properties the compose files must keep (127.0.0.1 ports, named volume, no secrets inline)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.compose.network import (
    SUBNET_VARIABLE,
    TEMPORAL_ADDRESS_VARIABLE,
    free_subnet,
    preferred_subnet,
    project_network,
)
from temporal_acceptance.stack.compose.project import (
    COMPOSE_FILE,
    LOCAL_IMAGES_OVERRIDE,
    load_project,
    normalise_project_name,
    parse_dotenv,
    redact_variables,
    resolve_variables,
    started_with_local_images,
)
from temporal_acceptance.stack.compose.secrets import SECRET_VARIABLES
from temporal_acceptance.stack.local_images.spec import ImageVersions, local_images

REPO = Path(__file__).resolve().parents[1]
DOTENV = {
    "COMPOSE_PROJECT_NAME": "from-dotenv",
    "POSTGRESQL_VERSION": "16",
    "TEMPORAL_VERSION": "1.32.2",
    "TEMPORAL_ADMINTOOLS_VERSION": "1.32.2",
    "TEMPORAL_UI_VERSION": "2.56.4",
    "POSTGRES_IMAGE": "postgres",
    "TEMPORAL_ADMINTOOLS_IMAGE": "temporalio/admin-tools",
    "TEMPORAL_SERVER_IMAGE": "temporalio/server",
    "TEMPORAL_UI_IMAGE": "temporalio/ui",
    "POSTGRES_USER": "temporal",
    "POSTGRES_PASSWORD": "dotenv-secret",
    "POSTGRES_PUBLISHED_PORT": "5432",
    "TEMPORAL_PUBLISHED_PORT": "7233",
    "UI_PUBLISHED_PORT": "8080",
}


def _project_dir(tmp_path: Path, dotenv: dict[str, str] | None = None) -> Path:
    (tmp_path / COMPOSE_FILE).write_text("services: {}\n")
    lines = [f"{k}={v}" for k, v in (DOTENV if dotenv is None else dotenv).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    (tmp_path / "compose").mkdir(exist_ok=True)
    (tmp_path / LOCAL_IMAGES_OVERRIDE).write_text("services: {}\n")
    return tmp_path


def test_dotenv_lines_as_compose_reads_them() -> None:
    text = (
        "# comment\n\nA=1\nexport B = two\nC='quoted # not a comment'\n"
        'D="double"\nE=value # trailing comment\nnot a line\nF=\n'
    )
    assert parse_dotenv(text) == {
        "A": "1",
        "B": "two",
        "C": "quoted # not a comment",
        "D": "double",
        "E": "value",
        "F": "",
    }


def test_environment_beats_dotenv_and_given_settings_beat_both() -> None:
    settings = Settings.load({"postgres_port": "55500", "temporal_version": "1.30.1"}, env={})
    environ = {"POSTGRES_PUBLISHED_PORT": "6000", "UI_PUBLISHED_PORT": "9090", "PATH": "/bin"}
    variables = resolve_variables(settings, DOTENV, environ)
    assert variables["POSTGRES_PUBLISHED_PORT"] == "55500"  # given setting
    assert variables["UI_PUBLISHED_PORT"] == "9090"  # environment over .env
    assert variables["TEMPORAL_PUBLISHED_PORT"] == "7233"  # .env, nothing else set
    assert variables["TEMPORAL_VERSION"] == variables["TEMPORAL_ADMINTOOLS_VERSION"] == "1.30.1"
    assert "PATH" not in variables


def test_settings_not_given_keep_dotenv_values(tmp_path: Path) -> None:
    project = load_project(Settings.load({}, env={}), {}, _project_dir(tmp_path), tmp_path)
    assert project.settings.postgres_port == 5432  # from .env, not the suite default 55432
    assert project.settings.ui_version == "2.56.4"
    assert project.name == "from-dotenv"
    assert project.password().reveal() == "dotenv-secret"
    assert project.official_images()["temporal"] == "temporalio/server:1.32.2"
    assert project.file_arguments() == ["-p", "from-dotenv", "-f", str(tmp_path / COMPOSE_FILE)]


def test_bad_values_in_dotenv_are_user_errors(tmp_path: Path) -> None:
    directory = _project_dir(tmp_path, {**DOTENV, "UI_PUBLISHED_PORT": "80800"})
    with pytest.raises(UserError, match="UI_PUBLISHED_PORT='80800' is not a TCP port"):
        load_project(Settings.load({}, env={}), {}, directory, tmp_path)
    directory = _project_dir(tmp_path, {**DOTENV, "TEMPORAL_VERSION": "latest"})
    with pytest.raises(UserError, match="not of the form X.Y.Z"):
        load_project(Settings.load({}, env={}), {}, directory, tmp_path)


def test_a_missing_password_says_how_to_get_one(tmp_path: Path) -> None:
    dotenv = {k: v for k, v in DOTENV.items() if k != "POSTGRES_PASSWORD"}
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    project = load_project(settings, {}, _project_dir(tmp_path, dotenv), tmp_path)
    with pytest.raises(
        UserError,
        match=r"POSTGRES_PASSWORD is not set and no password was generated for project "
        r"'from-dotenv' .* — bring the stack up with the suite",
    ):
        project.password()
    assert not (tmp_path / "state").exists()  # reading wrote nothing


def test_up_generates_a_password_per_role_once_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = {k: v for k, v in DOTENV.items() if k != "POSTGRES_PASSWORD"}
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    directory = _project_dir(tmp_path, dotenv)
    environ = {"APP_DB_PASSWORD": "exported-app-pw"}
    project = load_project(settings, environ, directory, tmp_path).with_generated_secrets()
    secrets_dir = tmp_path / "state" / "projects" / "from-dotenv" / "secrets"
    assert sorted(p.name for p in secrets_dir.iterdir()) == [
        "postgres-admin-password",
        "postgres-password",
    ]
    assert oct(secrets_dir.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in secrets_dir.iterdir()} == {"0o600"}
    assert project.variables["APP_DB_PASSWORD"] == "exported-app-pw"
    assert (
        project.variables["POSTGRES_PASSWORD"]
        == (secrets_dir / "postgres-password").read_text().strip()
    )
    assert len(project.variables["TACC_DEPLOYMENT_ID"]) == 16
    assert set(project.secrets()) == {
        "Temporal's PostgreSQL password",
        "the PostgreSQL admin password",
        "the application role's password",
    }
    again = load_project(settings, environ, directory, tmp_path)
    assert (
        again.variables["POSTGRES_ADMIN_PASSWORD"] == project.variables["POSTGRES_ADMIN_PASSWORD"]
    )
    assert again.variables["TACC_DEPLOYMENT_ID"] == project.variables["TACC_DEPLOYMENT_ID"]
    assert again.with_generated_secrets().variables == project.variables  # nothing regenerated
    described = again.describe("docker-compose 1.29.2")
    assert described["variables"]["POSTGRES_ADMIN_PASSWORD"] == "***"  # type: ignore[index]
    project.files_of.remove()
    assert not (tmp_path / "state" / "projects").exists()


def test_overrides_local_images_and_project_name(tmp_path: Path) -> None:
    directory = _project_dir(tmp_path)
    (directory / "compose" / "mutant.yml").write_text("services: {}\n")
    settings = Settings.load(
        {
            "compose_overrides": "compose/mutant.yml",
            "compose_images": "local",
            "compose_project": "My Project!",
        },
        env={},
    )
    project = load_project(settings, {}, directory, tmp_path)
    assert [p.name for p in project.files] == [COMPOSE_FILE, "mutant.yml", "local-images.yml"]
    assert project.name == "myproject"
    assert project.with_local_images() is project  # already there: not twice


def test_missing_files_are_user_errors(tmp_path: Path) -> None:
    directory = _project_dir(tmp_path)
    with pytest.raises(UserError, match="compose override 'nope.yml' does not exist"):
        load_project(
            Settings.load({"compose_overrides": "nope.yml"}, env={}), {}, directory, tmp_path
        )
    with pytest.raises(UserError, match="does not exist — fix TACC_COMPOSE_FILE"):
        load_project(Settings.load({"compose_file": "x.yml"}, env={}), {}, directory, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no docker-compose.yml in"):
        load_project(Settings.load({}, env={}), {}, empty, empty)
    with pytest.raises(UserError, match="unknown compose_images"):
        Settings.load({"compose_images": "cloud"}, env={})


def test_explicit_compose_file_and_project_name_from_environment(tmp_path: Path) -> None:
    directory = _project_dir(tmp_path, {**DOTENV, "COMPOSE_PROJECT_NAME": ""})
    settings = Settings.load({"compose_file": str(directory / COMPOSE_FILE)}, env={})
    project = load_project(settings, {"COMPOSE_PROJECT_NAME": "envname"}, tmp_path / "..", tmp_path)
    assert project.name == "envname"
    with pytest.raises(UserError, match="no usable characters"):
        normalise_project_name("!!!")


def test_redaction_and_config_files_label() -> None:
    shown = redact_variables({"POSTGRES_PASSWORD": "x", "POSTGRES_PWD": "y", "POSTGRES_USER": "u"})
    assert shown == {"POSTGRES_PASSWORD": "***", "POSTGRES_PWD": "***", "POSTGRES_USER": "u"}
    assert started_with_local_images("/r/docker-compose.yml,/r/compose/local-images.yml")
    assert not started_with_local_images("/r/docker-compose.yml")


# ---------------------------------------------------------------- the repository's compose files


def _compose(name: str) -> dict[str, object]:
    data = yaml.safe_load((REPO / name).read_text())
    assert isinstance(data, dict)
    return data


def test_every_port_is_published_on_loopback_only() -> None:
    services = _compose(COMPOSE_FILE)["services"]
    assert isinstance(services, dict)
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert len(published) == 3
    assert all(str(p).startswith("127.0.0.1:") for p in published), published


def test_postgres_data_is_on_a_named_volume_and_the_mutant_makes_it_anonymous() -> None:
    compose = _compose(COMPOSE_FILE)
    postgres = compose["services"]["postgresql"]  # type: ignore[index]
    # mounted where the major keeps its data (POSTGRES_DATA_MOUNT, set from the major)
    mount = "${POSTGRES_DATA_MOUNT:-/var/lib/postgresql/data}"
    assert f"postgres-data:{mount}" in postgres["volumes"]
    assert "postgres-data" in compose["volumes"]  # type: ignore[operator]
    assert "max_connections=${POSTGRES_MAX_CONNECTIONS:-200}" in postgres["command"]
    mutant = _compose("compose/anonymous-volume.yml")["services"]["postgresql"]  # type: ignore[index]
    assert mutant["volumes"] == [mount]


def test_no_credentials_or_fixed_names_in_the_compose_file() -> None:
    text = (REPO / COMPOSE_FILE).read_text()
    assert "container_name" not in text
    exported = ("${POSTGRES_PASSWORD", "${POSTGRES_ADMIN_PASSWORD", "${APP_DB_PASSWORD")
    for line in text.splitlines():
        if re.search(r"(PASSWORD|PWD):", line):
            assert any(variable in line for variable in exported), line
    dotenv = parse_dotenv((REPO / ".env").read_text())
    assert not [key for key in dotenv if re.search(r"PASSWORD|PWD|SECRET", key)]
    assert dotenv["TEMPORAL_VERSION"] == "1.32.2"
    assert dotenv["TEMPORAL_UI_VERSION"] == "2.56.4"


def test_local_images_override_matches_the_image_builder() -> None:
    dotenv = parse_dotenv((REPO / ".env").read_text())
    override = _compose(LOCAL_IMAGES_OVERRIDE)["services"]
    assert isinstance(override, dict)
    named = {
        service: re.sub(r"\$\{(\w+)\}", lambda m: dotenv[m[1]], spec["image"])
        for service, spec in override.items()
    }
    versions = ImageVersions(
        int(dotenv["POSTGRESQL_VERSION"]),
        dotenv["TEMPORAL_ADMINTOOLS_VERSION"],
        dotenv["TEMPORAL_VERSION"],
        dotenv["TEMPORAL_UI_VERSION"],
    )
    assert named == local_images(versions)
    assert set(named) == set(_compose(COMPOSE_FILE)["services"])  # type: ignore[arg-type]


def test_least_privilege_and_scram_in_the_compose_file() -> None:
    services = _compose(COMPOSE_FILE)["services"]
    assert isinstance(services, dict)
    postgres = services["postgresql"]
    assert postgres["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert "password_encryption=scram-sha-256" in postgres["command"]
    assert "./compose/initdb:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    # The admin's password reaches the PostgreSQL container only: Temporal never sees it.
    for name in ("temporal-schema-setup", "temporal", "temporal-create-namespace", "temporal-ui"):
        environment = " ".join(str(v) for v in (services[name].get("environment") or {}).values())
        assert "ADMIN" not in environment, name
    assert services["temporal"]["environment"]["POSTGRES_PWD"] == "${POSTGRES_PASSWORD}"
    script = (REPO / "compose/scripts/setup-postgres.sh").read_text()
    assert "create-database" not in script.replace("no create-database step", "")
    initdb = (REPO / "compose/initdb/10-least-privilege.sh").read_text()
    assert "NOSUPERUSER NOCREATEDB NOCREATEROLE" in initdb
    assert "CREATE EXTENSION IF NOT EXISTS btree_gin" in initdb
    assert "REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC" in initdb
    labelled = [name for name, spec in services.items() if "labels" in spec]
    assert sorted(labelled) == sorted(services)


def test_each_project_keeps_one_network_and_temporal_address_across_down_and_up(
    tmp_path: Path,
) -> None:
    settings = Settings.load({}, env={})
    first = load_project(settings, {}, _project_dir(tmp_path), tmp_path)
    again = load_project(settings, {}, _project_dir(tmp_path), tmp_path)
    subnet = first.variables[SUBNET_VARIABLE]
    assert subnet == again.variables[SUBNET_VARIABLE]
    assert re.fullmatch(r"172\.31\.(24\d|25[0-5])\.0/24", subnet)
    assert first.variables[TEMPORAL_ADDRESS_VARIABLE] == subnet.replace(".0/24", ".200")
    names = {project_network(f"project-{n}")[0] for n in range(40)}
    assert len(names) > 8  # side-by-side projects mostly get subnets of their own


def test_a_given_subnet_wins_and_a_bad_one_is_one_clear_error(tmp_path: Path) -> None:
    settings = Settings.load({}, env={})
    environ = {SUBNET_VARIABLE: "10.77.3.0/24"}
    project = load_project(settings, environ, _project_dir(tmp_path), tmp_path)
    assert project.variables[TEMPORAL_ADDRESS_VARIABLE] == "10.77.3.200"
    for bad, why in (("10.77.3.0/28", "smaller than a /24"), ("nope", "not an IPv4 subnet")):
        with pytest.raises(UserError, match=why):
            project_network("p", bad)


def test_a_subnet_held_by_another_network_is_skipped_and_the_choice_is_kept(
    tmp_path: Path,
) -> None:
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    project = load_project(settings, {}, _project_dir(tmp_path), tmp_path)
    preferred = preferred_subnet(project.name)
    assert project.subnet_source == "preferred"
    assert project.variables[SUBNET_VARIABLE] == preferred
    # A network an interrupted run left on the /24 the name hashes to (as in CI once).
    stale = {"tacc-ci-1_default": [preferred], "bridge": ["172.17.0.0/16"]}
    chosen = project.with_network(stale, [])
    subnet = chosen.variables[SUBNET_VARIABLE]
    assert subnet != preferred
    assert re.fullmatch(r"172\.31\.(24\d|25[0-5])\.0/24", subnet)
    assert chosen.variables[TEMPORAL_ADDRESS_VARIABLE] == subnet.replace(".0/24", ".200")
    # The choice is recorded: the next `up` (after a `down`) keeps Temporal's address even
    # when the stale network is gone, because the ring remembers hosts by address.
    again = load_project(settings, {}, _project_dir(tmp_path), tmp_path)
    assert (again.subnet_source, again.variables[SUBNET_VARIABLE]) == ("recorded", subnet)
    assert again.with_network({"bridge": ["172.17.0.0/16"]}, []) == again
    # The project's own network, still there, wins over any choice.
    fresh = load_project(
        Settings.load({"state_dir": str(tmp_path / "other")}, env={}),
        {}, _project_dir(tmp_path), tmp_path,
    )  # fmt: skip
    kept = fresh.with_network(stale, ["172.31.247.0/24"])
    assert kept.variables[SUBNET_VARIABLE] == "172.31.247.0/24"


def test_a_held_given_or_recorded_subnet_and_a_full_pool_are_one_clear_error(
    tmp_path: Path,
) -> None:
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    given = load_project(
        settings, {SUBNET_VARIABLE: "10.77.3.0/24"}, _project_dir(tmp_path), tmp_path
    )
    assert given.subnet_source == "given"
    with pytest.raises(UserError, match=r"TACC_COMPOSE_SUBNET 10.77.3.0/24 overlaps Docker "
                       r"network 'lab'") as raised:  # fmt: skip
        given.with_network({"lab": ["10.77.0.0/16"]}, [])
    assert "docker network rm lab" in raised.value.fix
    recorded = load_project(settings, {}, _project_dir(tmp_path), tmp_path).with_network({}, [])
    subnet = recorded.variables[SUBNET_VARIABLE]
    with pytest.raises(UserError, match=f"subnet .*recorded in .*{subnet} overlaps"):
        recorded.with_network({"newcomer": [subnet]}, [])
    every = {f"n{i}": [f"172.31.{240 + i}.0/24"] for i in range(16)}
    with pytest.raises(UserError, match=r"every /24 of 172.31.240.0/20 is held .*n0, n1"):
        free_subnet("p", every)
    # IPv6 and malformed entries are not in the way.
    assert free_subnet("p", {"v6": ["fd00::/64"], "odd": ["nonsense"]}) == preferred_subnet("p")


def test_down_gets_a_stand_in_for_each_password_that_is_gone(tmp_path: Path) -> None:
    # The project's files purged (or never made): `down` must still reach compose, which
    # refuses to read the file without every ${PASSWORD:?…} set.
    settings = Settings.load({"state_dir": str(tmp_path / "state")}, env={})
    project = load_project(settings, {}, _project_dir(tmp_path), tmp_path)
    assert not project.variables.get("POSTGRES_ADMIN_PASSWORD")
    teardown = project.for_teardown()
    assert all(teardown.variables[name] for name in SECRET_VARIABLES)
    assert teardown.variables["POSTGRES_PASSWORD"] == "dotenv-secret"  # a real one is kept
    assert teardown.for_teardown() == teardown
    emptied = replace(project, variables={**project.variables, "POSTGRES_TIMEZONE": ""})
    assert emptied.for_teardown().variables["POSTGRES_TIMEZONE"] == ""  # only passwords filled


def test_the_compose_file_pins_temporal_to_the_project_address() -> None:
    compose = yaml.safe_load(Path(COMPOSE_FILE).read_text())
    address = compose["services"]["temporal"]["networks"]["default"]["ipv4_address"]
    assert TEMPORAL_ADDRESS_VARIABLE in address
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert SUBNET_VARIABLE in subnet


def test_the_ui_follows_a_temporal_release_the_user_gave() -> None:
    from temporal_acceptance.stack.compose.project import resolve_variables

    settings = Settings.load({"target": "compose", "temporal_version": "1.31.2"}, env={})
    variables = resolve_variables(settings, DOTENV, {})
    assert (variables["TEMPORAL_VERSION"], variables["TEMPORAL_UI_VERSION"]) == ("1.31.2", "2.52.0")
    both = Settings.load(
        {"target": "compose", "temporal_version": "1.31.2", "ui_version": "2.55.0"}, env={}
    )
    assert resolve_variables(both, DOTENV, {})["TEMPORAL_UI_VERSION"] == "2.55.0"
    assert (
        resolve_variables(Settings.load({"target": "compose"}, env={}), DOTENV, {})[
            "TEMPORAL_UI_VERSION"
        ]
        == DOTENV["TEMPORAL_UI_VERSION"]
    )
