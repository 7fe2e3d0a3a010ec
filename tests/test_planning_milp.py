"""Lot sizes, lot multiples and supplier MOQs as a MILP; the LP-relaxation mode; invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from tests.factories import M1, M2, M3, demand, frame, inputs_from, tiny_tables


def _plan(tables, rows, solver="highs", relax=False):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return solve_plan(data, SolverOptions(solver=solver, relax_lots=relax))


def _closing(result, sku):
    b = result.balance
    return b.loc[b["sku"] == sku, "closing"].tolist()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_minimum_lot_forces_one_batch(solver):
    # A needs 20 a month; a run is at least 60. One run of 60 in January serves both months
    # (cost 120 + holding 0.02 x (40 + 20)); two runs would make 120, losing all is 440.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [60.0, 0.0]
    result = _plan(tables, {("A", M1): 20.0, ("A", M2): 20.0}, solver)
    prod = result.production
    assert prod[["sku", "month"]].values.tolist() == [["A", M1]]
    assert prod["quantity"].tolist() == pytest.approx([60.0])
    assert _closing(result, "A") == pytest.approx([40.0, 20.0])
    assert result.report.mip and result.integer_variables == 2
    assert result.report.mip_gap is not None and result.report.mip_gap <= 0.01 + 1e-9
    assert result.report.duals_from.startswith("LPs with setups")


def test_lp_relaxation_mode_ignores_the_lot_rule():
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [60.0, 0.0]
    result = _plan(tables, {("A", M1): 20.0, ("A", M2): 20.0}, relax=True)
    assert result.production["quantity"].tolist() == pytest.approx([20.0, 20.0])
    assert not result.report.mip and result.integer_variables == 0
    assert result.report.duals_from == "LP relaxation of the lot rules"


def test_lot_multiple_rounds_up_to_whole_lots():
    # 40 needed in lots of 25: two lots (50) beat one lot and 15 lost (165 in penalties).
    tables = tiny_tables()
    tables["Routings"]["lot_multiple"] = [25.0, 0.0]
    result = _plan(tables, {("A", M1): 40.0})
    assert result.production["quantity"].tolist() == pytest.approx([50.0])
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


def test_supplier_moq_makes_one_order():
    # A uses 1 M a unit; M's supplier ships in the month (no lead time) but at least 50 an
    # order. 20 a month for two months: one order of 50 in January beats two of 50.
    tables = tiny_tables()
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V1",
                "lead_time_days": 0.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": 100.0,
                "moq": 50.0,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": 1.0, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    result = _plan(tables, {("A", M1): 20.0, ("A", M2): 20.0})
    buys = result.purchases
    assert buys["order_month"].tolist() == [M1]
    assert buys["quantity"].tolist() == pytest.approx([50.0])
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    demand_a=st.lists(st.floats(0, 150), min_size=3, max_size=3),
    demand_b=st.lists(st.floats(0, 60), min_size=3, max_size=3),
    min_lot=st.sampled_from([0.0, 15.0, 45.0]),
    multiple=st.sampled_from([0.0, 5.0, 12.0]),
    backlog=st.booleans(),
    overtime=st.floats(0, 20),
)
def test_lot_plan_invariants(demand_a, demand_b, min_lot, multiple, backlog, overtime):
    tables = tiny_tables(horizon=3)
    tables["Routings"]["min_lot"] = [min_lot, 0.0]
    tables["Routings"]["lot_multiple"] = [0.0, multiple]
    tables["Resources"]["overtime_hours_max"] = overtime
    tables["Resources"]["overtime_cost_per_hour"] = 2.0
    tables["Products"]["unmet_policy"] = ["backlog" if backlog else "lost-sales", None]
    months = [M1, M2, M3]
    rows = {("A", m): q for m, q in zip(months, demand_a, strict=True)}
    rows |= {("B", m): q for m, q in zip(months, demand_b, strict=True)}
    result = _plan(tables, rows)
    prod = result.production
    a_runs = prod.loc[prod["sku"] == "A", "quantity"]
    assert (a_runs >= min_lot - 1e-6).all()  # any run of A is at least the minimum lot
    if multiple:
        for qty in prod.loc[prod["sku"] == "B", "quantity"]:
            lots = qty / multiple
            assert math.isclose(lots, round(lots), abs_tol=1e-6)
    cap = result.capacity
    assert (cap["used_hours"] <= cap["available_hours"] + cap["overtime_hours"] + 1e-5).all()
    assert (cap["overtime_hours"] <= overtime + 1e-6).all()
    b = result.balance
    assert (b["closing"] >= -1e-9).all()
    assert (b["unmet"] <= b["demand"] + 1e-6).all()
    assert (b["backlog"] >= -1e-9).all()
    flow = b["opening"] + b["production"] + b["receipts"] - b["served"] - b["closing"]
    assert flow.abs().max() < 1e-5
    assert result.report.mip_gap is None or result.report.mip_gap <= 0.01 + 1e-9


@pytest.mark.parametrize("hours", [8.0, 0.0])
def test_minimum_lot_that_never_fits_gives_lost_sales_not_a_crash(hours):
    # A minimum lot of 1e9 (or no hours at all) closes every run: the setup binaries have a
    # big-M of 0 and sit in no constraint, so the solver's start must skip them.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [1e9, 0.0]
    tables["Resources"]["hours_per_day"] = [hours]
    result = _plan(tables, {("A", M1): 20.0, ("B", M1): 10.0})
    b = result.balance
    assert b.loc[b["sku"] == "A", "unmet"].sum() == pytest.approx(20.0)
    assert result.production.loc[result.production["sku"] == "A"].empty


def test_blocked_supplier_gives_lost_sales_not_a_crash():
    # M's supplier can ship nothing (daily limit 0) and has an MOQ: no order, A is lost.
    tables = tiny_tables()
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V1",
                "lead_time_days": 0.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": 0.0,
                "moq": 50.0,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": 1.0, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    result = _plan(tables, {("A", M1): 20.0})
    assert result.balance.loc[result.balance["sku"] == "A", "unmet"].sum() == pytest.approx(20.0)
    assert result.purchases.empty
