"""What each gate does on a target: the external target skips what changes the deployment
and what it was given no input for, and says what the rest do there."""

from __future__ import annotations

from dataclasses import replace

from fake_stack import RecordingStack

from temporal_acceptance.core.errors import NotSupportedOnTarget
from temporal_acceptance.core.settings import Settings
from temporal_acceptance.fixtures.target import plan_for, skip_reason_of
from temporal_acceptance.stack.base import Service

LOG_GATE = ["the test workflow runs", "the server, database and worker logs show no errors"]
DATASTORES = ["the datastores are read from the configuration Temporal runs with"]


class ExternalLike(RecordingStack):
    target = "external"
    supports_disruption = False

    def __init__(self, logs: set[Service], config: str = "") -> None:
        super().__init__(replace(Settings(), temporal_config=config))
        self.with_logs = logs

    def has_logs(self, service: Service) -> bool:
        return service in self.with_logs


def test_the_suites_own_targets_run_everything_without_notes() -> None:
    native = RecordingStack()
    assert plan_for(native, ["disruptive", "P0"], ["PostgreSQL is restarted"]).skip == ""
    assert plan_for(native, ["P1"], LOG_GATE).note == ""


def test_gates_that_change_the_deployment_are_skipped_with_the_reason() -> None:
    stack = ExternalLike(set(Service))
    plan = plan_for(stack, ["disruptive", "P0"], ["the Temporal server is restarted"])
    assert plan.skip.startswith("it changes the deployment")
    assert "the external target never does" in plan.skip
    fake = RecordingStack()
    fake.supports_disruption = False
    assert "the fake target never does" in plan_for(fake, ["disruptive"], []).skip


def test_the_log_gate_needs_a_log_source_for_each_server() -> None:
    plan = plan_for(ExternalLike({Service.TEMPORAL}), ["P1"], LOG_GATE)
    assert plan.skip.startswith("no log source for postgres: set TACC_POSTGRES_LOG")
    both = plan_for(ExternalLike({Service.TEMPORAL, Service.POSTGRES}), ["P1"], LOG_GATE)
    assert both.skip == ""
    assert "reads the deployment's logs" in both.note


def test_the_datastore_gate_needs_the_servers_configuration() -> None:
    plan = plan_for(ExternalLike(set(Service)), ["P1"], DATASTORES)
    assert "TACC_TEMPORAL_CONFIG" in plan.skip
    given = plan_for(ExternalLike(set(Service), "/etc/temporal/server.env"), ["P1"], DATASTORES)
    assert given.skip == ""
    assert "reads the datastores from /etc/temporal/server.env" in given.note


def test_every_other_gate_states_what_it_does_there() -> None:
    stack = ExternalLike(set(Service))
    health = plan_for(stack, ["P0"], ["these services are running and healthy:"])
    assert health.note.startswith("health as seen from outside")
    sql = plan_for(stack, ["P0"], ["Temporal's database has every table this release needs"])
    assert "read-only sessions" in sql.note
    assert (
        plan_for(stack, ["P2"], ["something new"]).note == "runs read-only against the deployment"
    )


def test_an_operation_the_target_cannot_perform_is_a_skip_not_a_failure() -> None:
    assert skip_reason_of(NotSupportedOnTarget("killing temporal", "external")).startswith(
        "killing temporal is not supported on the external target"
    )
    assert skip_reason_of(AssertionError("a real failure")) == ""
    assert skip_reason_of(None) == ""


def test_gates_that_need_a_view_from_inside_are_skipped_saying_why() -> None:
    stack = ExternalLike(set(Service))
    listeners = plan_for(stack, ["P0"], ["none of these services listens beyond this machine:"])
    assert listeners.skip.startswith("it reads the listening sockets")
    role = plan_for(
        stack, ["P0"], ["Temporal's database role is examined from a session of its own"]
    )
    assert "ALTER SYSTEM" in role.skip
    assert plan_for(RecordingStack(), ["P0"], ["none of these services listens beyond"]).skip == ""
