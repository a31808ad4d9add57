"""Failure categories: the sprint plan's expected issue categories, as regexes over a
failure's message and trace.

One table serves both readers: `categories_json()` is what Allure reads (categories.json in
the results folder) and `categorize()` is what ISSUES.md uses, with the same semantics as
Allure 3: categories are tried in order, the first whose message OR trace pattern is found
wins, and a failure nothing matches lands in "Other". The patterns are written in the
regex dialect Python, JavaScript (Allure 3) and Java (Allure 2) share — no inline flags, so
case variants are spelled out — and exported wrapped in `[\\s\\S]*` so a full-match reader
(Allure 2) agrees with a searching one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FAILING_STATUSES = ("failed", "broken")
OTHER = "Other"


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    message: str  # found anywhere in the failure message
    trace: str = ""  # found anywhere in the traceback (exception types, mostly)

    def matches(self, message: str, trace: str) -> bool:
        if re.search(self.message, message):
            return True
        return bool(self.trace) and re.search(self.trace, trace) is not None


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# Order matters: specific signals first. A wait that timed out names what it last saw, so a
# timeout caused by a refused connection files under Connection, not Performance.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "Version compatibility",
        "PostgreSQL version warnings and detection, schema migrations, SQL compatibility",
        _any(
            r"[Ss]chema version",
            r"schema_version",
            r"min_compatible_version",
            r"[Uu]nsupported (?:PostgreSQL )?version",
            r"[Vv]ersion (?:mismatch|warning|check|detection)",
            r"expected major",
            r"server is PostgreSQL",
            r"[Mm]igration",
            r"(?:setup|update)-schema",
            r"[Ii]ncompatible",
            r"syntax error at or near",
        ),
    ),
    Category(
        "Storage",
        "state not persisting, results lost, history truncated or corrupted, isolation",
        _any(
            r"not persist",
            r"[Hh]istory (?:is )?(?:truncated|corrupt|incomplete|missing|changed|lost|differs)",
            r"[Dd]ata loss",
            r"[Cc]orrupt",
            r"[Ll]ost (?:activity|result|event|row|workflow|history)",
            r"could not serialize access",
            r"[Ii]solation",
            r"[Dd]eadlock",
            r"(?:row|event|record)s? (?:are |is )?(?:missing|lost)",
            r"history_node|history_tree|current_executions|executions_visibility",
        ),
        _any(r"psycopg\.errors\.(?:SerializationFailure|DeadlockDetected|DataCorrupted)"),
    ),
    Category(
        "Configuration",
        "wrong connection strings in templates, missing environment variables, port mappings, "
        "health-check configuration",
        _any(
            r"[Cc]onfiguration",
            r"[Ee]nvironment variable",
            r"TACC_[A-Z_]+",
            r"[Aa]ddress already in use",
            r"[Pp]ort \d+ (?:is )?(?:in use|taken|already)",
            r"unknown setting",
            r"is not a TCP port",
            r"[Hh]ealth[- ]?check",
            r"healthz",
            r"no datastores?",
        ),
    ),
    Category(
        "Connection",
        "Temporal cannot reach PostgreSQL, the worker cannot reach Temporal, the UI cannot reach "
        "the frontend, connection-string format",
        _any(
            r"[Cc]onnection refused",
            r"[Cc]ould not connect",
            r"[Cc]annot (?:connect|reach)",
            r"[Cc]onnection (?:reset|closed|lost|timed out)",
            r"[Ff]ailed (?:to connect|client connect)",
            r"[Ss]erver connection error",
            r"Connection(?:Refused|Reset|Aborted)Error",
            r"[Nn]o route to host",
            r"[Nn]ame or service not known",
            r"does not answer",
            r"UNAVAILABLE",
            r"server closed the connection",
            r"password authentication failed",
            r"invalid connection option|invalid dsn|missing \"=\" after",
            r"not running and healthy|is not healthy",
        ),
        _any(r"ConnectionRefusedError", r"ConnectionResetError", r"socket\.gaierror"),
    ),
    Category(
        "Performance",
        "slow execution, query timeouts, connection pool exhaustion, resource contention",
        _any(
            r"[Tt]imed out",
            r"[Tt]imeout",
            r"DEADLINE_EXCEEDED",
            r"too slow|slower than",
            r"took \d[\d.]* ?s",
            r"exceeds? (?:the )?(?:threshold|limit|budget)",
            r"[Ll]atency",
            r"too many (?:clients|connections)",
            r"remaining connection slots",
            r"[Pp]ool (?:exhausted|timeout)",
            r"canceling statement due to statement timeout",
        ),
        _any(r"TimeoutError", r"WaitTimeout"),
    ),
)


def categorize(status: str, message: str, trace: str = "") -> str | None:
    """The category of a failed or broken result; None for any other status."""
    if status not in FAILING_STATUSES:
        return None
    for category in CATEGORIES:
        if category.matches(message or "", trace or ""):
            return category.name
    return OTHER


def category_names() -> list[str]:
    return [category.name for category in CATEGORIES] + [OTHER]


def _whole(pattern: str) -> str:
    return rf"[\s\S]*{pattern}[\s\S]*"


def categories_json() -> list[dict[str, Any]]:
    """categories.json for Allure: one entry for the message and one for the trace of each
    category (same name: Allure 3 merges them into one category matched by either)."""
    entries: list[dict[str, Any]] = []
    for category in CATEGORIES:
        base = {
            "name": category.name,
            "description": category.description,
            "matchedStatuses": list(FAILING_STATUSES),
        }
        entries.append({**base, "messageRegex": _whole(category.message)})
        if category.trace:
            entries.append({**base, "traceRegex": _whole(category.trace)})
    entries.append(
        {
            "name": OTHER,
            "description": "failures none of the plan's categories describe — triage by hand",
            "matchedStatuses": list(FAILING_STATUSES),
        }
    )
    return entries
