from __future__ import annotations

import itertools

from temporal_acceptance.cli.bench import Figures


def test_figures_table_reports_median_min_max() -> None:
    figures = Figures()
    clock = itertools.count()
    figures.rows.append(("restart temporal", [2.0, 1.0, 4.0]))
    figures.measure("noop", lambda: next(clock), rounds=2)
    table = figures.table().splitlines()
    assert table[0].startswith("measurement")
    assert table[1].split() == ["restart", "temporal", "2.00s", "1.00s", "4.00s", "3"]
    assert table[2].split()[-1] == "2"
