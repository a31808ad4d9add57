"""PostgreSQL as a native process: initdb once, run on loopback, never as root."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg

from temporal_acceptance.clients.endpoints import PostgresAddress
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.logs import tail
from temporal_acceptance.core.ports import listening_sockets
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.provision.postgres import PostgresBinaries
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.native.process import ManagedProcess, RunAs, descendants

SERVICE_ACCOUNT = "tacc-postgres"


class PasswordRejected(UserError):
    """PostgreSQL refused a password from one of the deployment's secrets files."""

    def __init__(self, source: Path, user: str) -> None:
        super().__init__(
            f"PostgreSQL rejected the password in {source} for user {user!r}",
            "restore the password file that belongs to this data directory, or "
            "`temporal-acceptance down --purge` to start from empty data",
        )
        self.source = source
        self.user = user


CONF_NAME = "temporal_acceptance.conf"


def service_account(create: bool = True) -> RunAs | None:
    """The account PostgreSQL runs as: None when we are not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        if not create:
            raise
        useradd = shutil.which("useradd")
        if useradd is None:
            raise UserError(
                "running as root, PostgreSQL needs an unprivileged account and useradd is missing",
                f"create a user named {SERVICE_ACCOUNT} or run the suite as a normal user",
            ) from None
        subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_ACCOUNT,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)


def blocking_parent(path: Path, uid: int) -> Path | None:
    """The first ancestor of `path` that user `uid` cannot traverse, if any."""
    for parent in reversed(path.parents):
        try:
            info = parent.stat()
        except FileNotFoundError:
            return None
        if info.st_uid == uid:
            continue
        if not info.st_mode & stat.S_IXOTH:
            return parent
    return None


def postgres_conf(
    port: int, host: str, listen: str | None = None, hba_file: Path | None = None
) -> str:
    """The suite's part of postgresql.conf; `listen` and `hba_file` only for mutants."""
    lines = [
        "# Written by temporal-acceptance on every start; edit the suite settings instead.",
        f"listen_addresses = '{listen or host}'",
        f"port = {port}",
        "unix_socket_directories = ''  # TCP on loopback only",
        "password_encryption = 'scram-sha-256'",
        "max_connections = 200  # Temporal pools (default + visibility) plus the suite",
        "log_line_prefix = '%m [%p] '",
        "log_timezone = 'UTC'",
        "logging_collector = off",
        "fsync = on  # durability is what the persistence gates prove",
    ]
    if hba_file is not None:
        lines.append(f"hba_file = '{hba_file}'  # MUTANT: never deploy")
    return "\n".join([*lines, ""])


class NativePostgres:
    def __init__(
        self,
        binaries: Callable[[], PostgresBinaries],
        major: int,
        layout: Layout,
        host: str,
        port: int,
        user: str,
    ) -> None:
        self.binaries = binaries  # provisioned lazily: stop/status/purge never need them
        self.major = major
        self.layout = layout
        self.host = host
        self.port = port
        self.user = user
        # Set only by mutants (stack/native/mutant.py): the ephemeral-postgres data
        # directory, the postgres-any-address listen address, the trust-auth hba file.
        self.data_dir_override: Path | None = None
        self.listen_override: str | None = None
        self.hba_file_override: Path | None = None
        self.process = ManagedProcess(
            "postgres",
            layout.pid("postgres"),
            layout.log("postgres"),
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for
            # Temporal's pooled connections to go away, which they never do.
            stop_signal=signal.SIGINT,
            reaped_before_restart=True,
        )

    @property
    def data_dir(self) -> Path:
        return self.data_dir_override or self.layout.pg_data

    def data_major(self) -> int | None:
        version_file = self.data_dir / "PG_VERSION"
        if not version_file.is_file():
            return None
        return int(version_file.read_text().strip().split(".")[0])

    def check_data_major(self) -> None:
        found = self.data_major()
        if found is not None and found != self.major:
            raise UserError(
                f"the state directory {self.layout.root} holds PostgreSQL {found} data, "
                f"but PostgreSQL {self.major} was requested",
                f"use postgres_version={found}, another state_dir, or "
                "`temporal-acceptance down --purge` to delete that data",
            )

    def initialise(self, password: Secret, run_as: RunAs | None) -> bool:
        """initdb with scram-sha-256, the admin role (`self.user`) as its superuser with the
        admin password; False if already done."""
        self.check_data_major()
        if self.data_major() is not None:
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if run_as is not None:
            for directory in (self.data_dir.parent, self.data_dir):
                os.chown(directory, run_as.uid, run_as.gid)
            blocked = blocking_parent(self.data_dir, run_as.uid)
            if blocked is not None:
                raise UserError(
                    f"PostgreSQL runs as the unprivileged user {run_as.user}, which cannot "
                    f"reach {self.data_dir} ({blocked} is not searchable by others)",
                    "choose a state_dir under /var/lib or /srv, or chmod o+x that directory",
                )
        with tempfile.NamedTemporaryFile("w", dir=self.data_dir.parent, delete=False) as pw:
            pw.write(password.reveal() + "\n")
        pw_path = Path(pw.name)
        try:
            if run_as is not None:
                os.chown(pw_path, run_as.uid, run_as.gid)
            result = subprocess.run(
                [
                    str(self.binaries().program("initdb")),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.user,
                    f"--pwfile={pw_path}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                capture_output=True,
                text=True,
                user=run_as.uid if run_as else None,
                group=run_as.gid if run_as else None,
                extra_groups=[] if run_as else None,
                check=False,
            )
        finally:
            pw_path.unlink(missing_ok=True)
        if result.returncode != 0:
            raise UserError(
                f"initdb failed for {self.data_dir}: "
                f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}",
                "see the message above; the data directory was left as it was",
            )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude_if_exists = '{CONF_NAME}'\n")
        return True

    def write_conf(self, run_as: RunAs | None) -> None:
        path = self.data_dir / CONF_NAME
        path.write_text(
            postgres_conf(self.port, self.host, self.listen_override, self.hba_file_override)
        )
        if run_as is not None:
            os.chown(path, run_as.uid, run_as.gid)

    def start(self, run_as: RunAs | None) -> None:
        """Start the server (wait_ready then says when it answers)."""
        self.check_data_major()
        self.write_conf(run_as)
        self.process.start(
            [str(self.binaries().program("postgres")), "-D", str(self.data_dir)], run_as=run_as
        )

    def wait_ready(self, login: PostgresAddress, source: Path, timeout: float) -> None:
        wait_until(
            lambda: self.ping(login, source),
            what=f"PostgreSQL to accept connections on {self.host}:{self.port}",
            timeout=timeout,
            errors=(psycopg.Error,),
            hint=lambda: f"tail of {self.process.log_file}:\n{tail(self.process.log_file)}",
        )

    def ping(self, login: PostgresAddress, source: Path, database: str = "postgres") -> bool:
        """Whether PostgreSQL answers `login` (whose password comes from `source`)."""
        self.process.require_running()
        try:
            with connect(login, database, timeout=2) as conn:
                return bool(conn.execute("select 1").fetchone() == (1,))
        except psycopg.OperationalError as exc:
            if "password authentication failed" in str(exc):
                if not self._holds_port():
                    # Another server answered on our port (it was taken between the check
                    # and our start): ours is about to exit, saying why in its log.
                    return False
                # Waiting longer cannot help: the password file and the data disagree.
                raise PasswordRejected(source, login.user) from None
            raise

    def _holds_port(self) -> bool:
        pid = self.process.pid()
        family = [pid, *descendants(pid)] if pid is not None else []
        return any(socket.port == self.port for socket in listening_sockets(family))

    def stop(self) -> None:
        self.process.stop(timeout=30.0)

    def kill(self) -> None:
        self.process.kill()

    def purge(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.data_dir.parent)
