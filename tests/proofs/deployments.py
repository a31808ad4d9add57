"""Deployments the suite did not create, for the external target's proofs.

Nothing here uses the suite's stack code (temporal_acceptance.stack): PostgreSQL is the
machine's own (Debian's postgresql-15, else a PostgreSQL build from the suite's binary cache)
started with initdb/pg_ctl; temporal-server runs upstream's own configuration file from the
Go module cache as shipped, with only the variables upstream exposes set; the schema comes
from temporal-sql-tool and upstream's versioned schema files; the namespace is created with
the Temporal CLI; the UI runs upstream's own docker.yaml. The binaries are located (built
once, cached) by temporal_acceptance.provision, which configures nothing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from temporal_acceptance.core.progress import stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.provision.gobuild import (
    ensure_go_binary,
    module_source_dir,
    temporal_server,
    temporal_sql_tool,
    ui_server,
)
from temporal_acceptance.provision.postgres import ensure_postgres

REPO = Path(__file__).resolve().parents[2]
# Why the external target skips a gate (every skip must say one of these): it would change
# the deployment, it needs what only the deployment's host sees, or the target was not told
# what the gate needs (the pools, where the data must live, whether TLS is required).
SKIP_REASONS = (
    "changes the deployment",
    "listening sockets",
    "ALTER SYSTEM",
    "are not known on this target",
    "must live is unknown",
    "does not require TLS",
)
# The proofs' own deployments run a release of their own choosing (not the suite's default).
TEMPORAL_VERSION = "1.30.8"
UI_VERSION = "2.55.0"
POSTGRES_ACCOUNT = "tacc-postgres"
DEBIAN_POSTGRES = Path("/usr/lib/postgresql/15/bin")
READY_TIMEOUT = 120.0


def say(line: str) -> None:
    print(line, file=sys.__stderr__, flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Ports:
    """One proof's ports: PostgreSQL 575xx, the frontend and its roles 23xxx, the UI 24xxx,
    membership 22xxx (Temporal keeps membership ports in a smallint)."""

    index: int

    @property
    def postgres(self) -> int:
        return 57500 + self.index

    @property
    def frontend(self) -> int:
        return 23500 + 20 * self.index

    def role(self, offset: int) -> int:
        return self.frontend + offset

    def membership(self, offset: int) -> int:
        return 22500 + 20 * self.index + offset

    @property
    def ui(self) -> int:
        return 24500 + 20 * self.index

    def all(self) -> list[int]:
        return [
            self.postgres,
            self.ui,
            *(self.role(k) for k in range(12)),
            *(self.membership(k) for k in range(10)),
        ]


def free_ports(first: int) -> Ports:
    for index in range(first, first + 15):
        ports = Ports(index)
        if all(port_free(port) for port in ports.all()):
            return ports
    raise RuntimeError(f"no free port set for a proof deployment from index {first}")


class Exited(RuntimeError):
    """The process being waited for is gone: waiting longer cannot help."""


def wait_for(what: str, check: Any, timeout: float = READY_TIMEOUT) -> Any:
    """Poll `check` (truthy = done) with a short backoff; fail naming what was awaited."""
    deadline, delay, last = time.monotonic() + timeout, 0.1, "no attempt"
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = repr(result)
        except Exited:
            raise
        except Exception as exc:  # keep polling: the thing is still starting
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}; last seen: {last}")


def new_password() -> str:
    return secrets.token_urlsafe(24)


# ---------------------------------------------------------------- processes


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        if not self.running() or self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def tail(self, count: int = 20) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-count:])


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path:
    if (DEBIAN_POSTGRES / "initdb").is_file():
        return DEBIAN_POSTGRES
    return ensure_postgres(16, cache_dir(), os.environ, stderr_say).bin_dir


def cache_dir() -> Path:
    """The suite's binary cache (TACC_CACHE_DIR when set)."""
    env = {k: v for k, v in os.environ.items() if k == "TACC_CACHE_DIR"}
    return Settings.load({}, env=env).cache_dir


def _account() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_ACCOUNT)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", POSTGRES_ACCOUNT],
            check=True,
        )  # fmt: skip
        entry = pwd.getpwnam(POSTGRES_ACCOUNT)
    return entry.pw_uid, entry.pw_gid


@dataclass
class Postgres:
    """A PostgreSQL server of the machine's own, on 127.0.0.1 with scram passwords; its
    superuser is `postgres`."""

    root: Path
    port: int
    password: str = field(default_factory=new_password)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def _run(self, argv: Sequence[str]) -> None:
        account = _account()
        kwargs: dict[str, Any] = {"user": account[0], "group": account[1]} if account else {}
        subprocess.run(list(argv), check=True, capture_output=True, **kwargs)

    def start(self) -> Postgres:
        account = _account()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        self.log.touch()
        if account:
            for path in (self.root, pwfile, self.log):
                os.chown(path, *account)
        pwfile.chmod(0o600)
        binaries = postgres_bin()
        self._run([
            str(binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
            f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=peer",
            "--encoding=UTF8", "--locale=C",
        ])  # fmt: skip
        pwfile.unlink()
        # 575xx lies in Linux's ephemeral range: a client's outgoing connection may hold the
        # port for a moment, so a taken port moves the server to the next free one
        for _ in range(10):
            options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
            try:
                self._run([
                    str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                    "-o", options, "-w", "-t", "60", "start",
                ])  # fmt: skip
                return self
            except subprocess.CalledProcessError:
                if "Address already in use" not in self.log.read_text(errors="replace"):
                    raise
                self.log.write_text("")
                self.port = next(p for p in range(self.port + 1, 57600) if port_free(p))
        raise RuntimeError(f"PostgreSQL found no free port (last tried {self.port})")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run([str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                           "-w", "stop"])  # fmt: skip

    def dsn(self, user: str, password: str, database: str = "postgres") -> str:
        return (
            f"host=127.0.0.1 port={self.port} user={user} password={password} "
            f"dbname={database} connect_timeout=5"
        )

    def admin(self, *statements: str, database: str = "postgres") -> None:
        with psycopg.connect(self.dsn("postgres", self.password, database), autocommit=True) as c:
            for statement in statements:
                c.execute(statement)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Roles:
    """What an operator gives each party: Temporal its own role, the suite a read-only one
    (pg_read_all_data), the test workflow a database of its own."""

    temporal: str = field(default_factory=new_password)
    reader: str = field(default_factory=new_password)
    app: str = field(default_factory=new_password)


def create_roles(pg: Postgres, roles: Roles) -> None:
    pg.admin(
        f"create role temporal login createdb password '{roles.temporal}'",
        f"create role qa_reader login password '{roles.reader}' in role pg_read_all_data",
        f"create role qa_app login password '{roles.app}'",
        "create database acceptance_app owner qa_app",
    )


# ---------------------------------------------------------------- Temporal from upstream


def binaries() -> dict[str, Path]:
    cache = cache_dir()
    return {
        "server": ensure_go_binary(temporal_server(TEMPORAL_VERSION), cache, os.environ, say),
        "sql": ensure_go_binary(temporal_sql_tool(TEMPORAL_VERSION), cache, os.environ, say),
        "ui": ensure_go_binary(ui_server(UI_VERSION), cache, os.environ, say),
    }


def server_module() -> Path:
    go = shutil.which("go") or "go"
    return module_source_dir(go, "go.temporal.io/server", TEMPORAL_VERSION, os.environ)


def ui_module() -> Path:
    go = shutil.which("go") or "go"
    return module_source_dir(go, "github.com/temporalio/ui-server/v2", UI_VERSION, os.environ)


def setup_schema(sql_tool: Path, port: int, password: str, user: str = "temporal") -> None:
    """Upstream's own steps (admin-tools' auto-setup): create, setup-schema 0.0, then
    update-schema from the release's versioned directories."""
    schema = server_module() / "schema/postgresql/v12"
    env = {**os.environ, "SQL_PASSWORD": password}
    base = [str(sql_tool), "--plugin", "postgres12", "--ep", "127.0.0.1", "-p", str(port),
            "-u", user]  # fmt: skip
    for database, versioned in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        for command in (
            ["create"],
            ["setup-schema", "-v", "0.0"],
            ["update-schema", "-d", str(schema / versioned / "versioned")],
        ):
            subprocess.run(
                [*base, "--db", database, *command], env=env, check=True, capture_output=True
            )


def server_environment(ports: Ports, pg_port: int, password: str) -> dict[str, str]:
    """Only variables upstream's config/docker.yaml reads (addresses, ports, credentials)."""
    return {
        "DB": "postgres12",
        "DB_PORT": str(pg_port),
        # config/docker.yaml takes the visibility store's port from POSTGRES_PORT (default
        # 5432), docker/config_template.yaml from DB_PORT: upstream's two files disagree
        "POSTGRES_PORT": str(pg_port),
        "POSTGRES_SEEDS": "127.0.0.1",
        "POSTGRES_USER": "temporal",
        "POSTGRES_PWD": password,
        "BIND_ON_IP": "127.0.0.1",
        "TEMPORAL_BROADCAST_ADDRESS": "127.0.0.1",
        "FRONTEND_GRPC_PORT": str(ports.frontend),
        "FRONTEND_HTTP_PORT": str(ports.role(10)),
        "FRONTEND_MEMBERSHIP_PORT": str(ports.membership(0)),
        "HISTORY_GRPC_PORT": str(ports.role(1)),
        "HISTORY_MEMBERSHIP_PORT": str(ports.membership(1)),
        "MATCHING_GRPC_PORT": str(ports.role(2)),
        "MATCHING_MEMBERSHIP_PORT": str(ports.membership(2)),
        "WORKER_GRPC_PORT": str(ports.role(6)),
        "WORKER_MEMBERSHIP_PORT": str(ports.membership(6)),
        "DYNAMIC_CONFIG_FILE_PATH": str(server_module() / "config/dynamicconfig/docker.yaml"),
        "TEMPORAL_ALLOW_NO_AUTH": "true",
    }


def tls_environment(certs: Certificates) -> dict[str, str]:
    """Upstream's TLS variables: the frontend and internode TLS from one generated CA."""
    return {
        "TEMPORAL_TLS_FRONTEND_CERT": str(certs.server_cert),
        "TEMPORAL_TLS_FRONTEND_KEY": str(certs.server_key),
        "TEMPORAL_TLS_SERVER_CERT": str(certs.server_cert),
        "TEMPORAL_TLS_SERVER_KEY": str(certs.server_key),
        "TEMPORAL_TLS_SERVER_CA_CERT": str(certs.ca),
        "TEMPORAL_TLS_FRONTEND_SERVER_NAME": "localhost",
        "TEMPORAL_TLS_INTERNODE_SERVER_NAME": "localhost",
    }


def cli_tls(certs: Certificates | None) -> list[str]:
    if certs is None:
        return []
    return ["--tls-ca-path", str(certs.ca), "--tls-server-name", "localhost"]


def start_server(root: Path, env: Mapping[str, str], certs: Certificates | None) -> Process:
    config = server_module() / "config/docker.yaml"  # as shipped, read in place
    server = Process(
        "temporal",
        [str(binaries()["server"]), "--config-file", str(config), "start"],
        root / "temporal.log",
        env,
    ).start()
    address = f"127.0.0.1:{env['FRONTEND_GRPC_PORT']}"
    temporal_cli = str(Path(sys.executable).parent / "temporal")

    def namespace_created() -> bool:
        if not server.running():
            raise Exited(f"temporal-server exited:\n{server.tail()}")
        result = subprocess.run(
            [temporal_cli, "operator", "namespace", "create", "--namespace", "default",
             "--address", address, *cli_tls(certs)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return result.returncode == 0 or "already" in (result.stderr + result.stdout).lower()

    wait_for(f"temporal-server at {address} to register the default namespace", namespace_created)

    def listed() -> bool:
        result = subprocess.run(
            [temporal_cli, "workflow", "list", "--namespace", "default", "--limit", "1",
             "--address", address, *cli_tls(certs)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return result.returncode == 0

    wait_for("the default namespace to be served", listed)
    return server


def start_ui(root: Path, port: int, frontend: int, certs: Certificates | None) -> Process:
    """Upstream's UI configuration (config/docker.yaml of ui-server) as shipped; a base.yaml
    holds only the bind address (the machine's rule: loopback)."""
    config = root / "ui" / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy(ui_module() / "config/docker.yaml", config / "docker.yaml")
    (config / "base.yaml").write_text("host: 127.0.0.1\n")
    env = {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{frontend}",
        "TEMPORAL_UI_PORT": str(port),
        "TEMPORAL_CSRF_COOKIE_INSECURE": "true",
        "TEMPORAL_CORS_ORIGINS": f"http://127.0.0.1:{port}",
        "TEMPORAL_DISABLE_NEWS_FETCH": "true",
    }
    if certs is not None:
        env |= {
            "TEMPORAL_TLS_CA": str(certs.ca),
            "TEMPORAL_TLS_SERVER_NAME": "localhost",
            "TEMPORAL_TLS_ENABLE_HOST_VERIFICATION": "true",
        }
    ui = Process(
        "ui",
        [str(binaries()["ui"]), "--root", str(root / "ui"), "--env", "docker", "start"],
        root / "ui.log",
        env,
    ).start()
    import urllib.request

    def healthy() -> bool:
        if not ui.running():
            raise Exited(f"the UI server exited:\n{ui.tail()}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as answer:
            return b"OK" in answer.read()

    wait_for(f"the UI at 127.0.0.1:{port}", healthy)
    return ui


# ---------------------------------------------------------------- a generated CA


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path


def generate_certificates(root: Path) -> Certificates:
    """A CA and a server certificate for localhost / 127.0.0.1 (openssl, EC P-256)."""
    root.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        root / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subprocess.run(
        ["openssl", "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
         "-subj", "/CN=temporal-acceptance proof CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    extensions = root / "server.ext"
    extensions.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
    )
    subprocess.run(
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions)],
        check=True, capture_output=True,
    )  # fmt: skip
    return Certificates(ca, cert, key)


# ---------------------------------------------------------------- proofs 1 and 4


@dataclass
class Upstream:
    root: Path
    ports: Ports
    postgres: Postgres
    roles: Roles
    server: Process
    ui: Process
    server_env: dict[str, str]

    def suite_env(self) -> dict[str, str]:
        """What a user gives the suite: addresses, the read-only role, the files to read."""
        password_file = self.root / "qa-reader.password"
        password_file.write_text(self.roles.reader + "\n")
        password_file.chmod(0o600)
        # the server's environment as `env` would show it (its password too), for the
        # datastore gate, which connects as the server does
        server_env = self.root / "server.env"
        server_env.write_text("".join(f"{k}={v}\n" for k, v in self.server_env.items()))
        server_env.chmod(0o600)
        return suite_environment(
            TACC_STATE_DIR=str(self.root / "suite-state"),
            TACC_TEMPORAL_ADDRESS=f"127.0.0.1:{self.ports.frontend}",
            TACC_UI_URL=f"http://127.0.0.1:{self.ports.ui}",
            TACC_POSTGRES_HOST="127.0.0.1",
            TACC_POSTGRES_PORT=str(self.postgres.port),
            TACC_POSTGRES_USER="qa_reader",
            TACC_POSTGRES_PASSWORD_FILE=str(password_file),
            TACC_APP_DSN=self.postgres.dsn("qa_app", self.roles.app, "acceptance_app"),
            TACC_TEMPORAL_CONFIG=str(server_env),
            TACC_TEMPORAL_LOG=str(self.server.log),
            TACC_POSTGRES_LOG=str(self.postgres.log),
            TACC_UI_LOG=str(self.ui.log),
        )


def deploy_upstream(
    root: Path, first_port: int, certs: Certificates | None = None
) -> Iterator[Upstream]:
    """PostgreSQL, schema, server and UI from upstream's files; stopped afterwards."""
    ports = free_ports(first_port)
    postgres, roles = Postgres(root / "postgres", ports.postgres), Roles()
    processes: list[Process] = []
    try:
        postgres.start()
        create_roles(postgres, roles)
        setup_schema(binaries()["sql"], postgres.port, roles.temporal)
        env = server_environment(ports, postgres.port, roles.temporal)
        if certs is not None:
            env |= tls_environment(certs)
        server = start_server(root, env, certs)
        processes.append(server)
        ui = start_ui(root, ports.ui, ports.frontend, certs)
        processes.append(ui)
        yield Upstream(root, ports, postgres, roles, server, ui, env)
    finally:
        for process in reversed(processes):
            process.stop()
        postgres.stop()


# ---------------------------------------------------------------- the suite, by its CLI


@dataclass(frozen=True)
class BehaveRun:
    status: int
    output: str
    verdict: dict[str, Any]
    seconds: float

    def gates(self, status: str) -> list[dict[str, Any]]:
        return [gate for gate in self.verdict.get("gates", []) if gate["status"] == status]

    def scenario(self, name: str) -> dict[str, Any]:
        found = [gate for gate in self.verdict["gates"] if gate["scenario"].startswith(name)]
        if not found:
            raise AssertionError(f"no gate {name!r} in the verdict")
        return found[0]


def suite_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without its TACC_* settings, plus the external target's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACC_")}
    for key in ("TACC_CACHE_DIR", "TACC_CHROMIUM"):
        if key in os.environ:
            env[key] = os.environ[key]
    return {**env, "TACC_TARGET": "external", **settings}


def run_behave(reports: Path, env: Mapping[str, str], *args: str) -> BehaveRun:
    """The gates against the external target, as a pipeline would run them; each proof
    keeps its own reports (Allure results, JUnit, verdict) under reports/proofs/."""
    import json

    if reports.exists():
        shutil.rmtree(reports)
    reports.mkdir(parents=True)
    argv = [
        sys.executable, "-m", "behave",
        "-D", f"allure_results={reports / 'allure-results'}",
        "--junit-directory", str(reports / "junit"),
        "-D", f"verdict_file={reports / 'verdict.json'}",
        *args,
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        argv, cwd=REPO, env=dict(env), capture_output=True, text=True, check=False, timeout=1800
    )
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    (reports / "behave.log").write_text(output)
    verdict_file = reports / "verdict.json"
    verdict = json.loads(verdict_file.read_text()) if verdict_file.is_file() else {}
    say(f"behave on the external target: exit {result.returncode} in {seconds:.1f}s")
    return BehaveRun(result.returncode, output, verdict, seconds)


def leaked(reports: Path, passwords: Sequence[str]) -> list[str]:
    """Files under `reports` (results, attachments, JUnit, the verdict, behave's output) that
    hold one of the deployment's passwords in clear text."""
    found = []
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}" for secret in passwords if secret.encode() in data]
    return found


def run_cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "temporal_acceptance.cli.main", *args],
        cwd=REPO, env=dict(env), capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


@contextlib.contextmanager
def stopped_at_exit(*processes: Process | Postgres) -> Iterator[None]:
    try:
        yield
    finally:
        for process in reversed(processes):
            process.stop()
