"""The facility-location form of lot-sized runs (planning/lot_location.py).

Hand-solved cases with opening stock, receipts, lost sales and a buffer; the same MILP optimum
with and without the form (full and truncated window) on small random companies; what it
covers and what it leaves to the (l,S) cuts; and the model given back as built after a solve.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pulp
import pytest

from sop_addin.core.planning import build, lot_location
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.lot_location import fully_covered, residual_demand
from sop_addin.core.planning.solve import solve_model
from sop_addin.core.planning.solvers import SolverOptions
from tests.factories import lot_sized_company as company
from tests.factories import random_lot_sized_company

EXACT = SolverOptions(mip_gap=0.0, time_limit=60.0)


@pytest.fixture(autouse=True)
def _buffered_skus_covered(monkeypatch):
    # The form is valid for SKUs with a buffer too: cover them here (off in the product, see
    # lot_location.COVER_BUFFERED), so that these tests prove it.
    monkeypatch.setattr(lot_location, "COVER_BUFFERED", True)


def plan_cost(data: PlanningData) -> tuple[float, float, bool]:
    """The plan's cost (buffers and cost), its unmet demand's value, and whether it is proven.

    Proven: "Optimal", or "Within the gap" when only the unmet demand's 1e-7 of roundoff room
    (stages.hold_service) is left between it and its bound.
    """
    report = solve_model(create_model(data), EXACT)
    return report.objective, report.service, report.status in ("Optimal", "Within the gap")


def test_residual_demand_takes_opening_stock_and_receipts_first_in_first_out():
    # Demand 10, 20, 30, 40; 15 on hand and 10 received in month 2: month 1 takes 10 of the
    # 15, month 2 the other 5 and the 10 received (5 left for production), then nothing is left.
    assert residual_demand([10, 20, 30, 40], {0: 15.0, 1: 10.0}) == [0, 5, 30, 40]
    # A receipt after the demand it could have served does not serve it.
    assert residual_demand([10, 0, 5], {2: 8.0}) == [10, 0, 0]


def test_opening_stock_and_receipts_with_one_run():
    # Residual demand 0, 5, 30, 40 (above). One run in month 2 of 75: setup 100; stock at the
    # month ends 15 - 10 = 5, 5 + 10 + 75 - 20 = 70, 40, 0: holding 115; total 215. Two runs
    # (months 2 and 4) cost 200 + holding 5 + 30 = 235 + 5; a run in month 1 holds 75 a month
    # longer. So 215.
    data = company([[10], [20], [30], [40]], opening=[15.0])
    data = replace(
        data,
        receipts=pd.Series(
            [10.0],
            index=pd.MultiIndex.from_tuples([("I01", data.months[1])], names=["sku", "month"]),
        ),
    )
    cost, service, proven = plan_cost(data)
    assert (cost, service, proven) == (pytest.approx(215.0, abs=1e-6), 0.0, True)


def test_lost_sales_when_capacity_is_short():
    # 50 h a month, demand 10 then 100: 10 + 100 > 2 x 50, so 10 are lost, in month 2 (a sale
    # lost later weighs less). The plan: 50 made in each month (two setups, 200), 40 held one
    # month (40): 240.
    cost, service, proven = plan_cost(company([[10], [100]], capacity=50.0))
    assert cost == pytest.approx(240.0, abs=1e-6)
    assert service == pytest.approx(10 * 10.0, abs=1e-6)  # 10 units at 10, in the last month
    assert proven


def test_safety_stock_is_built_by_the_run_and_held_to_the_end():
    # Demand 30 a month for 3 months, buffer 20: one run of 110 in month 1 holds 80, 50, 20:
    # 150 + setup 100 = 250. Two runs (80 and 30) cost 200 + 50 + 20 + 20 = 290; three 360.
    cost, service, proven = plan_cost(company([[30], [30], [30]], safety_stock=[20.0]))
    assert (cost, service, proven) == (pytest.approx(250.0, abs=1e-6), 0.0, True)


def test_backlog_products_and_skus_at_other_sites_are_left_out():
    data = company([[30, 20], [30, 20]], backlog=[False, True])
    model = create_model(data)
    assert fully_covered(model) == {"I01"}
    assert {key[0] for key in model.variables["lot_flow"]} == {"I01"}
    other_site = pd.MultiIndex.from_tuples([("I01", "S2")], names=["sku", "site"])
    sites = pd.Series([0.0], index=other_site)
    model = create_model(replace(data, sites=sites))
    assert not model.variables["lot_flow"]


def test_buffered_skus_are_left_out_unless_asked(monkeypatch):
    monkeypatch.setattr(lot_location, "COVER_BUFFERED", False)
    model = create_model(company([[30, 20], [30, 20]], safety_stock=[0.0, 5.0]))
    assert fully_covered(model) == {"I01"}


def test_the_lp_relaxation_of_the_lot_rules_gets_no_extended_form():
    model = create_model(company([[30], [30]]), relax_lots=True)
    assert not model.variables["lot_flow"]
    assert not model.constraints.get("Lot-served")


def test_the_form_tightens_the_lp_bound():
    # One item, demand 40 a month for 4 months, setup 100, holding 1, no capacity limit. With
    # x <= M y alone the relaxation opens each month's run by 40/160 of a setup: 4 x 25 = 100.
    # In facility-location form a month's demand needs a whole setup where it is made: the
    # relaxation is the optimum, one run of 160 in month 1 (100 + holding 120 + 80 + 40 = 340)
    # against a run in months 1 and 3 (200 + 40 + 40 = 280): 280, integral.
    data = replace(company([[40], [40], [40], [40]]), all_demand_met=True)

    def bound(model):
        model.problem.setObjective(model.objectives["plan"])
        model.problem.solve(pulp.HiGHS(msg=False, mip=False))
        return pulp.value(model.problem.objective)

    assert bound(create_model(data)) == pytest.approx(280.0, abs=1e-6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "define_lot_location", lambda model: None)
        assert bound(create_model(data)) < 280.0 - 1.0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("window", ["full", "truncated"])
def test_same_optimum_with_and_without_the_form(seed, window, monkeypatch):
    data = random_lot_sized_company(seed)
    without = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "define_lot_location", lambda model: None)
        without.append(plan_cost(data))
    if window == "truncated":
        monkeypatch.setattr(lot_location, "budget", lambda model: 60)
    model = create_model(data)
    if window == "truncated":
        assert model.constraints.get("Old-stock")  # months past the window: old stock rows
        assert not fully_covered(model)
    else:
        assert fully_covered(model) == {"I01", "I02", "I03"}
    report = solve_model(model, EXACT)
    (cost, service, proven) = without[0]
    assert proven
    assert report.service == pytest.approx(service, abs=1e-6)
    assert report.objective == pytest.approx(cost, abs=1e-6 * max(1.0, cost))
    # Not its status: on seed 1 HiGHS 1.16, given the rounded start, reports an objective and a
    # bound of 1175.337 for a plan whose cost is 1215.337 (the optimum), so the plan is written
    # as "Feasible, not proven" (a HiGHS fault: its own solution's c.x is 1215.337).


def test_the_model_is_given_back_as_built_after_the_search():
    # The MIP search takes the stock of fully covered SKUs out (substitute_stock) and drops the
    # form's rows once the setups are fixed: the balance rows and holding costs are back.
    data = company([[30, 20], [0, 20], [30, 20]])
    model = create_model(data)
    plan = dict(model.objectives["plan"])
    balance = {row.name for row in model.constraints["Product-balance"].values()}
    solve_model(model, EXACT)
    assert model.search_form is None
    assert balance <= set(model.problem._constraints)
    assert dict(model.objectives["plan"]) == pytest.approx(plan)
    for kind in lot_location.ROW_KINDS:
        assert not model.constraints.get(kind)
