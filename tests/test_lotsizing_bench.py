"""The lot-sizing benchmark's instances through the product's planning model.

HAND2 (tests/data/lotsizing) is solved by hand below; the public Trigeiro-Thomas-McClain
instances G53 and F1-F5 are committed beside it (see its README) and solved to their published
optima; the other public files are the benchmark's (bench_lotsizing.py takes any file).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.bench_lotsizing import KNOWN_OPTIMA, main, read_instance, solve_instance
from sop_addin.core.planning.solvers import SolverOptions

HERE = Path(__file__).parent / "data" / "lotsizing"


def test_hand_solved_instance_reaches_its_optimum():
    # Two items on 100 h a period; item 1: 1 h a unit, holding 1, setup 10 h / 100; item 2:
    # 1 h, holding 2, setup 10 h / 50. Demand (item 1, item 2): (20, 10), (30, 10), (20, 40).
    # Item 1 alone is cheapest in one run of 70 in period 1: 100 + holding 50 + 20 = 170.
    # Item 2 alone: 20 in period 1 and 40 in period 3: 100 + holding 10 x 2 = 120; but period 1
    # then needs 70 + 20 units + 20 setup hours = 110 > 100. With item 1's one run, item 2 can
    # only make 10 in period 1 (80 units fit): then 10 in period 2 and 40 in period 3, three
    # setups, 150 (or 50 in period 2: 100 + 40 x 2 = 180). Every other pattern costs more
    # (item 1 in periods 1 and 2: 220 + 120 = 340; in 1 and 3: 230 + 120 = 350), so 320.
    instance = read_instance(HERE / "HAND2.DAT")
    assert instance.capacity == 100.0
    assert instance.demand.tolist() == [[20, 10], [30, 10], [20, 40]]
    report, _ = solve_instance(instance, SolverOptions(mip_gap=0.0))
    assert report.objective == pytest.approx(320.0, abs=1e-6)
    assert report.status == "Optimal"


def test_demand_in_blocks_of_fifteen_columns(tmp_path):
    # 16 items, 2 periods: items 1-15 for both periods, then item 16 for both periods.
    rows = ["16 2", "1", "500"] + ["1 1 0 10"] * 16
    rows += [" ".join(str(i) for i in range(1, 16)), " ".join(str(i) for i in range(101, 116))]
    rows += ["16", "116", "Bi hi su su"]
    path = tmp_path / "B16.DAT"
    path.write_text("\n".join(rows))
    instance = read_instance(path)
    assert instance.demand.shape == (2, 16)
    assert instance.demand[:, 15].tolist() == [16, 116]
    assert instance.demand[1, :3].tolist() == [101, 102, 103]


def test_cli_prints_one_json_line_per_file(capsys):
    assert main([str(HERE / "HAND2.DAT"), "--json", "--time-limit", "10"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert {"instance", "objective", "bound", "gap", "seconds", "status"} <= set(line)
    assert line["objective"] == pytest.approx(320.0)


def test_malformed_file_is_refused(tmp_path, capsys):
    path = tmp_path / "BAD.DAT"
    path.write_text("3 4\n1\n100\n1 1 1\nnot numbers")
    assert main([str(path)]) == 2
    assert "BAD.DAT" in capsys.readouterr().err


# The public instances, through the product's model (the facility-location form, relax-and-fix,
# HiGHS) to their published optima. Seconds on a quiet machine (2026-12-02): SECONDS; F3 (no
# rounded start: relax-and-fix finds one) and G53 take longer than the others and are marked
# slow (they still run; `-m "not slow"` leaves them out). The limit of 300 s is only there so
# that a regression fails instead of hanging.
SECONDS = {"F1": 4.2, "F2": 5.3, "F3": 31.5, "F4": 4.6, "F5": 3.5, "G53": 18.2}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow) if seconds > 15 else name
        for name, seconds in sorted(SECONDS.items())
    ],
)
def test_public_instance_reaches_the_published_optimum(name):
    instance = read_instance(HERE / f"{name}.DAT")
    report, _ = solve_instance(instance, SolverOptions(mip_gap=0.0, time_limit=300.0))
    assert abs(report.objective - KNOWN_OPTIMA[name]) <= 1e-6 * KNOWN_OPTIMA[name]
    assert np.isfinite(report.best_bound)
