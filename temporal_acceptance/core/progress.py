"""Progress lines for long work (Go builds, downloads): what runs, and for how long."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Say = Callable[[str], None]


def stderr_say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def format_elapsed(seconds: float) -> str:
    """'4.2s' under a minute, '3m05s' above."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


@contextmanager
def ticking(what: str, say: Say = stderr_say, every: float = 20.0) -> Iterator[None]:
    """Announce `what`, print a heartbeat every `every` seconds, then the total time."""
    start = time.monotonic()
    say(f"… {what}")
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            say(f"… still {what} ({format_elapsed(time.monotonic() - start)})")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    except BaseException:
        say(f"✗ {what} failed after {format_elapsed(time.monotonic() - start)}")
        raise
    finally:
        stop.set()
        thread.join(timeout=1)
    say(f"✓ {what} took {format_elapsed(time.monotonic() - start)}")
