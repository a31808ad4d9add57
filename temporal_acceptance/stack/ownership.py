"""Which state directories belong to the suite, and deleting only what the suite made.

A state directory the suite creates (or finds empty) gets an ownership marker. `up` refuses a
non-empty directory without one; `down --purge` removes the suite's own entries only, says
what it kept, and removes the directory itself only when nothing else is left in it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporal_acceptance.core.errors import UserError

MARKER = ".temporal-acceptance-state"
# Every entry the suite writes at the top of a state directory (native and compose).
OWN_ENTRIES = frozenset(
    {
        MARKER,
        "postgres",
        "secrets",
        "temporal",
        "ui",
        "logs",
        "run",
        "stack.json",
        "stack.tmp",
        "mutant-ephemeral-postgres",
        "mutant-trust-auth",
        "projects",  # compose: each project's generated passwords and deployment id
    }
)


def _entries(root: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in root.iterdir())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise UserError(
            f"the state directory {root} is a file", "choose a directory for state_dir"
        ) from None
    except OSError as exc:
        raise UserError(
            f"cannot read the state directory {root}: {exc.strerror}",
            "choose a state_dir the suite can create and write",
        ) from None


def owned(root: Path) -> bool:
    """The directory carries the suite's marker, or holds only the suite's own entries (a
    directory written by a version of the suite from before the marker)."""
    entries = _entries(root)
    return (root / MARKER).is_file() or (bool(entries) and set(entries) <= OWN_ENTRIES)


def foreign_entries(root: Path) -> list[str]:
    return [name for name in _entries(root) if name not in OWN_ENTRIES]


def _describe(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def claim(root: Path) -> None:
    """Make `root` the suite's: create it with the marker, or mark an empty (or suite-only)
    one; refuse a non-empty directory the suite did not create. Nothing is written then."""
    entries = _entries(root)
    if entries and not owned(root):
        raise UserError(
            f"the state directory {root} is not empty and was not created by "
            f"temporal-acceptance (it holds {_describe(entries)})",
            "choose a new or empty state_dir (--state-dir or TACC_STATE_DIR)",
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER
        if not marker.is_file():
            marker.write_text(
                "This directory was created by temporal-acceptance for a deployment's data and "
                f"logs ({datetime.now(UTC).isoformat(timespec='seconds')}).\n"
                "`temporal-acceptance down --purge` deletes only what the suite put here.\n"
            )
    except OSError as exc:
        raise UserError(
            f"cannot create the state directory {root}: {exc.strerror}",
            "choose a state_dir the suite can create and write (--state-dir or TACC_STATE_DIR)",
        ) from None


@dataclass(frozen=True)
class PurgeOutcome:
    removed: list[str]
    kept: list[str]

    def line(self, root: Path) -> str:
        if not self.removed and not self.kept:
            return f"nothing to delete: {root} does not exist"
        text = f"deleted {_describe(self.removed) or 'nothing'} from {root}"
        if self.kept:
            text += f"; kept {_describe(self.kept)} (not created by the suite)"
        return text


def purge_state_dir(root: Path, say: Callable[[str], None]) -> PurgeOutcome:
    """Delete the suite's own entries of `root` (and `root` once empty); keep the rest."""
    if not root.exists():
        outcome = PurgeOutcome([], [])
        say(outcome.line(root))
        return outcome
    if not owned(root):
        raise UserError(
            f"{root} was not created by temporal-acceptance (no {MARKER} marker)",
            "refusing to delete anything in it; check the state_dir setting",
        )
    removed: list[str] = []
    for name in _entries(root):
        if name not in OWN_ENTRIES or name == MARKER:
            continue
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(name)
    kept = foreign_entries(root)
    if not kept:
        with contextlib.suppress(FileNotFoundError):
            (root / MARKER).unlink()
        with contextlib.suppress(OSError):
            root.rmdir()
    outcome = PurgeOutcome(removed, kept)
    say(outcome.line(root))
    return outcome
