"""Search what the suite wrote for a secret (the search itself: probes/leaks.py, which the
end-of-run secrets gate uses too)."""

from __future__ import annotations

from temporal_acceptance.probes.leaks import (
    Leak,
    files_under,
    find_leaks,
    needles,
    scan,
    scan_files,
)

__all__ = ["Leak", "files_under", "find_leaks", "needles", "scan", "scan_files"]
