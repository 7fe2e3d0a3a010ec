"""Fix-and-optimize (fix_optimize.py): month windows, and a plan improved window by window,
checked with the real HiGHS MIP on a case solved by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pulp
import pytest

from benchmarks.bench_lotsizing import (
    RESOURCE,
    Instance,
    planning_data,
    read_instance,
    solve_instance,
)
from sop_addin.core.planning import mip_search
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.fix_optimize import fix_and_optimize, integer_months, month_windows
from sop_addin.core.planning.solvers import SolverOptions
from sop_addin.core.planning.stages import fixed_lp

TTM = Path(__file__).parents[1] / "benchmarks" / "data" / "ttm"


def _one_item(capacity: float):
    # One item, six months of 10 units, 1 h a unit, holding 1 a unit-month, a run costs 100.
    instance = Instance(
        name="ONE",
        capacity=capacity,
        hours=np.array([1.0]),
        holding=np.array([1.0]),
        setup_hours=np.array([0.0]),
        setup_cost=np.array([100.0]),
        demand=np.full((6, 1), 10.0),
    )
    model = create_model(planning_data(instance))
    model.problem.setObjective(model.objectives["plan"])
    setups = [model.variables["setup"][("I01", RESOURCE, t)] for t in range(6)]
    return model, setups


def test_windows_slide_half_a_window_and_cover_every_month():
    problem = pulp.LpProblem("windows")
    months = {problem.add_variable(f"x{i}_{t}"): t for t in range(15) for i in range(6)}
    windows = month_windows(months, 30)  # 6 integers a month: 5 months a window
    assert [(w.start, w.stop) for w in windows] == [
        (0, 5),
        (2, 7),
        (4, 9),
        (6, 11),
        (8, 13),
        (10, 15),
    ]
    assert set().union(*windows) == set(range(15))
    short = month_windows({problem.add_variable("y"): 0}, 30)
    assert [(w.start, w.stop) for w in short] == [(0, 1)]


def test_every_run_open_becomes_the_two_run_plan():
    # 30 h a month: a run covers at most three months. Every month open costs 600; by hand the
    # least is a run in months 1 and 4, 30 units each: 2 x 100 + holding 20 + 10 twice = 260
    # (one run cannot make 60; three runs cost 300 + 30).
    model, setups = _one_item(capacity=30.0)
    assert len(integer_months(model)) == 6
    start = dict.fromkeys(setups, 1.0)
    assert fixed_lp(model, SolverOptions(), start, None).proven
    cost = pulp.value(model.problem.objective)
    assert cost == pytest.approx(600.0)
    best, best_cost = fix_and_optimize(model, SolverOptions(), start, cost, 60.0, window_integers=2)
    assert best_cost == pytest.approx(260.0)
    assert [best[var] for var in setups] == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert all(var.lowBound == 0 and var.upBound == 1 for var in setups)  # bounds given back
    assert fixed_lp(model, SolverOptions(), best, None).proven  # the plan it names exists
    assert pulp.value(model.problem.objective) == pytest.approx(260.0)


def test_one_window_over_the_horizon_leaves_the_start_to_the_search():
    model, setups = _one_item(capacity=30.0)
    start = dict.fromkeys(setups, 1.0)
    assert fix_and_optimize(model, SolverOptions(), start, 600.0, 60.0) == (start, 600.0)


def test_each_attempt_after_the_first_starts_from_the_plan_improved(monkeypatch):
    # TTM's G45 (long changeovers on a full line) is 2% from its bound after 60 s: with a 0.1%
    # gap asked and 9 s, the first attempt stops outside the gap, fix-and-optimize improves its
    # plan, and the next attempt starts from that. The plan written is never worse than it.
    found: list[tuple[float, float]] = []
    real = mip_search.fix_and_optimize

    def recorded(model, options, start, cost, seconds, *args, **kwargs):
        best, best_cost = real(model, options, start, cost, seconds, *args, **kwargs)
        found.append((cost, best_cost))
        return best, best_cost

    monkeypatch.setattr(mip_search, "fix_and_optimize", recorded)
    report, _ = solve_instance(
        read_instance(TTM / "G45.DAT"), SolverOptions(time_limit=9.0, mip_gap=0.001)
    )
    assert found
    assert all(best <= start for start, best in found)
    assert report.objective <= min(best for _, best in found) + 1e-6 * report.objective
    assert report.best_bound is not None and report.objective >= report.best_bound - 1e-6
