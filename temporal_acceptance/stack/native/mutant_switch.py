"""Switching a mutant of the native stack on and off: the seeded defects of seeded.py,
config_mutants.py and defects.py at their hook points (mutants prove the gates can fail;
a mutant is off unless asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.core.topology import HISTORY_SHARDS as TOPOLOGY_SHARDS
from temporal_acceptance.core.topology import parse_topology_name
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.mutants import parse_mutant
from temporal_acceptance.stack.native import seeded
from temporal_acceptance.stack.native.config_mutants import SECOND_SHARD_COUNT, apply_config_mutant
from temporal_acceptance.stack.native.defects import NEEDS_OWN_STACK, SEEDED, SeededDefect
from temporal_acceptance.stack.native.mutant import EPHEMERAL_POSTGRES, EphemeralPostgresData
from temporal_acceptance.stack.native.postgres import PostgresOptions
from temporal_acceptance.stack.native.roles import ADMIN_ROLE, drop_mutant_database
from temporal_acceptance.stack.native.server_config import HISTORY_SHARDS

if TYPE_CHECKING:
    from temporal_acceptance.stack.native.stack import NativeStack


def enable(stack: NativeStack, name: str) -> None:
    mutant = parse_mutant(name, stack.target)
    if mutant.name in NEEDS_OWN_STACK and stack.layout.pg_data.exists():
        raise UserError(
            f"the {mutant.name} mutant is seeded as its stack starts and damages its "
            f"data, and {stack.layout.root} already holds a deployment",
            "run it on a new state directory (TACC_STATE_DIR), or with "
            "`temporal-acceptance mutation`",
        )
    if mutant.name in seeded.ISOLATED:
        seeded.require_isolated_network(mutant.name, stack.interfaces)
    stack.mutant, stack.seed_pending = mutant.name, True
    stack.say(f"  MUTANT {mutant.name}: {mutant.summary}")
    if mutant.name == EPHEMERAL_POSTGRES:
        stack.ephemeral_postgres = EphemeralPostgresData(stack.layout.root)
    seeded.seed(mutant.name, stack.postgres, stack.temporal)
    apply_config_mutant(mutant.name, stack.postgres, stack.temporal)
    seed_defect(stack, mutant.name if mutant.name in SEEDED else "")


def seed_defect(stack: NativeStack, name: str) -> None:
    """The defects of stack/native/defects.py: hooks of the configurations and starts."""
    stack.defect.stop()
    defect = stack.defect = SeededDefect(name)
    stack.temporal.configure = lambda config: defect.temporal_config(
        config, stack.layout.temporal_dir
    )
    history = f"{stack.settings.host}:{stack.ports.history}"
    stack.ui.frontend = defect.ui_frontend(stack.temporal.address, history)


def before_temporal_starts(stack: NativeStack, password: Secret, first_time: bool) -> None:
    """second-shard-count changes the shard count *after* the cluster was created: on a
    deployment that never came up (a mutant's own stack), the cluster is created first
    with the topology's real count, then the server restarts on the changed one."""
    if not first_time or stack.mutant != SECOND_SHARD_COUNT:
        return
    changed = stack.temporal.history_shards
    topology = parse_topology_name(stack.settings.topology or "single")
    stack.temporal.history_shards = TOPOLOGY_SHARDS[topology]
    stack.say(f"  creating the cluster with {stack.temporal.history_shards} shards first")
    stack.temporal.start(password)
    stack.stop(Service.TEMPORAL)
    stack.temporal.history_shards = changed


def after_temporal_serves(stack: NativeStack, password: Secret) -> None:
    stack.defect.after_temporal_serves(
        stack.endpoints(), password, stack.binaries().schema.visibility
    )
    stack.defect.watch(stack.endpoints, lambda seconds: stack.freeze(Service.TEMPORAL, seconds))


def disable(stack: NativeStack) -> None:
    """Back to the real deployment: stop everything, remove what the mutant wrote, bring
    the stack up again (roles, configuration and data as without it). What a defect of
    defects.py did to the data (a dropped table, deleted rows) stays: those mutants run on
    a stack of their own, purged afterwards."""
    if not stack.mutant:
        return
    stack.down()
    if stack.ephemeral_postgres is not None:
        stack.ephemeral_postgres.remove()
    stack.ephemeral_postgres = None
    seeded.unseed(stack.layout.root, stack.postgres, stack.temporal)
    stack.postgres.options = PostgresOptions(timezone=stack.settings.postgres_timezone)
    stack.temporal.history_shards, stack.temporal.dynamic_extra = HISTORY_SHARDS, {}
    seed_defect(stack, "")
    mutant, stack.mutant = stack.mutant, ""
    stack.up()
    if mutant == seeded.VISIBILITY_WRONG_DATABASE:  # Temporal is off it again
        admin = stack.access.login(ADMIN_ROLE)
        drop_mutant_database(admin, seeded.WRONG_VISIBILITY_DATABASE)
