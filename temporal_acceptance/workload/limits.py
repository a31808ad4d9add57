"""Workloads at the deployment's limits: custom search attributes in namespaces of the
suite's own, and workflow inputs on either side of the payload size limit.

The namespaces are created once per deployment and kept. Deleting them was tried: Temporal
reclaims a deleted namespace in the background and its own workers log errors for tens of
seconds afterwards ("Namespace ... is not found"), which land in the next scenario's log
scan. Kept, a second run finds its attributes already there and creates only what is
missing (the limit scenario's namespace is full after its first run: one more is refused)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from temporal_acceptance.clients.temporal import namespace_usable, register_namespace
from temporal_acceptance.core.errors import WaitTimeout
from temporal_acceptance.core.waiting import wait_until_async
from temporal_acceptance.workload.shared import PAYLOAD_WORKFLOW_NAME, new_workflow_id

# How a list query may lag the start (visibility is written asynchronously).
VISIBILITY_TIMEOUT = 15.0
NAMESPACE_TIMEOUT = 30.0
# A run that only sits in visibility: no worker polls this queue.
IDLE_QUEUE = "acceptance-search-attributes-idle"
_STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# The custom types and the value each test attribute gets (and is searched for).
TYPES: dict[str, tuple[IndexedValueType.ValueType, object, str]] = {
    "Bool": (IndexedValueType.INDEXED_VALUE_TYPE_BOOL, True, "= true"),
    "Datetime": (IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, _STAMP, ">= '2026-01-01T00:00:00Z'"),
    "Double": (IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE, 1.5, "= 1.5"),
    "Int": (IndexedValueType.INDEXED_VALUE_TYPE_INT, 42, "= 42"),
    "Keyword": (IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, "tacc-keyword", "= 'tacc-keyword'"),
    "Text": (IndexedValueType.INDEXED_VALUE_TYPE_TEXT, "acceptance text", "= 'acceptance'"),
    "KeywordList": (
        IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
        ["tacc-a", "tacc-b"],
        "= 'tacc-b'",
    ),
}


def attribute_name(kind: str, index: int = 1) -> str:
    return f"Tacc{kind}{index:02d}"


def attribute_names(kind: str, count: int) -> dict[str, str]:
    """The first `count` attributes of a type: name → type."""
    return {attribute_name(kind, index): kind for index in range(1, count + 1)}


def _pair(kind: str, name: str) -> SearchAttributePair:  # type: ignore[type-arg]
    value = TYPES[kind][1]
    key = {
        "Bool": SearchAttributeKey.for_bool,
        "Datetime": SearchAttributeKey.for_datetime,
        "Double": SearchAttributeKey.for_float,
        "Int": SearchAttributeKey.for_int,
        "Keyword": SearchAttributeKey.for_keyword,
        "Text": SearchAttributeKey.for_text,
        "KeywordList": SearchAttributeKey.for_keyword_list,
    }[kind](name)
    return SearchAttributePair(key, value)  # type: ignore[arg-type]


@dataclass
class SearchAttributeSpace:
    """A namespace of the suite's own for search attributes, and what happened in it."""

    client: Client
    namespace: str
    created: dict[str, str] = field(default_factory=dict)  # name → type
    refusal: str = ""
    found: list[str] = field(default_factory=list)
    workflow_id: str = ""

    def render(self) -> str:
        lines = [f"namespace {self.namespace}"]
        lines += [f"  {name}: {kind}" for name, kind in self.created.items()]
        if self.workflow_id:
            lines.append(f"workflow {self.workflow_id}; the list query found: {self.found}")
        if self.refusal:
            lines.append(f"refused: {self.refusal}")
        return "\n".join(lines)


# The suite's namespaces for the search-attribute gates (kept: see the module's docstring).
EACH_TYPE_NAMESPACE = "acceptance-search-attributes"
LIMIT_NAMESPACE = "acceptance-search-attribute-limit"


async def create_space(client: Client, name: str) -> SearchAttributeSpace:
    """Register the namespace (harmless when it exists) and wait until it is served."""
    await register_namespace(client, name)
    space = SearchAttributeSpace(Client(client.service_client, namespace=name), name)
    await wait_until_async(
        lambda: namespace_usable(space.client, name),
        what=f"namespace {name} to be served",
        timeout=NAMESPACE_TIMEOUT,
        errors=(RPCError,),
    )
    return space


async def existing_attributes(space: SearchAttributeSpace) -> set[str]:
    """The custom attributes the namespace has already (from an earlier run)."""
    answer = await space.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=space.namespace)
    )
    return set(answer.custom_attributes)


async def add_attributes(
    space: SearchAttributeSpace, kinds: dict[str, str], only_missing: bool = True
) -> str:
    """Create attributes (name → type) in one request — those the namespace lacks, unless
    `only_missing` is False; '' or Temporal's refusal."""
    have = await existing_attributes(space) if only_missing else set()
    wanted = {name: kind for name, kind in kinds.items() if name not in have}
    if wanted:
        request = AddSearchAttributesRequest(
            namespace=space.namespace,
            search_attributes={name: TYPES[kind][0] for name, kind in wanted.items()},
        )
        try:
            await space.client.operator_service.add_search_attributes(request)
        except RPCError as exc:
            return f"{exc.status.name}: {exc.message}"
    space.created.update(kinds)
    return ""


def query_for(names: dict[str, str]) -> str:
    return " and ".join(f"{name} {TYPES[kind][2]}" for name, kind in names.items())


async def start_and_find(space: SearchAttributeSpace) -> list[str]:
    """Start a run with every created attribute set, then list with a query on all of
    them until it shows up (or the bound passes): the ids the query returned."""
    pairs = [_pair(kind, name) for name, kind in space.created.items()]
    space.workflow_id = new_workflow_id("search-attributes")
    await space.client.start_workflow(
        "SearchAttributeProbe",
        id=space.workflow_id,
        task_queue=IDLE_QUEUE,
        search_attributes=TypedSearchAttributes(pairs),
        execution_timeout=timedelta(minutes=10),
    )

    async def listed() -> list[str]:
        query = query_for(space.created)
        space.found = [wf.id async for wf in space.client.list_workflows(query)]
        return space.found

    with contextlib.suppress(WaitTimeout):  # the check says what the query found instead
        await wait_until_async(
            listed,
            what=f"a list query to find {space.workflow_id}",
            timeout=VISIBILITY_TIMEOUT,
            accept=lambda ids: space.workflow_id in ids,
        )
    return space.found


async def end_run(space: SearchAttributeSpace) -> None:
    """Terminate the run the gate started (it never had a worker)."""
    if space.workflow_id:
        with contextlib.suppress(RPCError):
            await space.client.get_workflow_handle(space.workflow_id).terminate("gate done")


# -- payloads ---------------------------------------------------------------------------------


@dataclass
class PayloadOutcome:
    size: int
    result: int | None = None  # the workflow's answer: the length it received
    refusal: str = ""  # why the start (or the run) failed

    def line(self) -> str:
        seen = f"completed, returned {self.result}" if self.result is not None else self.refusal
        return f"input of {self.size} bytes: {seen}"


async def run_payload(client: Client, task_queue: str, size: int) -> PayloadOutcome:
    """Start the payload workflow with an input of `size` characters and wait for it."""
    outcome = PayloadOutcome(size)
    try:
        outcome.result = await client.execute_workflow(
            PAYLOAD_WORKFLOW_NAME,
            "x" * size,
            id=new_workflow_id("payload"),
            task_queue=task_queue,
            result_type=int,
            execution_timeout=timedelta(seconds=60),
        )
    except RPCError as exc:
        outcome.refusal = f"refused at start: {exc.status.name}: {exc.message}"
    except WorkflowFailureError as exc:
        outcome.refusal = f"the workflow failed: {exc.cause or exc}"
    return outcome
