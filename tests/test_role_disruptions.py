"""Disruptions of one process of a service (topology=multirole): which process, what is
done to it, and what must be healthy afterwards (a crashed one is left down)."""

from __future__ import annotations

import pytest
from fake_stack import RecordingStack

from temporal_acceptance.core.errors import NotSupportedOnTarget, UserError
from temporal_acceptance.stack.base import Process, Service, ServiceStatus
from temporal_acceptance.stack.disruption import DISRUPTIONS, Action, Disruption, perform, unhealthy

T = Service.TEMPORAL
ROLES = [("history-1", "history"), ("history-2", "history"), ("matching", "matching"),
         ("frontend", "frontend"), ("worker", "worker")]  # fmt: skip


class RoleStack(RecordingStack):
    """A stack whose Temporal runs as one process per role."""

    def __init__(self) -> None:
        super().__init__()
        self.down_processes: set[str] = set()

    def processes(self, service: Service) -> list[Process]:
        if service is T:
            return [Process(T, name, role) for name, role in ROLES]
        return super().processes(service)

    def kill_process(self, process: Process) -> None:
        self._do(f"kill {process.name}")
        self.down_processes.add(process.name)

    def start_process(self, process: Process) -> None:
        self._do(f"start {process.name}")
        self.down_processes.discard(process.name)

    def stop_process(self, process: Process) -> None:
        self._do(f"stop {process.name}")
        self.down_processes.add(process.name)

    def process_status(self, process: Process) -> ServiceStatus:
        up = process.name not in self.down_processes
        return ServiceStatus(T, up, up, "" if up else "not running", process=process.name)

    def status(self, service: Service) -> ServiceStatus:
        if service is T and self.down_processes:
            return ServiceStatus(T, True, False, f"down: {sorted(self.down_processes)}")
        return super().status(service)


CASES = [
    ("one history host is killed", ["kill history-1"], {"history-1"},
     "kill -9 of temporal history-1"),
    ("the matching service is killed and started again", ["kill matching", "start matching"],
     set(), "kill -9 + start of temporal matching"),
    ("the frontend is restarted", ["stop frontend", "start frontend"], set(),
     "restart of temporal frontend"),
    ("the killed history host is started again", ["start history-1"], set(),
     "start of temporal history-1"),
]  # fmt: skip


@pytest.mark.parametrize(("phrase", "calls", "left_down", "name"), CASES)
def test_one_process_is_disrupted_and_the_rest_must_be_healthy(
    phrase: str, calls: list[str], left_down: set[str], name: str
) -> None:
    stack = RoleStack()
    stack.down_processes = {"history-1"} if phrase.startswith("the killed") else set()
    timing = perform(stack, DISRUPTIONS[phrase])
    assert stack.calls == calls
    assert stack.down_processes == left_down
    assert timing.disruption == name
    assert timing.process == DISRUPTIONS[phrase].role.replace("history", "history-1")
    assert timing.to_json()["process"] == timing.process
    # when the process was gone: known for a kill and a restart, not for a start alone
    assert (timing.stopped_seconds is not None) == (calls[0].split()[0] in ("kill", "stop"))


def test_a_crashed_process_is_left_out_of_the_health_wait_but_others_are_not() -> None:
    stack = RoleStack()
    stack.down_processes = {"history-1", "matching"}
    history = stack.process_for(T, "history")
    assert unhealthy(stack, left_down=history) == ["temporal matching down — not running"]
    assert unhealthy(stack)[0].startswith("temporal  running, not healthy")


def test_processes_are_addressed_by_role_and_name() -> None:
    stack = RoleStack()
    assert stack.process_for(T, "history", 2).name == "history-2"
    assert stack.process_named(T, "worker").label == "temporal worker"
    with pytest.raises(UserError, match="no temporal process called 'history-3'"):
        stack.process_named(T, "history-3")


def test_a_single_process_stack_refuses_per_role_disruptions_in_one_line() -> None:
    stack = RecordingStack()
    with pytest.raises(UserError, match="no separate history process #1 \\(topology single\\)"):
        perform(stack, DISRUPTIONS["one history host is killed"])
    whole = stack.process_named(T, "")
    assert whole == Process(T, "temporal")
    stack.kill_process(whole)  # the whole service's process: the service-level call
    assert stack.calls == ["kill temporal"]
    with pytest.raises(NotSupportedOnTarget, match="naming the ring identity"):
        stack.ring_identity(whole)
    with pytest.raises(NotSupportedOnTarget, match="kill the single process temporal history-1"):
        stack.kill_process(Process(T, "history-1", "history"))


def test_a_process_action_the_suite_does_not_perform_is_refused() -> None:
    with pytest.raises(ValueError, match="down \\+ up of one process"):
        perform(RoleStack(), Disruption("x", Action.DOWN_UP, T, "history"))
