"""Hand-solved supply cases: demand before buffers before cost, lot rules combined, changeovers.

Every expected cost is worked out in the comment beside it. The tiny company (tests/factories.py):
one resource R1 with 10 working days x 8 h = 80 h a month, A takes 1 h and 2 of conversion a
unit, B 2 h and 3; carrying rate 12% a year, so a unit held a month costs 1% of its standard cost.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.build import LegalRuns, create_model
from sop_addin.core.planning.explain import shortfalls
from sop_addin.core.planning.solve import (
    STATUS_NOT_PROVEN,
    STATUS_OPTIMAL,
    STATUS_WITHIN_GAP,
    SolverError,
    _status,
)
from sop_addin.core.planning.solvers import within_gap
from tests.factories import M1, M2, M3, demand, frame, inputs_from, tiny_tables


def _plan(tables, rows, **options):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return solve_plan(data, SolverOptions(**{"mip_gap": 0.0, **options}))


def _row(result, sku, month):
    b = result.balance
    return b[(b["sku"] == sku) & (b["month"] == month)].iloc[0]


def _supplier(tables, moq, daily_limit=100.0, unit_cost=13.0):
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V1",
                "lead_time_days": 0.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": daily_limit,
                "moq": moq,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": unit_cost, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])


# -- legal run sizes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_lot", "multiple", "smallest", "up_of_45", "down_of_170"),
    [
        (0.0, 0.0, 0.0, 45.0, 170.0),  # any quantity
        (100.0, 0.0, 100.0, 100.0, 170.0),  # at least 100
        (0.0, 50.0, 50.0, 50.0, 150.0),  # whole 50s
        (100.0, 30.0, 120.0, 120.0, 150.0),  # whole 30s of at least 100: 120, 150, ...
        (90.0, 30.0, 90.0, 90.0, 150.0),  # a minimum that is a multiple is itself legal
    ],
)
def test_legal_run_sizes(min_lot, multiple, smallest, up_of_45, down_of_170):
    legal = LegalRuns(min_lot, multiple)
    assert legal.smallest == smallest
    assert legal.up(45.0) == up_of_45
    assert legal.down(170.0) == down_of_170
    assert LegalRuns(100.0, 30.0).down(119.0) == 0.0  # no legal run fits in 119


# -- lot rules: the hand-solved cases ------------------------------------------------


def test_moq_and_lot_multiple_buy_and_make_one_whole_lot():
    # One month; A sells at 50 and needs 1 M (13 each) a unit: standard cost 2 + 13 = 15, so a
    # unit held a month costs 0.15. Demand 45, runs in whole lots of 50, the supplier's MOQ 10.
    # Optimal: buy 50 M and make one lot of 50: 50 x 2 + 50 x 13 + 5 left x 0.15 = 750.75.
    # (The order cap used to ignore the lot rounding: it bought nothing and lost 45 units,
    # 2295 in penalties, reported "Optimal".)
    tables = tiny_tables(horizon=1)
    tables["Routings"]["lot_multiple"] = [50.0, 0.0]
    tables["Prices"]["unit_price"] = [50.0, 30.0]
    _supplier(tables, moq=10.0)
    result = _plan(tables, {("A", M1): 45.0})
    assert result.objective == pytest.approx(750.75, abs=1e-6)
    assert result.report.service == pytest.approx(0.0, abs=1e-6)
    assert result.production["quantity"].tolist() == pytest.approx([50.0])
    assert result.purchases["quantity"].tolist() == pytest.approx([50.0])
    assert result.status == STATUS_OPTIMAL


def test_minimum_lot_that_is_not_a_multiple_makes_the_smallest_legal_run():
    # Three months; A costs 10 a unit to make (0.5 h), sells at 500, demand 10 in January.
    # Runs are at least 100 in whole 30s: the smallest legal run is 120, held 110, 110, 110
    # at 0.1 a unit-month: 120 x 10 + 330 x 0.1 = 1233. (The setup's cap used to be 100, no
    # multiple of 30: it lost the 10 units, 5010 in penalties.)
    tables = tiny_tables(horizon=3)
    tables["Routings"]["min_lot"] = [100.0, 0.0]
    tables["Routings"]["lot_multiple"] = [30.0, 0.0]
    tables["Routings"]["hours_per_unit"] = [0.5, 2.0]
    tables["Routings"]["cost_per_unit"] = [10.0, 3.0]
    tables["Prices"]["unit_price"] = [500.0, 30.0]
    result = _plan(tables, {("A", M1): 10.0})
    assert result.objective == pytest.approx(1233.0, abs=1e-6)
    assert result.production["quantity"].tolist() == pytest.approx([120.0])
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


def test_lot_rules_combined_with_changeovers_and_moq():
    # A: minimum 25 in whole 20s (legal runs 40, 60, ...), a changeover of 10 h costing 50 per
    # run, M bought in orders of at least 70 at 1 each (A's standard cost 2 + 1 = 3, held 0.03).
    # Demand 30 in January and 30 in February; R1 has 80 h a month.
    # One run of 60 in January (60 + 10 = 70 h, fits) and one order of 70:
    #   60 x 2 + 50 + 70 x 1 + 30 A held x 0.03 + 10 M held 2 months x 0.01 = 241.1.
    # Two runs of 40 cost 80 x 2 + 100 + 80 (two orders of 70 would be 140) and more: dearer.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [25.0, 0.0]
    tables["Routings"]["lot_multiple"] = [20.0, 0.0]
    tables["Routings"]["setup_hours"] = [10.0, 0.0]
    tables["Routings"]["setup_cost"] = [50.0, 0.0]
    _supplier(tables, moq=70.0, unit_cost=1.0)
    result = _plan(tables, {("A", M1): 30.0, ("A", M2): 30.0})
    assert result.objective == pytest.approx(241.1, abs=1e-6)
    assert result.production["quantity"].tolist() == pytest.approx([60.0])
    assert result.purchases["quantity"].tolist() == pytest.approx([70.0])
    cap = result.capacity.set_index("month")
    assert cap.loc[M1, ["run_hours", "setup_hours", "used_hours"]].tolist() == pytest.approx(
        [60.0, 10.0, 70.0]
    )
    assert cap.loc[M2, "setup_hours"] == pytest.approx(0.0)


def test_setup_cost_alone_batches_runs():
    # No lot rule, a changeover cost of 100 per run: one run of 40 in January,
    # 40 x 2 + 100 + 20 held x 0.02 = 180.4, beats two runs (80 + 200 = 280).
    tables = tiny_tables()
    tables["Routings"]["setup_cost"] = [100.0, 0.0]
    result = _plan(tables, {("A", M1): 20.0, ("A", M2): 20.0})
    assert result.objective == pytest.approx(180.4, abs=1e-6)
    assert result.production["month"].tolist() == [M1]


# -- changeovers take capacity ---------------------------------------------------------------


def test_changeover_hours_count_against_capacity_and_are_named():
    # One month, 80 h, A needs 1 h a unit plus a 10 h changeover: at most 70 of the 75 ordered.
    tables = tiny_tables(horizon=1)
    tables["Routings"]["setup_hours"] = [10.0, 0.0]
    result = _plan(tables, {("A", M1): 75.0})
    assert _row(result, "A", M1)["unmet"] == pytest.approx(5.0, abs=1e-6)
    cap = result.capacity.iloc[0]
    assert (cap["run_hours"], cap["setup_hours"], cap["used_hours"]) == pytest.approx(
        (70.0, 10.0, 80.0)
    )
    cause = result.shortfalls.iloc[0]
    assert cause["cause"] == "changeover capacity"
    assert "10 h of it changeovers" in cause["explanation"]


def test_changeover_hours_use_overtime_too():
    # 80 h plus 20 h of overtime at 1 an hour; a 30 h changeover leaves 70 h for 70 units.
    tables = tiny_tables(horizon=1)
    tables["Routings"]["setup_hours"] = [30.0, 0.0]
    tables["Resources"]["overtime_hours_max"] = 20.0
    tables["Resources"]["overtime_cost_per_hour"] = 1.0
    result = _plan(tables, {("A", M1): 90.0})
    assert _row(result, "A", M1)["served"] == pytest.approx(70.0, abs=1e-6)
    cap = result.capacity.iloc[0]
    assert cap["overtime_hours"] == pytest.approx(20.0)
    assert cap["used_hours"] == pytest.approx(100.0)


# -- demand first, then buffers, then cost ---------------------------------------------------


def _buffer_case(horizon=2):
    # R1 gives 50 h a month (10 days x 5 h) = 50 A; A's safety stock is 20, none on hand.
    tables = tiny_tables(horizon=horizon)
    tables["Resources"]["hours_per_day"] = [5.0]
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "A", "site": "S1", "on_hand": 0.0, "safety_stock": 20.0}]
    )
    return tables


def test_demand_is_served_before_safety_stock():
    # Capacity = demand = 50 a month: every unit ships, the buffer stays empty (it used to lose
    # 20 in January and hold them ever after).
    result = _plan(_buffer_case(), {("A", M1): 50.0, ("A", M2): 50.0})
    for month in (M1, M2):
        row = _row(result, "A", month)
        assert row["served"] == pytest.approx(50.0, abs=1e-6)
        assert row["closing"] == pytest.approx(0.0, abs=1e-6)
        assert row["below_safety_stock"] == pytest.approx(20.0, abs=1e-6)
    assert result.shortfalls.empty
    assert result.report.service == pytest.approx(0.0, abs=1e-6)


def test_buffer_is_built_before_cost_is_saved():
    # Demand 30 a month leaves 20 h free each month: the buffer of 20 is built in January even
    # though it costs 20 x 2 + holding 20 x 0.02 a month (the buffer weighs more than making).
    result = _plan(_buffer_case(), {("A", M1): 30.0, ("A", M2): 30.0})
    assert _row(result, "A", M1)["closing"] == pytest.approx(20.0, abs=1e-6)
    assert _row(result, "A", M2)["below_safety_stock"] == pytest.approx(0.0, abs=1e-6)
    # Cost: 50 + 30 made x 2 = 160, 20 held two months x 0.02 = 0.8.
    assert result.objective == pytest.approx(160.8, abs=1e-6)


def test_buffer_is_built_even_on_overtime():
    # Only overtime is free: 50 h regular all go to demand; 20 h of overtime at 9 an hour build
    # the buffer (the buffer weighs standard cost + overtime cost + half A's value + 1).
    tables = _buffer_case(horizon=1)
    tables["Resources"]["overtime_hours_max"] = 20.0
    tables["Resources"]["overtime_cost_per_hour"] = 9.0
    result = _plan(tables, {("A", M1): 50.0})
    row = _row(result, "A", M1)
    assert (row["served"], row["closing"]) == pytest.approx((50.0, 20.0), abs=1e-6)


def test_a_whole_lot_for_a_buffer_never_costs_a_sale():
    # One month, 80 h. A (0.5 h a unit) runs in whole lots of 50 and wants a safety stock of
    # 60, none on hand; B (1 h a unit) has a 5 h changeover. Demand: 40 A, 26 B.
    # Serving both: A 50 (25 h) and B 26 (26 h + 5 h) = 56 h. The lot of 100 that would fill
    # A's buffer takes 50 h and leaves B 25 h: one B lost. A sale weighs 28 (B's margin 27 + 1)
    # and a unit below A's buffer 9.5 (making it on overtime, 2 + 2, plus half A's value of 9,
    # plus 1): with K = 21 / 9 the weighted search gave B's sale (28 K = 65) for 50 units of
    # buffer (475). Demand first: 50 x 2 + 26 x 3 + 50 below x 9.5 + 10 held x 0.02 = 653.2.
    tables = tiny_tables(horizon=1)
    tables["Routings"]["hours_per_unit"] = [0.5, 1.0]
    tables["Routings"]["lot_multiple"] = [50.0, 0.0]
    tables["Routings"]["setup_hours"] = [0.0, 5.0]
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "A", "site": "S1", "on_hand": 0.0, "safety_stock": 60.0}]
    )
    result = _plan(tables, {("A", M1): 40.0, ("B", M1): 26.0})
    assert result.report.service == pytest.approx(0.0, abs=1e-6)
    assert result.production["quantity"].tolist() == pytest.approx([50.0, 26.0])
    assert _row(result, "A", M1)["below_safety_stock"] == pytest.approx(50.0)
    assert result.objective == pytest.approx(653.2, abs=1e-6)
    assert result.status == STATUS_OPTIMAL


def test_shortfall_kept_as_safety_stock_is_named_so():
    # A plan that kept the buffer while losing demand (what a single weighted objective used to
    # choose): the explanation names the buffer, not the capacity.
    data = prepare_planning_data(inputs_from(_buffer_case()), demand({("A", M1): 50.0}))
    model = create_model(data)
    v = model.variables
    values = {
        v["make"][("A", "R1", 0)]: 50.0,
        v["stock"][("A", 0)]: 20.0,
        v["lost"][("A", 0)]: 20.0,
        v["stock"][("A", 1)]: 20.0,
    }
    for var in model.problem.variables():
        var.varValue = values.get(var, 0.0)
    table = shortfalls(model)
    assert table["cause"].tolist() == ["kept as safety stock"]
    assert table["unmet"].tolist() == pytest.approx([20.0])
    assert "20 units closed 2027-01 in stock" in table["explanation"].iloc[0]


# -- what the report may call optimal --------------------------------------------------------


def test_status_says_optimal_only_for_a_proof():
    # (proven, [cost gap, unmet-demand gap])
    assert _status(True, [])[0] == STATUS_OPTIMAL  # an LP solved to optimality
    assert _status(True, [0.0, 0.0])[0] == STATUS_OPTIMAL
    assert _status(True, [0.004, 0.0])[0] == STATUS_WITHIN_GAP
    assert _status(True, [0.0, 12.5])[0] == STATUS_WITHIN_GAP  # unmet demand not proven least
    assert _status(False, [0.03, 0.0])[0] == STATUS_NOT_PROVEN
    # Roundoff is no gap (the final LPs may serve a sale a month sooner, a 1e-5 tie-break).
    assert _status(True, [1.2e-5, 1e-7])[0] == STATUS_OPTIMAL
    assert within_gap(1.2e-5, 0.0) and within_gap(0.01, 0.01)
    assert not within_gap(0.0101, 0.01) and not within_gap(2e-4, 0.0)


def test_a_time_limited_lp_without_a_proven_plan_is_an_error():
    # HiGHS stops at once: no plan it proved feasible, so nothing may be written.
    tables = tiny_tables(horizon=3)
    rows = {(s, m): 40.0 for s in ("A", "B") for m in (M1, M2, M3)}
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    with pytest.raises(SolverError, match="no proven-feasible plan"):
        solve_plan(data, SolverOptions(time_limit=1e-9))


def test_report_rows_say_demand_comes_first():
    result = _plan(tiny_tables(), {("A", M1): 100.0})
    table = dict(zip(result.solver_table["figure"], result.solver_table["value"], strict=True))
    assert table["objective order"].startswith("1. unmet demand")
    # 20 A lost (80 h for 100), worth A's margin 8 + 1 = 9 each: 180.
    assert float(table["unmet demand value"]) == pytest.approx(180.0)
    assert isinstance(result.balance, pd.DataFrame)
