"""The @matrix scenarios' life cycle inside behave.

The first @matrix scenario creates the pool (planned majors read from the feature, in
order, so the next stacks come up while this one is checked). Each scenario then borrows
its major's stack as `context.run` — so the deployment gates' own steps run unchanged
against it — and on cleanup records the observation and tears the stack down.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg

from temporal_acceptance.checks.database import QueryLog, connect, query
from temporal_acceptance.compat import observations
from temporal_acceptance.compat.deploy import recorded
from temporal_acceptance.compat.detect import PostgresVersion, detect_postgres
from temporal_acceptance.compat.matrix_checks import StepResult, observation_for, suite_revision
from temporal_acceptance.compat.matrix_run import MatrixPlan, MatrixPool, MatrixStack
from temporal_acceptance.harness import Run
from temporal_acceptance.reporting.attach import attach_json, clean, register_secret
from temporal_acceptance.stack.base import Endpoints

POOL_KEY = "compat.matrix_pool"
MATRIX_TAG = "matrix"
# A major's stack may wait behind others (jobs) and, on a cold cache, behind a Go build.
BRING_UP_TIMEOUT = 900.0
_MAJOR = re.compile(r"PostgreSQL (\d+)")


def planned_majors(context: Any) -> list[int]:
    """The majors of the @matrix scenarios this run will execute, in feature order."""
    majors = []
    for scenario in context.feature.walk_scenarios():
        if MATRIX_TAG not in scenario.effective_tags or not scenario.should_run(context.config):
            continue
        match = _MAJOR.search(scenario.steps[0].name) if scenario.steps else None
        if match:
            majors.append(int(match[1]))
    return majors


def _pool(context: Any) -> MatrixPool:
    shared: Run = context.run
    pool: MatrixPool | None = shared.extensions.get(POOL_KEY)
    if pool is None:
        plan = MatrixPlan.from_userdata(context.config.userdata, shared.settings)
        pool = MatrixPool(plan, planned_majors(context))
        shared.extensions[POOL_KEY] = pool
        context.add_cleanup(pool.close, layer="feature")
    return pool


def _observations_path(context: Any) -> Path:
    return Path(
        str(context.config.userdata.get("matrix_observations") or observations.DEFAULT_PATH)
    )


def borrow_stack(context: Any, major: int) -> MatrixStack:
    """Wait for `major`'s stack and make it this scenario's `context.run`."""
    pool = _pool(context)
    scenario, path = context.scenario, _observations_path(context)
    provenance = str(context.config.userdata.get("matrix_suite") or suite_revision())
    borrowed: list[MatrixStack] = []

    def finish() -> None:
        if not borrowed:
            return  # no stack came up: there is nothing to observe or tear down
        matrix_stack = borrowed[0]
        steps = [
            StepResult(s.name, s.status.name, s.error_message or "") for s in scenario.steps[1:]
        ]

        def save() -> None:  # after the background teardown, so its outcome is included
            observation = observation_for(
                matrix_stack, steps, matrix_stack.live_version, suite=provenance, scrub=clean
            )
            observations.save(observation, path)

        pool.release(matrix_stack, then=save)

    context.add_cleanup(finish)
    matrix_stack = pool.get(major, timeout=BRING_UP_TIMEOUT)
    borrowed.append(matrix_stack)
    if matrix_stack.stack.layout.password_file.is_file():  # no attachment may carry it
        register_secret(matrix_stack.stack.layout.password())
    report = attach_json(f"PostgreSQL {major} stack", matrix_stack.report())
    assert matrix_stack.up, f"the PostgreSQL {major} stack did not come up — {matrix_stack.error}"
    decision, kept = matrix_stack.decision, recorded(matrix_stack.settings.state_dir)
    assert decision is not None, f"no version decision was made for PostgreSQL {major}"
    assert kept is not None, f"the deployment did not record its version decision:\n{report}"
    assert kept["outcome"] == decision.outcome, (
        f"recorded outcome {kept['outcome']!r}, decided {decision.outcome!r}:\n{report}"
    )
    run = Run(matrix_stack.settings, matrix_stack.stack, context.run.loop, deployed=True)
    context.run = run  # masks the shared run for this scenario only (behave context layers)
    return matrix_stack


def live_postgres(endpoints: Endpoints, log: QueryLog) -> PostgresVersion:
    with connect(endpoints, "postgres") as conn:
        return detect_postgres(conn, f"{endpoints.postgres_host}:{endpoints.postgres_port}", log)


def installed_extensions(endpoints: Endpoints, database: str, log: QueryLog) -> set[str]:
    conn: psycopg.Connection[Any]
    with connect(endpoints, database) as conn:
        result = query(conn, "select extname, extversion from pg_extension order by 1", (), log)
    return {str(row[0]) for row in result.rows}
