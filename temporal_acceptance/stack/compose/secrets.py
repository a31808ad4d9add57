"""A compose deployment's passwords and the mark of what the suite created.

No password is committed with the repository: `up` generates one per deployment for each
role (Temporal's, the PostgreSQL admin's, the test worker's application role) into 0600
files under `<state_dir>/projects/<project>/secrets/` and hands them to the Compose CLI
through the environment. A password exported in the environment (or written into .env by a
user who runs the file by hand) wins; the suite then generates none for it.

Every container and volume of a project the suite brings up carries the label
`io.temporal-acceptance.deployment` with the deployment's id (recorded beside the secrets):
`down --purge` deletes volumes only of a project whose resources all carry that id.
"""

from __future__ import annotations

import os
import secrets as _random
import shutil
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.secrets import generate_password
from temporal_acceptance.stack.ownership import claim

# compose variable → what it is (the secrets gate names leaks by this)
SECRET_VARIABLES = {
    "POSTGRES_PASSWORD": "Temporal's PostgreSQL password",
    "POSTGRES_ADMIN_PASSWORD": "the PostgreSQL admin password",
    "APP_DB_PASSWORD": "the application role's password",
}
DEPLOYMENT_LABEL = "io.temporal-acceptance.deployment"
DEPLOYMENT_VARIABLE = "TACC_DEPLOYMENT_ID"
PROJECTS = "projects"  # the state directory's entry holding every project's files


@dataclass(frozen=True)
class ProjectFiles:
    state_dir: Path
    project: str

    @property
    def root(self) -> Path:
        return self.state_dir / PROJECTS / self.project

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def deployment_file(self) -> Path:
        return self.root / "deployment-id"

    @property
    def subnet_file(self) -> Path:
        return self.root / "subnet"

    def subnet(self) -> str:
        """The network subnet the project's first `up` chose ("" before that)."""
        path = self.subnet_file
        return path.read_text().strip() if path.is_file() else ""

    def record_subnet(self, subnet: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.subnet_file.write_text(subnet + "\n")

    def secret_file(self, variable: str) -> Path:
        return self.secrets_dir / variable.lower().replace("_", "-")

    def read(self) -> dict[str, str]:
        """The secrets generated for this project (read only: never creates one)."""
        found = {}
        for variable in SECRET_VARIABLES:
            path = self.secret_file(variable)
            if path.is_file():
                found[variable] = path.read_text().strip()
        return found

    def deployment_id(self) -> str:
        path = self.deployment_file
        return path.read_text().strip() if path.is_file() else ""

    def ensure(self, wanted: list[str]) -> dict[str, str]:
        """Generate the secrets in `wanted` that have no file yet, and the deployment id;
        return every secret the project has (for `up` only)."""
        claim(self.state_dir)
        self.secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.secrets_dir.chmod(0o700)
        for variable in wanted:
            path = self.secret_file(variable)
            if not path.is_file():
                _write_private(path, generate_password().reveal())
        if not self.deployment_file.is_file():
            self.deployment_file.write_text(_random.token_hex(8) + "\n")
        return self.read()

    def remove(self) -> None:
        """The project's files (after its volumes are gone)."""
        if self.root.is_dir():
            shutil.rmtree(self.root)
        projects = self.root.parent
        if projects.is_dir() and not any(projects.iterdir()):
            projects.rmdir()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def foreign_resources(resources: list[tuple[str, dict[str, str]]], deployment: str) -> list[str]:
    """The (kind name, labels) resources of a project that do not carry this deployment's
    label: the suite did not create them."""
    return [
        name
        for name, labels in resources
        if not deployment or labels.get(DEPLOYMENT_LABEL) != deployment
    ]
