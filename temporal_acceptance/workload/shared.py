"""What the worker, the workflows and the execute script agree on: names, the task queue and
the dataclasses that cross Temporal's boundary (one dataclass per argument, so fields can be
added compatibly).

Timestamps travel as ISO-8601 strings: every SDK converter and every reader of the JSON
output understands them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

TASK_QUEUE = "temporal-acceptance-test"
WORKFLOW_NAME = "TestWorkflow"
CHILD_WORKFLOW_NAME = "ChildTestWorkflow"
# Takes one large input and returns its length: the payload-limit gate's workflow.
PAYLOAD_WORKFLOW_NAME = "PayloadSizeWorkflow"
# One activity and nothing else: the load gate's short workflow (throughput and latency).
LOAD_PROBE_WORKFLOW_NAME = "LoadProbeWorkflow"
# The kinds of load (workload/throughput.py): LoadProbeWorkflow, or the test workflow with a
# short timer and its signal sent with the start.
SHORT_LOAD = "short"
FIVE_STAGE_LOAD = "five-stage"
ACTIVITY_EXECUTION = "test_activity_execution"
DATABASE_OPERATION = "test_database_operation"
SIGNAL_NAME = "test_signal"
QUERY_NAME = "get_status"

# The environment variable that carries the application database's libpq connection string
# to the worker (never argv: it holds the password, and argv is world-readable in /proc).
APP_DSN_ENV = "TACC_APP_DSN"
# The table the database activity writes to, in the application database.
APP_TABLE = "workload_round_trips"
# One row per execution of the database activity, never merged: a duplicate shows.
EXECUTIONS_TABLE = "workload_executions"

# Stages, in the order the workflow goes through them; `get_status` reports one of these.
STAGE_STARTED = "started"
STAGE_ACTIVITIES = "activities"
STAGE_TIMER = "timer"
STAGE_CHILD = "child_workflow"
STAGE_SIGNAL = "signal"  # waiting for test_signal
STAGE_COMPLETED = "completed"
STAGES = (STAGE_ACTIVITIES, STAGE_TIMER, STAGE_CHILD, STAGE_SIGNAL, STAGE_COMPLETED)

DEFAULT_TIMER_SECONDS = 5.0


@dataclass
class TestWorkflowInput:
    __test__ = False  # a payload, not a pytest test class

    message: str = "hello from temporal-acceptance"
    # Stage 2's durable timer; the sprint plan's 5 seconds unless a run asks otherwise.
    timer_seconds: float = DEFAULT_TIMER_SECONDS
    # Activities retry transient failures (a PostgreSQL restart) but give up on a broken
    # configuration instead of hanging until the execution timeout.
    activity_attempts: int = 5
    # > 0: the first attempt of test_activity_execution holds (heartbeating) for up to this
    # long before it answers, so a worker can be killed in the middle of it; retries answer
    # at once. 0 (the default) keeps the activity instant.
    activity_hold_seconds: float = 0.0


@dataclass
class ActivityInput:
    message: str
    hold_seconds: float = 0.0  # see TestWorkflowInput.activity_hold_seconds


@dataclass
class ActivityResult:
    """test_activity_execution's answer: values anyone can recompute from the input."""

    processed: str
    checksum: str
    length: int


@dataclass
class DatabaseOperationInput:
    workflow_id: str
    run_id: str
    payload: str


@dataclass
class DatabaseRow:
    """The row test_database_operation read back after writing it."""

    row_id: int
    workflow_id: str
    run_id: str
    payload: str
    written_at: str
    database: str
    table: str
    role: str = ""  # the PostgreSQL role the activity ran as (current_user)


@dataclass
class TimerOutcome:
    seconds: float
    started_at: str
    fired_at: str


@dataclass
class ChildInput:
    parent_workflow_id: str
    message: str


@dataclass
class ChildResult:
    child_workflow_id: str
    reply: str


@dataclass
class TestSignal:
    __test__ = False  # a payload, not a pytest test class

    payload: str


@dataclass
class WorkflowStatus:
    """`get_status`: the current stage and everything gathered so far."""

    stage: str = STAGE_STARTED
    completed_stages: list[str] = field(default_factory=list)
    activity: ActivityResult | None = None
    database_row: DatabaseRow | None = None
    timer: TimerOutcome | None = None
    child: ChildResult | None = None
    signal: TestSignal | None = None


@dataclass
class TestWorkflowResult:
    __test__ = False  # a payload, not a pytest test class

    workflow_id: str
    run_id: str
    completed_stages: list[str]
    activity: ActivityResult
    database_row: DatabaseRow
    timer: TimerOutcome
    child: ChildResult
    signal: TestSignal


def child_reply(message: str) -> str:
    """What ChildTestWorkflow answers for `message` (shared so checks can recompute it)."""
    return f"child received: {message}"


def new_workflow_id(prefix: str) -> str:
    """A workflow id of its own for every run: '<prefix>-<12 hex digits>'."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
