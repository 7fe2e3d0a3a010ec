"""The MILP's start (lot_start.py), its stage-2 shortcut and the noise clean-up (stock_noise.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pulp
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.build import LegalRuns, create_model
from sop_addin.core.planning.lot_start import consolidated, grouped_runs, relax_and_round
from sop_addin.core.planning.solvers import run_solver
from sop_addin.core.planning.stock_noise import NOISE, ship_kept_stock
from tests.factories import M1, M2, demand, demo_planning_data, inputs_from, tiny_tables


def test_consolidated_lots_are_not_repeated_while_the_surplus_covers():
    # Minimum 50: January makes 50 for its 20 (30 over); February's 20 comes from the 30 (10
    # left); March needs 20 - 10 = 10 more, a lot of 50 (40 over), which covers May's 5.
    assert consolidated([20, 20, 20, 0, 5], LegalRuns(50.0, 0.0)) == [50, 0, 50, 0, 0]
    # Minimum 100 in multiples of 30: the smallest legal run is 120, enough for all 65.
    assert consolidated([20, 20, 20, 0, 5], LegalRuns(100.0, 30.0)) == [120, 0, 0, 0, 0]
    # No lot rule: every quantity as it is.
    assert consolidated([3.5, 0, 2], LegalRuns(0.0, 0.0)) == [3.5, 0, 2]


def test_grouped_runs_take_the_cheapest_months_for_setup_and_holding():
    # Setup 25, holding 1 a unit-month, 10 in months 0, 1 and 3. One run for all: 25 + 10 x 1
    # + 10 x 3 = 65; runs in 0 (for 0-1) and 3: 25 + 10 + 25 = 60; three runs: 75. So 60.
    assert grouped_runs([10, 10, 0, 10], LegalRuns(0.0, 0.0), 25.0, 1.0) == [20, 0, 0, 10]
    # With a minimum lot of 30, the group 0-1 needs 30 (10 over), and month 3's 10 is covered.
    assert grouped_runs([10, 10, 0, 10], LegalRuns(30.0, 0.0), 25.0, 1.0) == [30, 0, 0, 0]
    # A setup dearer than holding everything: one run.
    assert grouped_runs([10, 10, 0, 10], LegalRuns(0.0, 0.0), 100.0, 1.0) == [30, 0, 0, 0]


def test_a_start_proven_within_the_gap_needs_no_mip_search():
    # A needs 20 a month; a run is at least 60. The start (one run of 60 in January) costs
    # 120 + holding 0.02 x (40 + 20) = 121.2, which is the LP relaxation's bound too (with the
    # (l,S) cuts the relaxation makes the run whole): proven optimal without a MIP search.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [60.0, 0.0]
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 20.0, ("A", M2): 20.0}))
    result = solve_plan(data, SolverOptions())
    report = result.report
    assert report.objective == pytest.approx(121.2)
    assert report.status == "Optimal"
    assert "no MIP search needed" in report.stop_reason
    assert result.production["quantity"].tolist() == pytest.approx([60.0])


def _noise_model(lost: float, stock: list[float], target: float):
    """A solved model's values as ship_kept_stock reads them: one SKU, len(stock) months."""
    months = pd.date_range("2027-01-01", periods=len(stock), freq="MS")

    problem = pulp.LpProblem("noise", pulp.LpMinimize)

    def var(name: str, value: float) -> pulp.LpVariable:
        v = problem.add_variable(name)
        v.varValue = value
        return v

    variables = {
        "lost": {("A", 0): var("lost", lost)},
        "stock": {("A", t): var(f"s{t}", x) for t, x in enumerate(stock)},
        "below_safety": {("A", t): var(f"b{t}", max(target - x, 0.0)) for t, x in enumerate(stock)},
    }
    products = pd.DataFrame({"safety_stock": [target]}, index=pd.Index(["A"], name="sku"))
    return SimpleNamespace(
        variables=variables, data=SimpleNamespace(products=products, months=months)
    )


def test_a_sale_lost_to_solver_noise_ships_from_the_stock_kept():
    # 0.009 lost in January while stock closes 5, 3, 0.5: shipping it leaves 4.991, 2.991,
    # 0.491; March's buffer of 1 is then short by 0.509 (was 0.5).
    model = _noise_model(0.009, [5.0, 3.0, 0.5], 1.0)
    assert ship_kept_stock(model) == 1
    v = model.variables
    assert v["lost"][("A", 0)].varValue == pytest.approx(0.0)
    assert [v["stock"][("A", t)].varValue for t in range(3)] == pytest.approx([4.991, 2.991, 0.491])
    assert v["below_safety"][("A", 2)].varValue == pytest.approx(0.509)
    assert v["below_safety"][("A", 0)].varValue == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("lost", "stock"),
    [
        (2 * NOISE, [5.0, 3.0]),  # more than noise: a real shortfall, left to be explained
        (0.009, [5.0, 0.0]),  # the stock is gone by February: shipping would break it
    ],
)
def test_real_shortfalls_and_stock_needed_later_are_left_alone(lost, stock):
    model = _noise_model(lost, stock, 0.0)
    assert ship_kept_stock(model) == 0
    assert model.variables["lost"][("A", 0)].varValue == lost


def test_noise_shipped_now_is_lost_in_the_month_the_stock_runs_out():
    # 0.009 lost in January with 5 in stock, none in February (2 lost there, demand 10): ship
    # it in January and lose it in February instead, 2.009; February's stock stays 0.
    model = _noise_model(0.009, [5.0, 0.0], 0.0)
    problem = pulp.LpProblem("later", pulp.LpMinimize)
    later = problem.add_variable("lost1", 0, 10.0)
    later.varValue = 2.0
    model.variables["lost"][("A", 1)] = later
    assert ship_kept_stock(model) == 1
    v = model.variables
    assert v["lost"][("A", 0)].varValue == pytest.approx(0.0)
    assert later.varValue == pytest.approx(2.009)
    assert [v["stock"][("A", t)].varValue for t in range(2)] == pytest.approx([4.991, 0.0])


def test_in_a_hurry_the_start_takes_the_first_rounding_that_fits():
    # Each candidate rounding costs an LP (3-30 s at 2000 products): out of time, the first
    # that fits is taken. Unhurried, every candidate is solved and the best kept.
    data = demo_planning_data(seed=1)  # orders with MOQs and runs with lot rules
    calls = {}
    starts = {}
    for hurry in (False, True):
        model = create_model(data)
        solved = []

        def solve_lp(limit, model=model, solved=solved):
            solved.append(1)
            return run_solver(model.problem, SolverOptions(), mip=False, time_limit=limit).proven

        starts[hurry] = relax_and_round(model, solve_lp, hurry=lambda h=hurry: h)
        calls[hurry] = len(solved)
    assert starts[False] is not None and starts[True] is not None
    # The relaxation, then one candidate per step in a hurry; more unhurried.
    assert calls[True] < calls[False]
