"""Steps of the load gate: throughput, latency and the resources a load takes.

Given the CPU and memory of every service and of the test worker are being sampled
Given PostgreSQL's database sizes are read
When these loads run one after the other, each on the test worker:
Then every load completed within the thresholds of its row
Then the CPU and memory of every service and of the test worker were recorded
Then PostgreSQL's database sizes were recorded before and after the loads
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from behave import given, then, when

from temporal_acceptance.checks import load_breakdown, performance
from temporal_acceptance.clients.endpoints import TEMPORAL_DATABASE
from temporal_acceptance.clients.postgres import connect
from temporal_acceptance.core.evidence import attach_png, attach_text
from temporal_acceptance.core.verdict import attach_evidence, expect
from temporal_acceptance.probes.resources import ResourceSampler, database_sizes, stack_pids
from temporal_acceptance.reporting.charts import latency_chart, resource_chart
from temporal_acceptance.workload.throughput import one_workflow, run_load
from temporal_acceptance.workload.timeline import read_timelines

CONSOLE = sys.__stderr__ or sys.stderr
# Where the time went is read from this many of each load's slowest workflows' histories.
EXAMINED = 10


@given("the CPU and memory of every service and of the test worker are being sampled")
async def step_sample_resources(context: Any) -> None:
    driver = await context.worker.ensure(context.run)
    # The loads' client is this process (behave): on 2 cores it competes with the services.
    pids = {**stack_pids(context.run.stack, driver.pid), "load client (behave)": os.getpid()}
    context.resource_pids = pids  # what must have been sampled (read once: a status call each)
    context.resource_sampler = ResourceSampler(lambda: pids).start()
    context.add_cleanup(context.resource_sampler.stop)


@given("PostgreSQL's database sizes are read")
def step_sizes_before(context: Any) -> None:
    with connect(context.run.endpoints, TEMPORAL_DATABASE) as conn:
        context.sizes_before = database_sizes(conn)


@when("these loads run one after the other, each on the test worker:")
async def step_run_loads(context: Any) -> None:
    run, stack = context.run, context.run.stack
    driver = await context.worker.ensure(run)
    client = await run.client()
    context.loads = []
    for row in context.table:
        spec, limits = performance.parse_row(dict(zip(row.headings, row.cells, strict=True)))
        if not stack.supports_disruption:  # a deployment the suite does not own
            asked = str(context.config.userdata.get("load_workflows", ""))
            spec, limits, note = performance.scaled_for_external(spec, limits, asked)
            attach_text("the load on this target", note)
        print(f"      load: {spec.line()} …", file=CONSOLE, flush=True)
        make_one = one_workflow(spec.kind, client, driver.spec.task_queue, spec.timer_seconds)
        loaded = run_load(make_one, spec.count, spec.concurrency, prefix=f"load-{spec.kind}")
        done = await context.worker.needed(loaded)
        figures = performance.summarise(spec, done.samples, done.wall_seconds)
        print(f"      {figures.line()}", file=CONSOLE, flush=True)
        examined = load_breakdown.slowest(done.samples, EXAMINED)
        spent = load_breakdown.breakdown(*await read_timelines(client, examined))
        print(f"      where the time went: {spent.line()}", file=CONSOLE, flush=True)
        attach_text(
            f"where the time went: {spec.line()}", json.dumps(spent.as_json(), indent=2), "json"
        )
        context.loads.append((spec, limits, figures, done.samples, spent))


@then("every load completed within the thresholds of its row")
def step_loads_within(context: Any) -> None:
    # What the processes used is attached first: a load that misses a threshold is exactly
    # when the review needs to see where the CPU went.
    sampler = context.resource_sampler
    series = sampler.stop()
    if series:
        attach_png("CPU and memory during the loads", resource_chart(series, "during the loads"))
    attach_evidence("CPU and memory per process (mean and max)", sampler.summary())
    found: list[str] = []
    for _spec, limits, figures, samples, spent in context.loads:
        attach_png(f"latency: {figures.spec.line()}", latency_chart(figures, samples))
        missed = performance.problems(figures, limits)
        # A missed threshold says where that load's time went (its slowest workflows).
        found += [f"{problem} (where the time went: {spent.line()})" for problem in missed]
    expect(
        "the load gate",
        found,
        {"load figures": [load[2].as_json() for load in context.loads]},
    )


@then("the CPU and memory of every service and of the test worker were recorded")
def step_resources_recorded(context: Any) -> None:
    summary = context.resource_sampler.summary()
    watched = sorted(context.resource_pids)
    missing = [name for name in watched if not summary.get(name, {}).get("samples")]
    expect("resource usage", [f"no CPU and memory samples of {name}" for name in missing])


@then("PostgreSQL's database sizes were recorded before and after the loads")
def step_sizes_after(context: Any) -> None:
    with connect(context.run.endpoints, TEMPORAL_DATABASE) as conn:
        after = database_sizes(conn)
    before = context.sizes_before
    problems = [] if after else ["PostgreSQL reported no database size this role may read"]
    grown = after.get(TEMPORAL_DATABASE, 0) - before.get(TEMPORAL_DATABASE, 0)
    if TEMPORAL_DATABASE in before and grown <= 0:
        # Hundreds of workflows' histories and rows are written by the loads: a database
        # that did not grow did not store them (or the figures are not this deployment's).
        problems.append(
            f"Temporal's database did not grow under the loads: {before[TEMPORAL_DATABASE]} "
            f"bytes before, {after.get(TEMPORAL_DATABASE)} after"
        )
    table = {
        name: {"before": before.get(name), "after": size, "grown": size - before.get(name, size)}
        for name, size in after.items()
    }
    attach_text("database sizes (bytes)", json.dumps(table, indent=2), "json")
    expect("PostgreSQL's database sizes", problems)
