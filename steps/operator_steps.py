"""Steps for the failures operators really hit (issue 14): deep health, membership rings,
history shards, the connection budget, namespaces, where PostgreSQL keeps its data, TLS to
PostgreSQL and its time zone.

Then the server reports every role healthy, history included
Then each role's membership ring holds the hosts the topology expects and none that is stale
Then the history shard count is the same in the configuration, the cluster metadata and the
  shards table
And every history shard is owned by a host of the history ring
Then Temporal's connection pools and 10 other connections fit PostgreSQL's limit with 20% to spare
Then the visibility store is one Temporal supports for advanced visibility
Then these namespaces exist with their retention:
Then PostgreSQL's live data directory lies on the deployment's persistent storage
Given the deployment requires TLS to PostgreSQL
Then every connection of Temporal's roles to PostgreSQL is encrypted
And a client without TLS is refused with a clear message
Then PostgreSQL runs in the time zone the deployment asked for
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from temporal_acceptance.checks import connections as budget
from temporal_acceptance.checks import postgres_setup as setup
from temporal_acceptance.clients.postgres import QueryLog
from temporal_acceptance.core.verdict import expect
from temporal_acceptance.gates import cluster
from temporal_acceptance.probes.connections import read_limits
from temporal_acceptance.probes.namespaces import read_retention
from temporal_acceptance.probes.postgres_setup import (
    plain_connection,
    read_session_tls,
    read_setting,
)

# A deployed stack has settled: the gates wait at most this long (deep health reads
# NOT_SERVING for ~5 s after a start, a heartbeat can be late on a busy machine).
SETTLED = 15.0
# The SQL plugins Temporal's advanced visibility runs on with PostgreSQL.
SQL_VISIBILITY_PLUGINS = ("postgres12", "postgres12_pgx")


@then("the server reports every role healthy, history included")
def step_deep_health(context: Any) -> None:
    stack = context.run.stack
    seen = cluster.healthy(context.run.endpoints, stack.role_health_dialable, SETTLED)
    expect("Temporal's health", seen.problems, {"health as the server reports it": seen.reading})


@then("each role's membership ring holds the hosts the topology expects and none that is stale")
def step_rings(context: Any) -> None:
    facts = context.run.stack.temporal_facts()
    seen = cluster.ring(context.run.endpoints, facts.topology, SETTLED)
    evidence = {"membership (admin API and cluster_membership)": seen.reading, "sql": seen.log}
    expect("the membership rings", seen.problems, evidence)


@then(
    "the history shard count is the same in the configuration, the cluster metadata "
    "and the shards table"
)
def step_shard_count(context: Any) -> None:
    facts = context.run.stack.temporal_facts()
    context.shards = cluster.shards(context.run.endpoints, facts.history_shards, SETTLED)
    counts = [p for p in context.shards.problems if "owned" not in p]
    expect("the history shards", counts, {"history shards": context.shards.reading})


@then("every history shard is owned by a host of the history ring")
def step_shards_owned(context: Any) -> None:
    owned = [p for p in context.shards.problems if "owned" in p]
    expect("the history shards", owned)


@then(
    "Temporal's connection pools and {others:d} other connections fit PostgreSQL's limit "
    "with {headroom:g}% to spare"
)
def step_budget(context: Any, others: int, headroom: float) -> None:
    facts, log = context.run.stack.temporal_facts(), QueryLog()
    if not facts.pools:
        context.scenario.skip(f"Temporal's pools are {facts.source}")
        return
    limits = read_limits(context.run.endpoints, log)
    expect(
        "the connection budget",
        budget.budget_problems(facts, limits, others, headroom),
        {"Temporal's configuration": facts.render(), "PostgreSQL's limits": log},
    )


@then("the visibility store is one Temporal supports for advanced visibility")
def step_visibility_store(context: Any) -> None:
    seen = cluster.ring(context.run.endpoints, {}, SETTLED).reading.cluster
    store = seen.visibility_store if seen else ""
    expect(
        "the visibility store",
        setup.visibility_store_problems(store, SQL_VISIBILITY_PLUGINS),
        {"visibility store (DescribeCluster)": store or "(not answered)"},
    )


@then("these namespaces exist with their retention:")
async def step_namespaces(context: Any) -> None:
    found = await read_retention(await context.run.client())
    wanted = {row["namespace"]: float(row["retention"].split()[0]) for row in context.table}
    expect("the namespaces", setup.namespace_problems(found, wanted), {"namespaces (days)": found})


@then("PostgreSQL's live data directory lies on the deployment's persistent storage")
def step_data_location(context: Any) -> None:
    location, log = context.run.stack.data_location(), QueryLog()
    if location is None:
        context.scenario.skip(f"where its data must live is unknown on {context.run.stack.target}")
        return
    admin = context.run.stack.admin_address()
    if admin is None:
        context.scenario.skip("reading the live data directory needs PostgreSQL's admin role")
        return
    data_directory = read_setting(admin, "data_directory", log, database="postgres")
    expect(
        "PostgreSQL's data",
        setup.data_location_problems(location, data_directory),
        {"where the data must be": str(location), "PostgreSQL's data_directory": log},
    )


@given("the deployment requires TLS to PostgreSQL")
def step_tls_profile(context: Any) -> None:
    if not context.run.stack.postgres_tls():
        context.scenario.skip("this deployment does not require TLS to PostgreSQL (postgres_tls)")


@then("every connection of Temporal's roles to PostgreSQL is encrypted")
def step_encrypted(context: Any) -> None:
    sessions = read_session_tls(context.run.endpoints, log := QueryLog())
    users = context.run.stack.temporal_facts().users() or {context.run.endpoints.postgres_user}
    expect("TLS to PostgreSQL", setup.encryption_problems(sessions, users), {"pg_stat_ssl": log})


@then("a client without TLS is refused with a clear message")
def step_plain_refused(context: Any) -> None:
    outcome = plain_connection(context.run.endpoints)
    expect(
        "a client without TLS",
        setup.plain_refusal_problems(outcome),
        {"connection without TLS": str(outcome)},
    )


@then("PostgreSQL runs in the time zone the deployment asked for")
def step_timezone(context: Any) -> None:
    seen = read_setting(context.run.endpoints, "TimeZone", log := QueryLog())
    asked = context.run.settings.postgres_timezone
    expect("PostgreSQL's time zone", setup.timezone_problems(asked, seen), {"timezone": log})
