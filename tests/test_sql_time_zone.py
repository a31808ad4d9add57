"""The suite's own SQL must not depend on the session's time zone (the deployment may run
PostgreSQL in any zone: CI runs the features with Asia/Kolkata). Temporal stores UTC in
`timestamp` columns without a zone, so every comparison with the current time must be made
in UTC: `now() at time zone 'utc'`, never a bare now() / current_timestamp / ::date."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "temporal_acceptance"
CURRENT_TIME = re.compile(r"\b(now\(\)|current_timestamp|current_date|localtimestamp)", re.I)
IN_UTC = re.compile(r"now\(\)\s+at\s+time\s+zone\s+'utc'", re.I)
# Columns of the suite's own tables, typed timestamptz: their default needs no zone.
OWN_TIMESTAMPTZ = re.compile(
    r"timestamptz\s+not\s+null\s+default\s+now\(\)|written_at\s*=\s*now\(\)"
)


def test_every_current_time_in_the_suites_sql_is_taken_in_utc() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not CURRENT_TIME.search(line) or "workflow.now()" in line:
                continue
            if IN_UTC.search(line) or OWN_TIMESTAMPTZ.search(line):
                continue
            offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_check_would_see_a_zone_dependent_comparison() -> None:
    line = "where last_heartbeat > now() - interval '20 seconds'"
    assert CURRENT_TIME.search(line)
    assert not IN_UTC.search(line)
