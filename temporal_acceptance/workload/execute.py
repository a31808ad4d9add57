"""The execution script: start TestWorkflow, query it during the timer, send `test_signal`
as soon as it waits for it, wait for the result, query it once more, print JSON.

    python -m temporal_acceptance.workload.execute --address 127.0.0.1:7233 --timer 5
    temporal-acceptance execute --timer 5          # same, with the suite's settings

It follows the workflow's history (a long poll, no sleeping) to know when to query and
when to signal; a worker must be polling the task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError

from temporal_acceptance.clients.endpoints import FrontendTls
from temporal_acceptance.clients.temporal import (
    Poller,
    add_tls_arguments,
    pollers,
    sdk_tls,
    settings_tls,
    tls_from_args,
)
from temporal_acceptance.core.errors import UserError, WaitTimeout
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.events import event_time, type_name
from temporal_acceptance.workload.exit import exit_now
from temporal_acceptance.workload.shared import (
    DEFAULT_TIMER_SECONDS,
    TASK_QUEUE,
    TestSignal,
    TestWorkflowInput,
    TestWorkflowResult,
    WorkflowStatus,
    new_workflow_id,
)
from temporal_acceptance.workload.workflows import TestWorkflow

E = EventType
# Query points, in the order the script reaches them.
DURING_TIMER = "during_timer"
WAITING_FOR_SIGNAL = "waiting_for_signal"
AFTER_COMPLETION = "after_completion"
POLL_KINDS = ("workflow", "activity")
# The run may take this long beyond its timer before Temporal times it out.
DEFAULT_EXECUTION_MARGIN = 60.0


@dataclass
class ExecutionOptions:
    workflow_id: str = ""
    task_queue: str = TASK_QUEUE
    message: str = "hello from temporal-acceptance"
    timer_seconds: float = DEFAULT_TIMER_SECONDS
    signal_payload: str = "signal from temporal-acceptance"
    execution_timeout: float = 0.0  # 0: the timer plus DEFAULT_EXECUTION_MARGIN
    activity_attempts: int = 5
    activity_hold_seconds: float = 0.0

    def resolved_workflow_id(self) -> str:
        return self.workflow_id or new_workflow_id("test-workflow")

    def resolved_timeout(self) -> timedelta:
        seconds = self.execution_timeout or self.timer_seconds + DEFAULT_EXECUTION_MARGIN
        return timedelta(seconds=seconds)


@dataclass
class QueryAnswer:
    point: str
    status: WorkflowStatus | None = None
    error: str = ""


@dataclass
class ExecutionRecord:
    workflow_id: str
    run_id: str
    options: ExecutionOptions
    outcome: str = ""  # the closing event: WorkflowExecutionCompleted, ...Failed, ...
    result: TestWorkflowResult | None = None
    failure: str = ""
    queries: dict[str, QueryAnswer] = field(default_factory=dict)
    events: list[HistoryEvent] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.outcome == "WorkflowExecutionCompleted" and self.result is not None

    @property
    def workflow_seconds(self) -> float | None:
        """From the start event to the closing event, as the server recorded them."""
        if len(self.events) < 2:
            return None
        return (event_time(self.events[-1]) - event_time(self.events[0])).total_seconds()

    def to_json(self) -> dict[str, Any]:
        seconds = self.workflow_seconds
        return {
            "workflow_id": self.workflow_id,
            "run_id": self.run_id,
            "task_queue": self.options.task_queue,
            "outcome": self.outcome,
            "result": dataclasses.asdict(self.result) if self.result else None,
            "failure": self.failure or None,
            "queries": {
                point: dataclasses.asdict(answer.status) if answer.status else answer.error
                for point, answer in self.queries.items()
            },
            "timings": {
                "timer_seconds": self.options.timer_seconds,
                "workflow_seconds": round(seconds, 3) if seconds is not None else None,
                "overhead_seconds": round(seconds - self.options.timer_seconds, 3)
                if seconds is not None
                else None,
            },
            "history": [
                f"{e.event_id} {type_name(e.event_type)} {event_time(e).isoformat()}"
                for e in self.events
            ],
        }


async def _query(handle: WorkflowHandle[Any, Any], point: str) -> QueryAnswer:
    try:
        return QueryAnswer(point, await handle.query(TestWorkflow.get_status))
    except (RPCError, RuntimeError) as exc:  # a missing worker answers with an RPC error
        return QueryAnswer(point, error=f"{type(exc).__name__}: {exc}")


async def _follow(handle: WorkflowHandle[Any, Any], record: ExecutionRecord, payload: str) -> None:
    """Walk the history as it grows: query once the timer runs, signal once the workflow
    has taken in the child's result (it then waits for the signal)."""
    child_completed = False
    async for event in handle.fetch_history_events(wait_new_event=True):
        record.events.append(event)
        kind = event.event_type
        if kind == E.EVENT_TYPE_TIMER_STARTED:
            record.queries[DURING_TIMER] = await _query(handle, DURING_TIMER)
        elif kind == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            child_completed = True
        elif kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and child_completed:
            child_completed = False
            record.queries[WAITING_FOR_SIGNAL] = await _query(handle, WAITING_FOR_SIGNAL)
            await handle.signal(TestWorkflow.test_signal, TestSignal(payload))


async def run_test_workflow(client: Client, options: ExecutionOptions) -> ExecutionRecord:
    """Run TestWorkflow once, end to end; the record says how it went (it does not raise
    when the workflow fails: the failure is evidence too)."""
    return await finish_test_workflow(await start_test_workflow(client, options), options)


async def start_test_workflow(
    client: Client, options: ExecutionOptions
) -> WorkflowHandle[Any, Any]:
    """Start TestWorkflow (raises RPCError when the frontend refuses the start)."""
    return await client.start_workflow(
        TestWorkflow.run,
        TestWorkflowInput(
            options.message,
            options.timer_seconds,
            options.activity_attempts,
            options.activity_hold_seconds,
        ),
        id=options.resolved_workflow_id(),
        task_queue=options.task_queue,
        execution_timeout=options.resolved_timeout(),
    )


async def finish_test_workflow(
    handle: WorkflowHandle[Any, Any], options: ExecutionOptions
) -> ExecutionRecord:
    """Follow a started TestWorkflow to its end: query it, signal it, read its result."""
    record = ExecutionRecord(handle.id, handle.result_run_id or "", options)
    await _follow(handle, record, options.signal_payload)
    record.outcome = type_name(record.events[-1].event_type) if record.events else ""
    try:
        record.result = await handle.result()
    except WorkflowFailureError as exc:
        cause: BaseException | None = exc.cause
        chain = []
        while cause is not None:
            chain.append(str(cause))
            cause = cause.__cause__
        record.failure = " ← ".join(chain) or str(exc)
    record.queries[AFTER_COMPLETION] = await _query(handle, AFTER_COMPLETION)
    return record


# -- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The script's options; --address and --namespace default to the suite's settings."""
    parser.add_argument("--address", help="host:port (default: the suite's frontend)")
    parser.add_argument("--namespace", help="default: the suite's namespace")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    parser.add_argument("--workflow-id", default="", help="default: test-workflow-<random>")
    parser.add_argument("--timer", type=float, default=DEFAULT_TIMER_SECONDS, help="seconds")
    parser.add_argument("--message", default=ExecutionOptions.message)
    parser.add_argument("--signal-payload", default=ExecutionOptions.signal_payload)
    parser.add_argument(
        "--execution-timeout",
        type=float,
        default=0.0,
        help=f"seconds (default: the timer + {DEFAULT_EXECUTION_MARGIN:g})",
    )
    add_tls_arguments(parser)


def seconds_option(flag: str, value: float) -> float:
    """A duration from the command line: a finite number of seconds, not negative."""
    if not math.isfinite(value) or value < 0:
        raise UserError(
            f"{flag} {value:g} is not a duration", f"give {flag} as seconds, a number ≥ 0"
        )
    return value


def options_from(args: argparse.Namespace) -> ExecutionOptions:
    seconds_option("--timer", args.timer)
    seconds_option("--execution-timeout", args.execution_timeout)
    return ExecutionOptions(
        workflow_id=args.workflow_id,
        task_queue=args.task_queue,
        message=args.message,
        timer_seconds=args.timer,
        signal_payload=args.signal_payload,
        execution_timeout=args.execution_timeout,
    )


async def execute(args: argparse.Namespace, settings: Settings) -> ExecutionRecord:
    options = options_from(args)
    address = args.address or settings.frontend_address
    namespace = args.namespace or settings.namespace
    try:
        client = await Client.connect(
            address,
            namespace=namespace,
            identity="temporal-acceptance-execute",
            tls=sdk_tls(tls_from_args(args, settings_tls(settings))),
        )
    except RuntimeError as exc:
        raise UserError(
            f"cannot reach Temporal at {address}: {exc}",
            "start the stack (temporal-acceptance up) or pass --address host:port",
        ) from None
    await require_worker(client, namespace, options.task_queue)
    return await run_test_workflow(client, options)


# A live worker polls again at least once a minute (a long poll lasts up to a minute);
# Temporal keeps listing a worker that is gone for five.
POLLER_FRESH_SECONDS = 120.0
# A worker started a moment before the script shows its first polls within this long.
POLLER_WAIT_SECONDS = 1.5


def no_worker_problem(task_queue: str, found: dict[str, list[Poller]], now: datetime) -> str | None:
    """Why no worker can run the test workflow on `task_queue`, or None: workflow and
    activity tasks each need a poller that polled recently."""
    missing = []
    for kind, listed in found.items():
        fresh = [
            p
            for p in listed
            if p.last_access is None
            or (now - p.last_access).total_seconds() <= POLLER_FRESH_SECONDS
        ]
        if fresh:
            continue
        if listed:
            newest = max(p.last_access for p in listed if p.last_access is not None)
            ago = (now - newest).total_seconds()
            missing.append(f"{kind} tasks: last polled {ago:.0f} s ago")
        else:
            missing.append(f"{kind} tasks: never polled")
    if not missing:
        return None
    return f"no worker is polling task queue {task_queue} ({'; '.join(missing)})"


async def require_worker(
    client: Client, namespace: str, task_queue: str, timeout: float = POLLER_WAIT_SECONDS
) -> None:
    """Fail within seconds, before starting anything, if no worker would run the workflow
    (a worker started a moment ago gets `timeout` to show its first polls)."""

    async def problem() -> str | None:
        found = {kind: await pollers(client, namespace, task_queue, kind) for kind in POLL_KINDS}
        return no_worker_problem(task_queue, found, datetime.now(UTC))

    try:
        await wait_until_async(
            problem,
            what=f"a worker polling task queue {task_queue}",
            timeout=timeout,
            accept=lambda found: found is None,
            describe=str,
            errors=(),
            max_delay=0.25,
        )
    except WaitTimeout:
        flag = "" if task_queue == TASK_QUEUE else f" --task-queue {task_queue}"
        raise UserError(
            await problem() or f"no worker is polling task queue {task_queue}",
            f"start one with `temporal-acceptance worker{flag}`",
        ) from None


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Print the record as JSON; exit 0 when the workflow completed, 1 when it did not."""
    record = asyncio.run(execute(args, settings))
    print(json.dumps(record.to_json(), indent=2))
    return 0 if record.completed else 1


@dataclass(frozen=True)
class ScriptRun:
    """One run of this script as a separate process, as a user would run it."""

    argv: list[str]
    returncode: int
    output: dict[str, Any] | None
    stderr: str

    def transcript(self) -> str:
        return f"$ {' '.join(self.argv)}\nexit status {self.returncode}\n{self.stderr}"


async def run_script(
    address: str,
    namespace: str,
    task_queue: str,
    timer: float,
    workflow_id: str,
    timeout: float,
    tls: FrontendTls | None = None,
) -> ScriptRun:
    argv = [
        sys.executable, "-m", "temporal_acceptance.workload.execute",
        "--address", address, "--namespace", namespace, "--task-queue", task_queue,
        "--timer", f"{timer:g}", "--workflow-id", workflow_id,
        *(tls.argv() if tls else []),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return ScriptRun(argv, -9, None, f"killed after {timeout:g}s")
    try:
        output = json.loads(out)
    except json.JSONDecodeError:
        output = None
    code = process.returncode if process.returncode is not None else -1
    return ScriptRun(argv, code, output, err.decode(errors="replace"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m temporal_acceptance.workload.execute",
        description="Run the test workflow end to end and print what happened as JSON.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_cli(args, Settings.load())
    except UserError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    exit_now(main())
