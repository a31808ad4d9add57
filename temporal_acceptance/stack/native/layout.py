"""Where a native stack keeps its files inside the state directory."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret, generate_password
from temporal_acceptance.stack.ownership import claim

# The deployment's secrets, one 0600 file each under secrets/ (generated once, by `up`):
# Temporal's role (the file name earlier versions used), the admin role (setup only, never
# given to Temporal), the test worker's role (the application database). File names only.
TEMPORAL_SECRET = "postgres-password"  # noqa: S105
ADMIN_SECRET = "admin-password"  # noqa: S105
APP_SECRET = "app-password"  # noqa: S105
SECRET_NAMES = {
    TEMPORAL_SECRET: "Temporal's PostgreSQL password",
    ADMIN_SECRET: "the PostgreSQL admin password",
    APP_SECRET: "the application role's password",
}


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def pg_data(self) -> Path:
        return self.root / "postgres" / "data"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def password_file(self) -> Path:
        """Temporal's role's password."""
        return self.secret_file(TEMPORAL_SECRET)

    def secret_file(self, name: str) -> Path:
        return self.secrets_dir / name

    @property
    def temporal_dir(self) -> Path:
        return self.root / "temporal"

    @property
    def temporal_config(self) -> Path:
        return self.temporal_dir / "config.yaml"

    @property
    def dynamic_config(self) -> Path:
        return self.temporal_dir / "dynamicconfig.yaml"

    @property
    def ui_dir(self) -> Path:
        return self.root / "ui"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def stack_file(self) -> Path:
        return self.root / "stack.json"

    def log(self, service: str) -> Path:
        return self.logs_dir / f"{service}.log"

    def pid(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def create(self) -> None:
        claim(self.root)  # refuses a non-empty directory the suite did not create
        for directory in (self.root, self.logs_dir, self.run_dir, self.temporal_dir, self.ui_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.secrets_dir.chmod(0o700)

    def has_password(self) -> bool:
        return self.has_secret(TEMPORAL_SECRET)

    def password(self) -> Secret:
        """Temporal's PostgreSQL password (read only: never creates it)."""
        return self.secret(TEMPORAL_SECRET)

    def ensure_password(self) -> Secret:
        return self.ensure_secret(TEMPORAL_SECRET)

    def has_secret(self, name: str) -> bool:
        return self.secret_file(name).is_file()

    def secret(self, name: str) -> Secret:
        """One of the deployment's secrets (read only: never creates it)."""
        path = self.secret_file(name)
        if not path.is_file():
            raise UserError(
                f"no {SECRET_NAMES.get(name, name)} at {path}: this state directory "
                "holds no deployment",
                "bring the stack up first (temporal-acceptance up), or check state_dir",
            )
        return Secret(path.read_text().strip())

    def secrets(self) -> dict[str, Secret]:
        """Every secret this deployment has, by what it is."""
        return {
            label: self.secret(name)
            for name, label in SECRET_NAMES.items()
            if self.has_secret(name)
        }

    def ensure_secret(self, name: str) -> Secret:
        """A secret generated once (by up) and kept 0600 beside the data."""
        path = self.secret_file(name)
        if path.is_file():
            return Secret(path.read_text().strip())
        secret = generate_password()
        self.secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret.reveal() + "\n")
        return secret

    def recorded(self) -> dict[str, Any]:
        if not self.stack_file.is_file():
            return {}
        data: dict[str, Any] = json.loads(self.stack_file.read_text())
        return data

    def record(self, data: dict[str, Any]) -> None:
        tmp = self.stack_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.stack_file)


def write_private(path: Path, text: str) -> None:
    """Write a file that may hold a secret: 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)
