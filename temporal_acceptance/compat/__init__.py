"""Version compatibility: the Temporal × PostgreSQL matrix as data, the deploy command's
decision (supported / untested / unsupported, forced), live version detection, the @matrix
run's observations and the generated docs/COMPATIBILITY.md."""

from temporal_acceptance.compat.decision import Decision, Outcome, decide
from temporal_acceptance.compat.matrix import Cell, Support, lookup

__all__ = ["Cell", "Decision", "Outcome", "Support", "decide", "lookup"]
