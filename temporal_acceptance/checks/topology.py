"""Judging a cluster of several Temporal processes: its membership rings against the
topology, its history shards against its history hosts, a dead host's shards taken over,
and how late the work due during an outage ran (timers, queued tasks)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporalio.api.history.v1 import HistoryEvent

from temporal_acceptance.clients.membership import Rings
from temporal_acceptance.probes.topology import ShardOwner
from temporal_acceptance.workload.events import E, event_time

WHERE_RING = "see the attached membership (AdminService DescribeCluster) and the role's log"
WHERE_SHARDS = "see the attached shard owners (the shards table) and the history hosts' logs"


def ring_problems(
    rings: Rings, expected: Mapping[str, int], roles_by_identity: Mapping[str, str]
) -> list[str]:
    """Each role's ring holds as many hosts as the topology runs, and exactly the
    deployment's processes of that role (`roles_by_identity`: identity → role)."""
    problems = []
    for role, count in expected.items():
        members = rings.members.get(role, ())
        ours = sorted(i for i, r in roles_by_identity.items() if r == role)
        if len(members) != count:
            problems.append(
                f"the {role} ring has {len(members)} host(s) "
                f"({', '.join(members) or 'none'}), expected {count} — {WHERE_RING}"
            )
        if missing := [i for i in ours if i not in members]:
            problems.append(
                f"the {role} ring lacks this deployment's {role} process(es) "
                f"{', '.join(missing)} — {WHERE_RING}"
            )
        if strangers := [m for m in members if roles_by_identity.get(m) != role]:
            problems.append(
                f"the {role} ring holds host(s) this deployment does not run as {role}: "
                f"{', '.join(strangers)} — {WHERE_RING}"
            )
    return problems


def shares(owners: Mapping[int, ShardOwner]) -> dict[str, list[int]]:
    """Owner identity → the shards it owns."""
    found: dict[str, list[int]] = {}
    for owner in owners.values():
        found.setdefault(owner.owner, []).append(owner.shard)
    return {identity: sorted(shards) for identity, shards in sorted(found.items())}


def ownership_text(owners: Mapping[int, ShardOwner], names: Mapping[str, str]) -> str:
    """One line per owner: its process name, identity and shards."""
    return "\n".join(
        f"{names.get(identity, 'not a history host of this deployment')} ({identity}): "
        f"{len(shards)} shard(s) {shards}"
        for identity, shards in shares(owners).items()
    )


def spread_problems(
    owners: Mapping[int, ShardOwner], shard_count: int, hosts: Mapping[str, str]
) -> list[str]:
    """Every shard 1..shard_count is owned by one of `hosts` (identity → name, the live
    history hosts), and each of them owns at least one."""
    problems = []
    if missing := sorted(set(range(1, shard_count + 1)) - set(owners)):
        problems.append(f"shards {missing} have no row in the shards table — {WHERE_SHARDS}")
    if stray := {s: o.owner for s, o in owners.items() if o.owner not in hosts}:
        problems.append(
            f"{len(stray)} shard(s) are owned by a host that is not a live history host: "
            + ", ".join(f"{shard} by {owner}" for shard, owner in sorted(stray.items()))
            + f" — {WHERE_SHARDS}"
        )
    owned = shares(owners)
    if idle := [
        f"{name} ({identity})" for identity, name in hosts.items() if not owned.get(identity)
    ]:
        problems.append(
            f"{', '.join(idle)} own(s) no shard: the shards are not spread over the "
            f"{len(hosts)} history hosts — {WHERE_SHARDS}"
        )
    return problems


def takeover_problems(
    victim: str,
    victim_shards: Sequence[int],
    owners: Mapping[int, ShardOwner],
    survivors: Mapping[str, str],
    seconds: float | None,
    within: float,
) -> list[str]:
    """Every shard the killed host owned is owned by a surviving history host, within
    the limit (`seconds` from the kill; None: never seen)."""
    problems = []
    left = [s for s in victim_shards if owners.get(s) is None or owners[s].owner not in survivors]
    if seconds is None or left:
        held = ", ".join(f"{s} ({owners[s].owner if s in owners else 'no row'})" for s in left)
        problems.append(
            f"the shards of the killed history host {victim} were not taken over: "
            f"{len(left)} of {len(victim_shards)} still not owned by a live host ({held}) "
            f"— {WHERE_SHARDS}"
        )
    elif seconds > within:
        problems.append(
            f"the {len(victim_shards)} shards of the killed history host {victim} were owned "
            f"by the surviving host after {seconds:.1f} s, more than the limit of {within:g} s "
            f"— {WHERE_SHARDS}"
        )
    if not victim_shards:
        problems.append(
            f"the killed history host {victim} owned no shard, so nothing was taken over: "
            f"the scenario proves nothing — {WHERE_SHARDS}"
        )
    return problems


# -- work that came due during an outage ----------------------------------------------------


@dataclass(frozen=True)
class Lateness:
    """How late one piece of work ran: `due` (when it should have), `ran` (when it did)."""

    workflow_id: str
    what: str
    due: datetime
    ran: datetime

    @property
    def seconds(self) -> float:
        return (self.ran - self.due).total_seconds()

    def line(self) -> str:
        return f"{self.workflow_id}: {self.what} {self.seconds:+.2f} s (due {self.due.isoformat()})"


def timer_lateness(workflow_id: str, events: Sequence[HistoryEvent]) -> Lateness | None:
    """The stage-2 timer: fired (TimerFired's time) against due (TimerStarted's time plus
    its duration), both in the server's clock; None if it has not fired."""
    started = next((e for e in events if e.event_type == E.EVENT_TYPE_TIMER_STARTED), None)
    fired = next((e for e in events if e.event_type == E.EVENT_TYPE_TIMER_FIRED), None)
    if started is None or fired is None:
        return None
    duration = started.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
    due = event_time(started) + duration
    return Lateness(workflow_id, "timer fired", due, event_time(fired))


def delivery_lateness(
    workflow_id: str, events: Sequence[HistoryEvent], since: datetime
) -> Lateness | None:
    """A workflow task scheduled before `since` (when matching was started again) and not
    started by then: how long after `since` the workflow's next task started, in the
    server's clock. (While matching is away a task on the worker's sticky queue times out
    and is scheduled again: the wait is the workflow's, whichever task ends it.)"""
    waiting = False
    for event in events:
        kind, at = event.event_type, event_time(event)
        if at <= since:
            if kind == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                waiting = True
            elif kind == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                waiting = False
        elif waiting and kind == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            return Lateness(workflow_id, "task delivered", since, at)
    return None


def first_progress_since(events: Sequence[HistoryEvent], when: datetime) -> HistoryEvent | None:
    """The first workflow task completed at or after `when` (the server's clock): the
    workflow's history host, its database and the worker moved it on since."""
    return next(
        (
            e
            for e in events
            if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and event_time(e) >= when
        ),
        None,
    )


def lateness_problems(late: Sequence[Lateness], within: float, what: str) -> list[str]:
    """No piece of work ran more than `within` seconds late."""
    over = [one for one in late if one.seconds > within]
    if not over:
        return []
    shown = "; ".join(one.line() for one in sorted(over, key=lambda o: -o.seconds)[:5])
    return [f"{len(over)} {what} ran more than {within:g} s late: {shown}"]


def figures(values: Sequence[float]) -> dict[str, float]:
    """min / median / max of a list of seconds (empty: nothing)."""
    if not values:
        return {}
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def late_summary(late: Sequence[Lateness], threshold: float = 1.0) -> dict[str, object]:
    """How many ran more than `threshold` seconds late, and by how much."""
    delayed = [one.seconds for one in late if one.seconds > threshold]
    return {
        "count": len(late),
        f"more than {threshold:g} s late": len(delayed),
        **figures([one.seconds for one in late]),
    }


def coverage_problems(kinds_hit: Sequence[str], kinds: Sequence[str]) -> list[str]:
    """The dead host's shards held work of every kind (`kinds_hit`: the kind of each
    workflow on them), or the scenario proved less than it claims."""
    missing = [kind for kind in kinds if kind not in kinds_hit]
    if not missing:
        return []
    return [
        f"no workflow of kind {', '.join(missing)} lived on the killed host's shards "
        f"({len(kinds_hit)} workflows did): the crash did not hit every kind of work in flight"
    ]
