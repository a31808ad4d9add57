"""The @matrix run: one fresh native stack per PostgreSQL major, on its own ports and state
directory, brought up `jobs` at a time in background threads while the scenario of the
previous major runs its checks, then torn down (its data deleted: it exists only for this).

Bring-up is split into stages (binaries, PostgreSQL initdb + start, Temporal schema,
Temporal server, UI) so an observation says which one failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from temporal_acceptance.compat.decision import Decision
from temporal_acceptance.compat.deploy import gate, record, recorded
from temporal_acceptance.compat.observations import Check, CheckOutcome
from temporal_acceptance.errors import UserError
from temporal_acceptance.ports import port_is_free
from temporal_acceptance.provision.progress import Say, stderr_say
from temporal_acceptance.settings import MAX_TEMPORAL_PORT, Settings
from temporal_acceptance.stack.base import Service
from temporal_acceptance.stack.native.stack import NativeStack
from temporal_acceptance.stack.native.temporal import TemporalPorts
from temporal_acceptance.waiting import wait_until

DEFAULT_JOBS = 2
SLOT_COUNT = 7  # one per PostgreSQL major 12–18, so a full parallel run never waits on ports
# Temporal's roles use frontend-300 .. frontend+10; 400 apart keeps slots disjoint. The
# highest slot's membership ports must fit a SMALLINT (see settings.MAX_TEMPORAL_PORT), and
# staying below 32768 keeps them out of Linux's ephemeral range, where short-lived client
# connections (in TIME-WAIT for a minute) would otherwise block a listener.
DEFAULT_TEMPORAL_PORT = 30033
TEMPORAL_PORT_STEP = 400
DEFAULT_POSTGRES_PORT = 55470
DEFAULT_UI_PORT = 48080
# A slot whose ports are taken by something else may free up; wait this long at most.
SLOT_WAIT_SECONDS = 60.0
# A port can be taken between the slot check and the service start: try this many slots.
PORT_CONFLICT_ATTEMPTS = 3
BRING_UP_STAGES = (
    "binaries provisioned",
    "PostgreSQL initialised and started",
    "Temporal schema created",
    "Temporal server serving",
    "Temporal UI serving",
)
TEARDOWN = "stack stopped and its data deleted"


def port_conflict(exc: BaseException) -> bool:
    """A service could not start because another process holds one of its ports (often a
    short-lived client connection that drew the port from Linux's ephemeral range)."""
    return isinstance(exc, UserError) and "is already in use" in exc.problem


def _yes_no(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise UserError(f"{key} {raw!r} is not on/off", f"use -D {key}=on or -D {key}=off")


def default_stack_wanted(userdata: Mapping[str, str]) -> bool:
    """False for `-D default_stack=off` (a @matrix-only run does not need the shared stack)."""
    return _yes_no("default_stack", str(userdata.get("default_stack", "on")))


def _number(userdata: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = str(userdata.get(key, default)).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise UserError(f"{key} {raw!r} is not a number from {low} to {high}", f"set -D {key}=N")
    return int(raw)


@dataclass(frozen=True)
class Slot:
    temporal_port: int
    postgres_port: int
    ui_port: int

    def ports(self) -> list[int]:
        return [self.postgres_port, self.ui_port, *TemporalPorts(self.temporal_port).all().values()]

    def free(self, host: str) -> bool:
        return all(port_is_free(port, host) for port in self.ports())


@dataclass(frozen=True)
class MatrixPlan:
    base: Settings
    root: Path
    jobs: int
    slots: tuple[Slot, ...]

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str], base: Settings) -> MatrixPlan:
        last = MAX_TEMPORAL_PORT - TEMPORAL_PORT_STEP * (SLOT_COUNT - 1)
        temporal = _number(userdata, "matrix_temporal_port", DEFAULT_TEMPORAL_PORT, 301, last)
        postgres = _number(userdata, "matrix_postgres_port", DEFAULT_POSTGRES_PORT, 1, 65528)
        ui = _number(userdata, "matrix_ui_port", DEFAULT_UI_PORT, 1, 65528)
        slots = tuple(
            Slot(temporal + i * TEMPORAL_PORT_STEP, postgres + i, ui + i) for i in range(SLOT_COUNT)
        )
        root = Path(str(userdata.get("matrix_root") or f"{base.state_dir}-matrix"))
        jobs = _number(userdata, "matrix_jobs", DEFAULT_JOBS, 1, SLOT_COUNT)
        return cls(base, root.expanduser().absolute(), jobs, slots)

    def settings_for(self, major: int, slot: Slot, state_dir: Path) -> Settings:
        # Forced: the matrix observes every pair, the unsupported ones included; the
        # decision (and its warning) is still recorded with each deployment.
        return replace(
            self.base,
            target="native",
            postgres_major=major,
            temporal_port=slot.temporal_port,
            postgres_port=slot.postgres_port,
            ui_port=slot.ui_port,
            state_dir=state_dir,
            force_version=True,
        )


@dataclass
class MatrixStack:
    """One major's stack and what its bring-up saw."""

    major: int
    slot: Slot
    settings: Settings
    stack: NativeStack
    decision: Decision | None = None
    stages: list[Check] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    postgres_build: str = ""
    error: str = ""
    live_version: str = ""  # what the live server reported (set by the scenario's check)
    port_conflict: bool = False  # a stage failed because something else took a slot port
    teardown: Check | None = None

    @property
    def up(self) -> bool:
        return not self.error

    def report(self) -> dict[str, Any]:
        """For the scenario's attachment: where it ran and what its bring-up saw."""
        return {
            "postgres_major": self.major,
            "temporal_version": self.settings.temporal_version,
            "state_dir": str(self.settings.state_dir),
            "ports": {
                "postgres": self.slot.postgres_port,
                **TemporalPorts(self.slot.temporal_port).all(),
                "ui": self.slot.ui_port,
            },
            "postgres_build": self.postgres_build,
            "recorded_decision": recorded(self.settings.state_dir),
            "stages": [
                {"stage": c.name, "outcome": str(c.outcome), "detail": c.detail}
                for c in self.stages
            ],
            "seconds": self.seconds,
            "error": self.error,
        }

    def run_stages(self, say: Say) -> None:
        stack = self.stack
        steps: list[Callable[[], object]] = [
            self._provision,
            lambda: stack.start(Service.POSTGRES),
            lambda: stack.temporal.ensure_schema(stack.layout.password(), stack.binaries().schema),
            lambda: stack.start(Service.TEMPORAL),
            lambda: stack.start(Service.UI),
        ]
        started = time.monotonic()
        try:
            self.decision = gate(self.settings, say)
            record(self.settings.state_dir, self.decision)
        except Exception as exc:  # recorded as the failed stage; the scenario fails with it
            self.error = f"version gate: {exc}"
            return
        for name, step in zip(BRING_UP_STAGES, steps, strict=True):
            if self.error:
                self.stages.append(Check(name, CheckOutcome.NOT_RUN, "an earlier stage failed"))
                continue
            try:
                step()
                self.stages.append(Check(name, CheckOutcome.PASSED))
            except Exception as exc:  # a failed stage is an observation, not a crash
                self.error = f"{name}: {type(exc).__name__}: {exc}"
                if port_conflict(exc):  # the machine's fault, not the version pair's
                    self.port_conflict = True
                    detail = f"not a compatibility result — {exc}"
                    self.stages.append(Check(name, CheckOutcome.NOT_RUN, detail[:500]))
                else:
                    self.stages.append(Check(name, CheckOutcome.FAILED, f"{exc}"[:500]))
        if not self.error:
            stack.up()  # everything is running: this only records stack.json
        self.seconds["up"] = round(time.monotonic() - started, 1)
        say(f"bring-up {'failed' if self.error else 'done'} in {self.seconds['up']}s")

    def _provision(self) -> None:
        postgres = self.stack.binaries().postgres
        self.postgres_build = f"{postgres.source} {postgres.version}"

    def tear_down(self) -> None:
        started = time.monotonic()
        try:
            self.stack.down(purge=True)  # a matrix state directory exists only for this run
        except Exception as exc:
            self.teardown = Check(TEARDOWN, CheckOutcome.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        self.teardown = Check(TEARDOWN, CheckOutcome.PASSED)
        self.seconds["down"] = round(time.monotonic() - started, 1)


class MatrixPool:
    """Brings the planned majors' stacks up ahead of their scenarios, at most `jobs` alive."""

    def __init__(self, plan: MatrixPlan, planned: Sequence[int], say: Say = stderr_say) -> None:
        self.plan = plan
        self.planned = list(planned)
        self.say = say
        self.capacity = threading.Semaphore(plan.jobs)
        self.lock = threading.Lock()
        self.slots_in_use: set[Slot] = set()
        self.avoided: set[Slot] = set()  # a port of these was taken by someone else mid-run
        self.futures: dict[int, Future[MatrixStack]] = {}
        self.released: set[int] = set()
        self.closed = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=plan.jobs, thread_name_prefix="matrix")
        self.teardowns = ThreadPoolExecutor(max_workers=plan.jobs, thread_name_prefix="teardown")
        self.teardown_futures: list[Future[None]] = []

    def _launch(self, major: int) -> None:
        if major not in self.futures:
            self.futures[major] = self.executor.submit(self._bring_up, major)

    def _take_slot(self) -> Slot:
        def free_slot() -> Slot | None:
            with self.lock:
                for slot in self.plan.slots:
                    taken = slot in self.slots_in_use or slot in self.avoided
                    if not taken and slot.free(self.plan.base.host):
                        self.slots_in_use.add(slot)
                        return slot
            return None

        slot = wait_until(
            free_slot,
            what="a matrix port slot whose ports are all free",
            timeout=SLOT_WAIT_SECONDS,
            accept=lambda found: found is not None,
        )
        assert slot is not None  # accepted only when found
        return slot

    def _bring_up(self, major: int) -> MatrixStack:
        # Wait for room without blocking shutdown forever: close() sets `closed`.
        while not self.capacity.acquire(timeout=1.0):
            if self.closed.is_set():
                raise RuntimeError("the matrix run was closed before this stack started")
        try:
            return self._bring_up_on_a_slot(major)
        except BaseException:
            self.capacity.release()
            raise

    def _bring_up_on_a_slot(self, major: int) -> MatrixStack:
        """Bring `major` up; when a port of its slot turns out to be taken, tear that attempt
        down, avoid the slot for the rest of the run and try another one."""

        def say(line: str) -> None:
            self.say(f"[PostgreSQL {major}] {line}")

        for attempt in range(1, PORT_CONFLICT_ATTEMPTS + 1):
            slot = self._take_slot()
            state_dir = self.plan.root / f"pg{major}-{secrets.token_hex(3)}"
            settings = self.plan.settings_for(major, slot, state_dir)
            matrix_stack = MatrixStack(major, slot, settings, NativeStack(settings, say))
            matrix_stack.run_stages(say)
            if not matrix_stack.port_conflict or attempt == PORT_CONFLICT_ATTEMPTS:
                return matrix_stack
            say(f"{matrix_stack.error}; retrying on another port slot")
            matrix_stack.tear_down()
            with self.lock:
                self.avoided.add(slot)
        raise AssertionError("unreachable: the last attempt returns")

    def get(self, major: int, timeout: float) -> MatrixStack:
        """The stack for `major` once its bring-up finished (successfully or not); the
        next planned majors start coming up meanwhile."""
        self._launch(major)
        position = self.planned.index(major) if major in self.planned else len(self.planned)
        for ahead in self.planned[position + 1 : position + self.plan.jobs]:
            self._launch(ahead)
        return self.futures[major].result(timeout=timeout)

    def release(
        self, matrix_stack: MatrixStack, then: Callable[[], None] | None = None
    ) -> Future[None]:
        """Tear the stack down in the background, so the next major's checks need not wait,
        give its slot back, then call `then` (which records the observation)."""
        if matrix_stack.major in self.released:
            done: Future[None] = Future()
            done.set_result(None)
            return done
        self.released.add(matrix_stack.major)
        future = self.teardowns.submit(self._tear_down, matrix_stack, then)
        self.teardown_futures.append(future)
        return future

    def _tear_down(self, matrix_stack: MatrixStack, then: Callable[[], None] | None) -> None:
        try:
            matrix_stack.tear_down()
        finally:
            with self.lock:
                self.slots_in_use.discard(matrix_stack.slot)
            self.capacity.release()
            if then is not None:
                then()

    def close(self) -> None:
        """Stop and delete every stack still alive (prefetched but never checked), wait for
        the background teardowns, and raise the first thing that went wrong in them."""
        self.closed.set()
        for major, future in self.futures.items():
            if future.cancel():
                continue  # never started
            try:
                matrix_stack = future.result()
            except Exception as exc:  # bring-up crashed before a stack existed
                self.say(f"[PostgreSQL {major}] nothing to tear down: {exc}")
                continue
            self.release(matrix_stack)
        errors = [f.exception() for f in self.teardown_futures if f.exception() is not None]
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.teardowns.shutdown(wait=True)
        if errors:
            raise RuntimeError(f"{len(errors)} matrix teardown(s) failed; first: {errors[0]}")
