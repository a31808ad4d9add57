"""The persistence gates' run-wide state, held by environment.py as `context.persistence`:
the witness workflow (reused while intact), every disruption's timings (printed at the end
of the run), the cleanup that leaves a healthy stack after each disruptive scenario, and
switching a mutant off when the run ends.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from temporal_acceptance.harness import Run
from temporal_acceptance.persistence.disruption import (
    DISRUPTIONS,
    Disruption,
    DisruptionTiming,
)
from temporal_acceptance.persistence.recovery import (
    LATE_NOISE_SECONDS,
    NOTHING_TO_RESTORE,
    SETTLE_TIMEOUT,
    restore,
    wait_quiet,
)
from temporal_acceptance.persistence.stored import Witness

WHOLE_STACK = DISRUPTIONS["the whole stack is taken down and brought up again"]


async def polling_again(run: Run, driver: Any) -> None:
    """The test worker polls the server again. Temporal forgets its pollers when it restarts,
    so any poll it lists counts; after an outage the SDK may back off before polling."""
    driver.baseline = {}
    await driver.wait_polling(await run.client(), SETTLE_TIMEOUT)


@dataclass
class PersistenceFixture:
    witness: Witness | None = None
    timings: list[DisruptionTiming] = field(default_factory=list)
    # Every disruption of the run and when it began (the cleanup's down + up included).
    disruptions: list[tuple[datetime, Disruption]] = field(default_factory=list)
    out: TextIO = field(default=sys.stderr, repr=False)

    def record(self, disruption: Disruption, timing: DisruptionTiming) -> None:
        self.timings.append(timing)
        self.disruptions.append((timing.started_at, disruption))

    def noisy_since(self, when: datetime) -> list[Disruption]:
        """The disruptions whose noise may still show after `when`: those that began at
        most LATE_NOISE_SECONDS before it, and any since."""
        cutoff = when - timedelta(seconds=LATE_NOISE_SECONDS)
        return [disruption for began, disruption in self.disruptions if began >= cutoff]

    def cleanup(self, run: Run, test_worker: Any, scenario: Any) -> None:
        """Leave a settled deployment and a polling test worker, whatever the scenario did:
        the next scenario must not pay for (or see the noise of) this one's disruption."""
        failed = bool(scenario.status.has_failed())
        began = datetime.now(UTC)
        outcome = restore(run.stack, failed)
        if outcome != NOTHING_TO_RESTORE:
            self.disruptions.append((began, WHOLE_STACK))
        if failed:
            print(f"persistence cleanup after {scenario.name!r}: {outcome}", file=self.out)
        driver = test_worker.driver
        try:
            if driver is not None and not driver.running():
                run.run(test_worker.replace(run))
                print(f"persistence cleanup: started a new test worker ({driver.spec.identity} "
                      "had exited)", file=self.out)  # fmt: skip
            elif driver is not None:
                run.run(polling_again(run, driver))
            wait_quiet(run.stack)
        except AssertionError as exc:  # the next scenario's own checks will say what is wrong
            print(f"persistence cleanup: the deployment did not settle: {exc}", file=self.out)

    def summary(self) -> str:
        if not self.timings:
            return ""
        width = max(len(t.disruption) for t in self.timings)
        lines = [f"{'disruption':<{width}}  healthy   progress"]
        for t in self.timings:
            progress = (
                f"{t.progress_seconds:7.2f}s" if t.progress_seconds is not None else "      -"
            )
            lines.append(f"{t.disruption:<{width}}  {t.healthy_seconds:6.2f}s  {progress}")
        return "restart timings (seconds from the start of each disruption):\n" + "\n".join(lines)

    def close(self, run: Run) -> None:
        if text := self.summary():
            print("\n" + text, file=self.out)
        if run.stack.mutant:
            print(
                f"switching the {run.stack.mutant} mutant off: back onto the real data",
                file=self.out,
            )
            run.stack.disable_mutant()
