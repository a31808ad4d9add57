"""MUTANT — do not use to deploy. It exists to prove the persistence gates can fail.

`ephemeral-postgres` (behave `-D mutant=ephemeral-postgres`, off unless asked for): every
start of PostgreSQL — a restart, a start after a crash, `up` after `down` — runs on a freshly
initialised data directory, as if the data lived on a disk wiped at each restart. With it,
the history-intact and in-flight gates of features/persistence.feature must fail.

It never touches the stack's real data directory: it works in a directory of its own beside
it, writes a marker file there when it creates it, and deletes only a directory holding that
marker. The real data is where it was once the mutant is switched off.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.core.errors import UserError

EPHEMERAL_POSTGRES = "ephemeral-postgres"
DIRECTORY_NAME = "mutant-ephemeral-postgres"
MARKER = "CREATED-BY-THE-EPHEMERAL-POSTGRES-MUTANT"


class EphemeralPostgresData:
    """The throw-away data directories of the ephemeral-postgres mutant."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / DIRECTORY_NAME

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    def fresh(self) -> Path:
        """An empty data directory for the next start; the previous one is wiped."""
        self.remove()
        self.root.mkdir(mode=0o755, parents=True)
        self.marker.write_text(
            f"created {datetime.now(UTC).isoformat()} by the ephemeral-postgres mutant of "
            "temporal-acceptance; wiped at every PostgreSQL start\n"
        )
        return self.data_dir

    def remove(self) -> None:
        """Delete the mutant's directory — only if the mutant created it."""
        if not self.root.exists():
            return
        if not self.marker.is_file():
            raise UserError(
                f"{self.root} exists but holds no {MARKER} marker: the mutant did not create it",
                "refusing to delete it; move it away by hand if it is not needed",
            )
        shutil.rmtree(self.root)


def leave_mutant_data(
    state_dir: Path, stop_all: Callable[[], None], say: Callable[[str], None]
) -> None:
    """A mutant run that did not end cleanly (interrupted) leaves PostgreSQL running on the
    mutant's throw-away data: stop the stack and remove that data, so this run comes up on
    the real data again."""
    leftover = EphemeralPostgresData(state_dir)
    if not leftover.root.exists():
        return
    say(f"  a mutant run left its throw-away PostgreSQL data in {leftover.root}: removing it")
    stop_all()
    leftover.remove()
