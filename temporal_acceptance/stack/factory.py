"""Pick the Stack implementation for a target."""

from __future__ import annotations

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.base import Stack


def make_stack(settings: Settings, say: Say = stderr_say) -> Stack:
    if settings.target == "native":
        from temporal_acceptance.stack.native.stack import NativeStack  # noqa: PLC0415

        return NativeStack(settings, say)
    if settings.target == "compose":
        from temporal_acceptance.stack.compose.stack import ComposeStack  # noqa: PLC0415

        return ComposeStack(settings, say)
    if settings.target == "external":
        from temporal_acceptance.stack.external.stack import ExternalStack  # noqa: PLC0415

        return ExternalStack(settings, say)
    raise UserError(
        f"the {settings.target} target is not available yet",
        "use target=native, compose or external",
    )
