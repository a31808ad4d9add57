"""Text helpers for messages: comparing spellings, quoting a page's text briefly."""

from __future__ import annotations

import re

# How much of a page's text a message quotes when the expected content is not there.
TEXT_EXCERPT = 240


def squeeze(text: str) -> str:
    """'TIMED OUT', 'Timed Out', 'TimedOut' → 'timedout': the UI's spelling of a status or
    an event type against the API's."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def excerpt(text: str, limit: int = TEXT_EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
