"""`temporal-acceptance images`: build the local images for the compose project's versions."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from temporal_acceptance.core.progress import Say, stderr_say
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.stack.compose.engine import connect_engine
from temporal_acceptance.stack.compose.images import versions_of
from temporal_acceptance.stack.compose.project import load_project
from temporal_acceptance.stack.compose.stack import PACKAGE_ROOT
from temporal_acceptance.stack.local_images.build import BuildOutcome, build_all, summary


def build_local_images(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    say: Say = stderr_say,
) -> list[BuildOutcome]:
    env = os.environ if env is None else env
    project = load_project(
        replace(settings, target="compose"), env, cwd or Path.cwd(), PACKAGE_ROOT
    )
    client = connect_engine(env)
    started = time.monotonic()
    outcomes = build_all(client, versions_of(project), settings.cache_dir, env, say)
    for line in summary(outcomes, time.monotonic() - started):
        say(line)
    return outcomes
