"""The mutant catalogue: seeded defects of the *deployment* (never edits of the suite), each
with the gates that must catch it.

A mutant is switched on for a run with `-D mutant=NAME` (`Stack.enable_mutant`); the stack
driver applies it at its own hook points (a configuration it renders, a role it creates, a
row it deletes after `up`, a process it freezes). `temporal-acceptance mutation` runs each
mutant against its scenarios — they must fail, with a message matching `message` — and the
clean stack against the same scenarios (no false alarm), then writes docs/MUTANTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporal_acceptance.core.errors import UserError


@dataclass(frozen=True)
class Mutant:
    name: str
    summary: str  # the defect, in a deployment's words
    targets: tuple[str, ...]  # where the driver can seed it: "native", "compose"
    tags: str  # behave --tags expression selecting the gates that must catch it
    must_fail: str  # regex on the names of scenarios that must fail
    message: str  # regex the failure message of those scenarios must match
    in_check: bool = False  # its gates run in `make check`, so CI runs this mutant too
    # It listens on every address: its whole behave run goes inside a network namespace of
    # its own whose only interface is loopback (`temporal-acceptance isolated -- behave ...`;
    # the driver refuses it anywhere else).
    isolated: bool = False


# `must_fail` naming this is not a scenario: the end-of-run secrets gate (environment.py),
# which fails the behave run itself (exit status 1) with its message on the console.
RUN_SECRETS_GATE = "the run's secrets gate"


CATALOGUE: tuple[Mutant, ...] = (
    Mutant(
        "ephemeral-postgres",
        "PostgreSQL's data directory is wiped at every start (a disk that does not persist)",
        ("native",),
        "@phase4 and not @inflight and not @load",
        # The first restart of PostgreSQL loses Temporal's namespace too: the test worker
        # dies of it (NamespaceNotFound) and is never replaced, so the later scenarios,
        # the whole stack's included, fail on the dead worker, not on what they compare.
        r"Nothing stored changes when PostgreSQL is restarted",
        r"lost",
        in_check=True,
    ),
    # ---- the security gates of issue 12, part A (seeded by stack/native/seeded.py)
    Mutant(
        "trust-auth",
        "PostgreSQL trusts every TCP login: any password, or none, is accepted",
        ("native",),
        "@phase2 and not @ui",
        r"PostgreSQL rejects a wrong password",
        r"accepted a wrong password",
        in_check=True,
    ),
    Mutant(
        "postgres-any-address",
        "PostgreSQL listens on every address (listen_addresses = '*'), not only loopback",
        ("native",),
        "@phase2 and not @ui",
        r"Every service of the deployment listens on loopback only",
        r"postgres listens on (0\.0\.0\.0|\[::\]):\d+ .*not on loopback",
        in_check=True,
        isolated=True,
    ),
    Mutant(
        "frontend-any-address",
        "the Temporal frontend binds every address (bindOnIP 0.0.0.0), not only loopback",
        ("native",),
        "@phase2 and not @ui",
        r"Every service of the deployment listens on loopback only",
        r"temporal listens on (0\.0\.0\.0|\[::\]):\d+ .*not on loopback",
        in_check=True,
        isolated=True,
    ),
    Mutant(
        "temporal-superuser",
        "Temporal's PostgreSQL role is a superuser (it can reconfigure the server)",
        ("native",),
        "@phase2 and not @ui",
        r"Temporal's database role has only the privileges it needs",
        r"is a superuser",
        in_check=True,
    ),
    Mutant(
        "visibility-wrong-database",
        "Temporal's visibility store is another database with a visibility schema "
        "(temporal_visibility_old), not temporal_visibility",
        ("native",),
        "@phase2 and not @ui",
        r"The datastores Temporal runs with are its own databases",
        r"visibility store .*uses database temporal_visibility_old, not temporal_visibility",
        in_check=True,
    ),
    Mutant(
        "password-in-log",
        "a deploy step writes Temporal's connection string, password included, to its log",
        ("native",),
        "@phase2 and not @ui",
        RUN_SECRETS_GATE,
        r"Temporal's PostgreSQL password appears in .*deploy\.log line \d+",
        in_check=True,
    ),
    # -- operator gates (issue 14): configuration defects operators really ship
    Mutant(
        "max-connections-too-small",
        "PostgreSQL's max_connections (50) is below what Temporal's pools may open (a small "
        "managed instance)",
        ("native",),
        "@phase2 and not @ui",
        r"Every role's pools and the other clients fit, with headroom",
        r"Temporal's pools may open \d+ connections",
        in_check=True,
    ),
    Mutant(
        "second-shard-count",
        "numHistoryShards changed in the configuration after the cluster was created "
        "(Temporal keeps the old count and only warns, temporal#4835)",
        ("native",),
        "@phase2 and not @ui",
        r"One history shard count everywhere, every shard owned",
        r"the configuration asks for 8 history shards but the cluster was created with 4",
        in_check=True,
    ),
    Mutant(
        "postgres-tls-not-required",
        "PostgreSQL has TLS but still accepts plain TCP logins (host instead of hostssl)",
        ("native",),
        "@phase2 and not @ui",
        r"Temporal's connections are encrypted and a plain client is refused",
        r"PostgreSQL accepted a client without TLS",
        in_check=True,
    ),
    Mutant(
        "history-persistence-too-slow",
        "history's persistence is slower than its health threshold (a database too slow or too "
        "far for it): history reports NOT_SERVING while the frontend serves",
        ("native",),
        "@phase2 and not @ui",
        r"The server reports every role healthy, not only the frontend",
        r"AdminService DeepHealthCheck at \S+ is NOT_SERVING",
        in_check=True,
    ),
    Mutant(
        "blob-limit-above-grpc",
        "limit.blobSize.error raised to 6 MiB, above what one gRPC message carries (4 MiB): "
        "payloads under the configured limit fail anyway",
        ("native",),
        "@phase3",
        r"A payload just under the limit completes; one over it is rejected cleanly",
        r"just under the configured limit",
    ),
    # ---- the gates of issue 12, part B (seeded by stack/native/defects.py unless noted)
    Mutant(
        "visibility-schema-behind",
        "the visibility database's schema is one version behind the release (restored from "
        "a backup taken before its last migration)",
        ("native",),
        "@phase2 and not @ui",
        r"Both Temporal databases exist at the schema version this release expects",
        r"temporal_visibility",
        in_check=True,
    ),
    Mutant(
        "visibility-drops-closed",
        "the visibility store loses every workflow once it closes: closed workflows are "
        "missing from visibility",
        ("native",),
        "@phase3 and not @ui",
        r"The completed workflow's execution, history and visibility are in PostgreSQL",
        r"visibility",
        in_check=True,
    ),
    Mutant(
        "history-deleted-on-restart",
        "the history rows of completed workflows are deleted whenever Temporal starts (a "
        "cleanup job gone wrong)",
        ("native",),
        "@phase4 and not @inflight and not @load",
        r"Nothing stored changes when (the Temporal server|Temporal|the whole stack) is restarted",
        r"history",
        in_check=True,
    ),
    Mutant(
        "table-missing",
        "a table the release needs is missing from Temporal's database",
        ("native",),
        "@phase2 and not @ui",
        r"The tables Temporal needs are present",
        r"replication_tasks_dlq",
        in_check=True,
    ),
    Mutant(
        "worker-oom-killed",
        "the test worker's process is killed (as by the OOM killer) while a workflow waits "
        "for its signal, and nothing restarts it (seeded by the worker fixture)",
        ("native",),
        "@phase3 and not @ui",
        r"The five stages complete in order",
        r"killed by signal 9",
        in_check=True,
    ),
    Mutant(
        "late-timer",
        "the Temporal server stalls for 10 s (frozen with SIGSTOP) whenever a user timer is "
        "pending, so timers fire late",
        ("native",),
        "@phase3 and not @ui",
        r"The five stages complete in order",
        r"timer fired .* late",
        in_check=True,
    ),
    Mutant(
        "temporal-log-elsewhere",
        "Temporal writes its log to a file of its own, not where the deployment's log is "
        "read: its errors would go unseen",
        ("native",),
        "@phase3 and not @ui",
        r"log no errors while the workflow runs",
        r"no lines from temporal since .*: is its log being written\?",
        in_check=True,
    ),
    Mutant(
        "ui-wrong-frontend",
        "the Temporal UI is pointed at the history service's port instead of the frontend's",
        ("native",),
        "@phase2 and not @ui",
        r"The Temporal UI answers and lists the default namespace",
        r"cannot list namespaces",
        in_check=True,
    ),
    # ---- the load gate (issue 17; stack/native/config_mutants.py)
    Mutant(
        "namespace-rps-too-low",
        "the frontend's per-namespace rate limit is 20 requests/s (copied from a shared "
        "development cluster): one workflow runs, a burst of them crawls",
        ("native",),
        "@load",
        r"A burst of short workflows and a batch of five-stage ones stay within the thresholds",
        r"workflows/s, expected at least|latency p\d\d .* expected at most|did not complete",
    ),
)
MUTANTS = {mutant.name: mutant for mutant in CATALOGUE}


def parse_mutant(name: str, target: str) -> Mutant:
    """The catalogue entry, or one line naming the known ones (for this target)."""
    cleaned = name.strip().lower()
    known = sorted(m.name for m in CATALOGUE if target in m.targets)
    mutant = MUTANTS.get(cleaned)
    if mutant is None or target not in mutant.targets:
        raise UserError(
            f"the {target} target has no mutant {name!r}",
            f"use one of: {', '.join(known) or '(none)'} (docs/MUTANTS.md)",
        )
    return mutant
