"""The effective configuration of a deployment, as the report shows it (redacted)."""

from __future__ import annotations

import yaml

from temporal_acceptance.secrets import redact
from temporal_acceptance.stack.base import Stack


def effective_config_yaml(stack: Stack) -> str:
    return redact(yaml.safe_dump(stack.effective_config(), sort_keys=False), stack.known_secrets())
