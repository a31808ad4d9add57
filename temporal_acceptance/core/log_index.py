"""Where in a growing log file a time window can start reading.

A scenario's gates read the services' logs of its own few seconds, but a log file holds the
whole run (and, on a stack kept between runs, every earlier run: tens of MB of Temporal's
JSON). Parsing all of it for each read cost 0.6-0.7 s on a 32 MB log, several times per
scenario. Each file gets an index instead, extended only by what was appended since it was
last read: checkpoints every CHECKPOINT_BYTES at a line with its own timestamp, each with the
latest timestamp of every line before it. Lines are not strictly in time order (a server logs
from many threads), so a read for "since S" starts at the last checkpoint before which every
line is older than S: nothing it skips could belong to the window.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CHECKPOINT_BYTES = 256 * 1024

ParseTime = Callable[[str], "datetime | None"]


@dataclass
class _Index:
    identity: tuple[int, int]  # (device, inode): a replaced file is indexed anew
    indexed: int = 0  # bytes read so far, up to the end of the last complete line
    latest: datetime | None = None  # the latest timestamp of every line indexed
    last_mark: int = 0
    # (latest timestamp of every line before the offset, offset), both ascending
    marks: list[tuple[datetime, int]] = field(default_factory=list)


class LogIndex:
    """Per file: the offset a read for lines at or after a time may start at."""

    def __init__(self, parse_time: ParseTime, checkpoint_bytes: int = CHECKPOINT_BYTES) -> None:
        self._parse_time = parse_time
        self._checkpoint = checkpoint_bytes
        self._files: dict[Path, _Index] = {}
        self._lock = threading.Lock()

    def start_offset(self, path: Path, since: datetime) -> int:
        """A byte offset of `path` such that every line before it is older than `since`
        (0 when none is known to be)."""
        with self._lock:
            index = self._update(path)
            if index is None:
                return 0
            at = bisect.bisect_left(index.marks, since, key=lambda mark: mark[0])
            return index.marks[at - 1][1] if at else 0

    def _update(self, path: Path) -> _Index | None:
        try:
            stat = path.stat()
        except OSError:
            self._files.pop(path, None)
            return None
        identity = (stat.st_dev, stat.st_ino)
        index = self._files.get(path)
        if index is None or index.identity != identity or stat.st_size < index.indexed:
            index = self._files[path] = _Index(identity)
        if stat.st_size > index.indexed:
            self._extend(path, index)
        return index

    def _extend(self, path: Path, index: _Index) -> None:
        with path.open("rb") as handle:
            handle.seek(index.indexed)
            offset = index.indexed
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # a line still being written: indexed once it is complete
                ts = self._parse_time(raw.decode(errors="replace").rstrip("\n"))
                if ts is not None:
                    due = offset - index.last_mark >= self._checkpoint
                    if due and index.latest is not None:
                        index.marks.append((index.latest, offset))
                        index.last_mark = offset
                    index.latest = ts if index.latest is None else max(index.latest, ts)
                offset += len(raw)
            index.indexed = offset
