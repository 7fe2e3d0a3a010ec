"""The (l,S) cover cuts (planning/lot_cuts.py), with safety stock.

A hand-solved case where the buffer makes the plain cuts useless and the buffered forms give
the MILP optimum as the LP bound; on small random companies with buffers, opening stock,
receipts, lost sales, two routings and changeover hours, every cut added holds at the proven
optimum found without cuts, and the optimum is the same with them.
"""

from __future__ import annotations

import pulp
import pytest

from sop_addin.core.planning import build, lot_cuts, mip_search
from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.solve import solve_model
from sop_addin.core.planning.solvers import SolverOptions
from tests.factories import lot_sized_company as company
from tests.factories import random_lot_sized_company

EXACT = SolverOptions(mip_gap=0.0, time_limit=60.0)


@pytest.fixture(autouse=True)
def _cuts_for_every_sku(monkeypatch):
    # SKUs without a buffer get the facility-location form instead of cuts (lot_location.py):
    # leave it out, so that the cuts are what is tested.
    monkeypatch.setattr(build, "define_lot_location", lambda model: None)


def solve_relaxation(model: PlanModel) -> bool:
    model.problem.solve(pulp.HiGHS(msg=False, mip=False))
    return model.problem.status == pulp.LpStatusOptimal


def relaxation_bound(data: PlanningData, cuts: bool) -> float:
    model = create_model(data)
    if cuts:
        assert lot_cuts.add_lot_cover_cuts(model, lambda: solve_relaxation(model)) > 0
    model.problem.setObjective(model.objectives["service"] + model.objectives["plan"])
    assert solve_relaxation(model)
    return float(pulp.value(model.problem.objective))


def test_the_buffer_no_longer_hides_a_setup_from_the_bound():
    # One item, demand 10 in each of 2 months, 10 on hand, a buffer of 10 (5 a unit-month
    # short), setup 100, holding 1 a unit-month. Best plan: one run of 20 in month 1, closing
    # 20 then 10: 100 + 20 + 10 = 130 (a run each month: 200 + 10 + 10; no run in month 1: 50
    # below the buffer + 100 + 10). The relaxation keeps the buffer with runs at a sliver, and
    # the plain cut x_u - D y_u <= stock_l passes them, since stock_l is the buffer (10 >= 10).
    # Measured from the buffer (stock_1 + below_1 - 10 >= 0), month 1 needs its run whole:
    # x_1 - (10 - 10 + 10) y_1 <= stock_1 + below_1 - 10, and month 2 either its own run or
    # month 1's run of 20: the bound is the optimum.
    data = company([[10], [10]], safety_stock=[10.0], opening=[10.0])
    report = solve_model(create_model(data), EXACT)
    assert report.objective == pytest.approx(130.0, abs=1e-6)
    assert relaxation_bound(data, cuts=True) == pytest.approx(130.0, abs=1e-6)
    assert relaxation_bound(data, cuts=False) < 129.0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_cut_holds_at_the_optimum_found_without_cuts(seed, monkeypatch):
    data = random_lot_sized_company(seed, buffered=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mip_search, "add_lot_cover_cuts", lambda *args, **kwargs: 0)
        plain = create_model(data)
        without = solve_model(plain, EXACT)
    assert without.status in ("Optimal", "Within the gap")
    solution = {var.name: var.varValue or 0.0 for var in plain.problem.variables()}

    cut = create_model(data)
    assert lot_cuts.add_lot_cover_cuts(cut, lambda: solve_relaxation(cut)) > 0
    rows = cut.constraints["Lot-cover"]
    shorts = {var.name for var in cut.variables["below_safety"].values()}
    # The buffered forms are among them (a below_safety variable in the row).
    assert any(shorts & {var.name for var in row} for row in rows.values())
    for name, row in rows.items():
        # A valid cut leaves every lot-size plan feasible, the optimum included.
        lhs = sum(coef * solution[var.name] for var, coef in row.items()) + row.constant
        assert lhs <= 1e-6 * max(1.0, abs(row.constant)), (seed, name, lhs)

    with_cuts = solve_model(create_model(data), EXACT)
    assert with_cuts.service == pytest.approx(without.service, abs=1e-6)
    assert with_cuts.objective == pytest.approx(without.objective, rel=1e-6, abs=1e-6)
