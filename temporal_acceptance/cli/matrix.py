"""`temporal-acceptance matrix`: the @matrix scenarios, one behave process per job.

Each job runs the outline examples of its share of the PostgreSQL majors, on ports of its
own (`-D matrix_slot=N`): the per-scenario fixture stays plain, and the majors still come
up side by side. When every job has ended, docs/COMPATIBILITY.md is regenerated from the
observations they recorded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import SUPPORTED_POSTGRES_MAJORS, parse_postgres_major
from temporal_acceptance.fixtures.matrix import SLOTS

REPORTS = Path("reports/matrix")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    matrix = commands.add_parser(
        "matrix", help="run the @matrix scenarios (a fresh stack per PostgreSQL major)"
    )
    matrix.add_argument("--jobs", type=int, default=2, help="behave processes at once (1–7)")
    matrix.add_argument(
        "--majors", default="", help="comma-separated PostgreSQL majors (default: 12–18)"
    )
    matrix.add_argument(
        "behave_args", nargs=argparse.REMAINDER, help="passed to behave (e.g. -D key=value)"
    )


def parse_majors(text: str) -> list[int]:
    if not text.strip():
        return list(SUPPORTED_POSTGRES_MAJORS)
    return sorted({parse_postgres_major(part) for part in text.split(",") if part.strip()})


def shares(majors: Sequence[int], jobs: int) -> list[list[int]]:
    """Round robin, so the jobs finish at about the same time."""
    if not 1 <= jobs <= SLOTS:
        raise UserError(f"--jobs {jobs} is not between 1 and {SLOTS}", f"use --jobs 1..{SLOTS}")
    split = [list(majors[i::jobs]) for i in range(jobs)]
    return [share for share in split if share]


@dataclass
class Job:
    slot: int
    majors: list[int]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def label(self) -> str:
        return f"job {self.slot} (PostgreSQL {', '.join(map(str, self.majors))})"


def behave_argv(slot: int, majors: Sequence[int], extra: Sequence[str]) -> list[str]:
    names = "|".join(map(str, majors))
    return [
        sys.executable, "-m", "behave", "--tags=@matrix",
        "-n", f"on PostgreSQL ({names}) and",
        "-D", "default_stack=off", "-D", f"matrix_slot={slot}",
        "-f", "plain", "-o", str(REPORTS / f"job-{slot}.log"),
        "-D", f"allure_results={REPORTS / f'allure-results-{slot}'}",
        "--junit-directory", str(REPORTS / f"junit-{slot}"),
        *extra,
    ]  # fmt: skip


def run_matrix(args: argparse.Namespace) -> int:
    majors = parse_majors(args.majors)
    REPORTS.mkdir(parents=True, exist_ok=True)
    extra = [a for a in args.behave_args if a != "--"]
    started = time.monotonic()
    jobs = []
    for slot, share in enumerate(shares(majors, args.jobs)):
        argv = behave_argv(slot, share, extra)
        log = REPORTS / f"job-{slot}.log"
        with (REPORTS / f"job-{slot}.stderr").open("wb") as err:
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        jobs.append(Job(slot, share, process, log))
        print(f"… {jobs[-1].label} started (log: {log})", flush=True)
    failed = []
    for job in jobs:
        status = job.process.wait()
        print(f"{'✓' if status == 0 else '✗'} {job.label} exit status {status}", flush=True)
        if status != 0:
            failed.append(job)
    took = time.monotonic() - started
    print(f"matrix wall time: {took:.0f}s for {len(majors)} majors with --jobs {len(jobs)}")
    for job in failed:
        print(f"see {job.log} and {REPORTS / f'job-{job.slot}.stderr'}", file=sys.stderr)
    return 1 if failed else 0
