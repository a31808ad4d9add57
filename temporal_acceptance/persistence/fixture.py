"""The persistence gates' run-wide state, held by environment.py as `context.persistence`:
the witness workflow (reused while intact), every disruption's timings (printed at the end
of the run), the cleanup that leaves a healthy stack after each disruptive scenario, and
switching a mutant off when the run ends.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from temporal_acceptance.harness import Run
from temporal_acceptance.persistence.disruption import DisruptionTiming
from temporal_acceptance.persistence.recovery import restore
from temporal_acceptance.persistence.stored import Witness


@dataclass
class PersistenceFixture:
    witness: Witness | None = None
    timings: list[DisruptionTiming] = field(default_factory=list)
    out: TextIO = field(default=sys.stderr, repr=False)

    def cleanup(self, run: Run, test_worker: Any, scenario: Any) -> None:
        """Leave a healthy stack and a running test worker, whatever the scenario did."""
        failed = bool(scenario.status.has_failed())
        outcome = restore(run.stack, failed)
        if failed:
            print(f"persistence cleanup after {scenario.name!r}: {outcome}", file=self.out)
        driver = test_worker.driver
        if driver is not None and not driver.running():
            run.run(test_worker.replace(run))
            print(f"persistence cleanup: started a new test worker ({driver.spec.identity} had "
                  "exited)", file=self.out)  # fmt: skip

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
