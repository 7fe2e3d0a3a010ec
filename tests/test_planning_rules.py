"""Allocation by margin and priority, backlog vs lost sales, overtime and storage: hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.kpis import monthly_summary
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from tests.factories import M1, M2, demand, frame, inputs_from, tiny_tables


def _plan(tables, rows, solver="highs"):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return solve_plan(data, SolverOptions(solver=solver))


def _row(result, sku, month):
    b = result.balance
    return b[(b["sku"] == sku) & (b["month"] == month)].iloc[0]


def _one_hour_each(tables):
    tables["Routings"].loc[tables["Routings"]["sku"] == "B", "hours_per_unit"] = 1.0


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_short_capacity_takes_from_the_low_margin_product_first(solver):
    # One hour a unit each; 80 h for 100 units. A's margin is 10 - 2 = 8, B's 30 - 3 = 27:
    # B is served in full, A loses the 20 units the hours cannot cover.
    tables = tiny_tables()
    _one_hour_each(tables)
    rows = {("A", M1): 50.0, ("B", M1): 50.0}
    result = _plan(tables, rows, solver)
    assert _row(result, "A", M1)["unmet"] == pytest.approx(20.0, abs=1e-6)
    assert _row(result, "B", M1)["unmet"] == pytest.approx(0.0, abs=1e-6)


def test_customer_priority_outweighs_margin():
    # A's customers come first (priority 1: its margin counts 4x, 4 x 8 + 1 = 33 per hour)
    # against B at priority 3 (27 + 1 = 28 per hour): now B loses the 20 units.
    tables = tiny_tables()
    _one_hour_each(tables)
    tables["Products"]["priority"] = [1, 3]
    result = _plan(tables, {("A", M1): 50.0, ("B", M1): 50.0})
    assert _row(result, "A", M1)["unmet"] == pytest.approx(0.0, abs=1e-6)
    assert _row(result, "B", M1)["unmet"] == pytest.approx(20.0, abs=1e-6)


def test_lost_sales_product_loses_what_the_month_cannot_make():
    tables = tiny_tables()
    result = _plan(tables, {("A", M1): 100.0, ("A", M2): 40.0})
    jan, feb = _row(result, "A", M1), _row(result, "A", M2)
    assert (jan["served"], jan["unmet"], jan["lost"], jan["backlog"]) == pytest.approx(
        (80.0, 20.0, 20.0, 0.0)
    )
    assert (feb["served"], feb["unmet"]) == pytest.approx((40.0, 0.0))


def test_backlog_product_serves_the_shortfall_next_month():
    # 80 h a month: January makes 80 of 100 and owes 20; February makes 40 + 20.
    tables = tiny_tables()
    tables["Products"]["unmet_policy"] = ["backlog", None]
    result = _plan(tables, {("A", M1): 100.0, ("A", M2): 40.0})
    jan, feb = _row(result, "A", M1), _row(result, "A", M2)
    assert (jan["served"], jan["unmet"], jan["backlog"], jan["lost"]) == pytest.approx(
        (80.0, 20.0, 20.0, 0.0)
    )
    assert (feb["production"], feb["served"], feb["backlog"], feb["lost"]) == pytest.approx(
        (60.0, 60.0, 0.0, 0.0)
    )
    # February catches up the 20 owed: reported as backlog served, unmet stays 0.
    assert (feb["unmet"], feb["backlog_served"]) == pytest.approx((0.0, 20.0))
    kinds = set(result.slacks["kind"])
    assert kinds == {"backlog"}  # owed for a month, never lost


def test_backlog_still_owed_at_the_horizon_end_is_reported_lost():
    # 200 due in February: 80 built ahead in January, 80 made in February, 40 still owed.
    tables = tiny_tables()
    tables["Products"]["unmet_policy"] = ["backlog", None]
    result = _plan(tables, {("A", M2): 200.0})
    feb = _row(result, "A", M2)
    assert (feb["served"], feb["backlog"], feb["lost"]) == pytest.approx((160.0, 40.0, 40.0))
    end = result.slacks[result.slacks["kind"] == "backlog at horizon end"]
    assert end["slack"].tolist() == ["Backlog[A,2027-02]"]
    assert end["quantity"].tolist() == pytest.approx([40.0])


def test_overtime_covers_demand_beyond_regular_hours_within_its_limit():
    # 80 regular hours plus at most 10 overtime hours a month (cost 1 each, far below a lost
    # margin). Demand 85 then 100 needs 185 h of 180: both months run all 10 overtime hours,
    # January builds 5 ahead for February, and February still misses 5.
    tables = tiny_tables()
    tables["Resources"]["overtime_hours_max"] = 10.0
    tables["Resources"]["overtime_cost_per_hour"] = 1.0
    result = _plan(tables, {("A", M1): 85.0, ("A", M2): 100.0})
    cap = result.capacity.set_index("month")
    assert cap["overtime_hours"].tolist() == pytest.approx([10.0, 10.0])
    assert cap["used_hours"].tolist() == pytest.approx([90.0, 90.0])
    assert _row(result, "A", M1)["closing"] == pytest.approx(5.0)
    assert _row(result, "A", M2)["unmet"] == pytest.approx(5.0)
    # With only 5 units short in all, no overtime is spent where it is not needed.
    light = _plan(tables, {("A", M1): 85.0})
    assert light.capacity["overtime_hours"].tolist() == pytest.approx([5.0, 0.0])


def test_storage_capacity_limits_building_ahead():
    # February needs 120 on an 80 h resource; January is idle but the store holds only 10.
    tables = tiny_tables()
    tables["Warehouses"] = frame("Warehouses", [{"site": "S1", "storage_capacity": 10.0}])
    result = _plan(tables, {("A", M2): 120.0})
    jan, feb = _row(result, "A", M1), _row(result, "A", M2)
    assert jan["closing"] == pytest.approx(10.0)
    assert feb["unmet"] == pytest.approx(30.0)
    # Without the store's limit, January builds 40 ahead and nothing is lost.
    unlimited = _plan(tiny_tables(), {("A", M2): 120.0})
    assert unlimited.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


def test_released_production_orders_take_capacity():
    # A released order of 30 A due in January takes 30 h of R1's 80: 50 h remain.
    tables = tiny_tables()
    tables["OpenOrders"] = frame(
        "OpenOrders",
        [
            {
                "order_id": "W1",
                "order_type": "production",
                "item": "A",
                "quantity": 30.0,
                "due_month": M1,
            }
        ],
    )
    result = _plan(tables, {("A", M1): 100.0})
    jan = _row(result, "A", M1)
    assert (jan["receipts"], jan["production"], jan["unmet"]) == pytest.approx((30.0, 50.0, 20.0))
    cap = result.capacity.set_index("month")
    assert (cap.loc[M1, "firm_hours"], cap.loc[M1, "used_hours"]) == pytest.approx((30.0, 80.0))


def _backlog(tables, sku="A"):
    products = tables["Products"]
    products.loc[products["sku"] == sku, "unmet_policy"] = "backlog"


def test_backlog_never_borrows_from_customers_to_fill_safety_stock():
    # A waits (backlog) and wants a safety stock of 40 while the resource is down in January:
    # the plan may owe January's 10 but never more, so nothing is "served" below zero.
    tables = tiny_tables()
    _backlog(tables)
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "A", "site": "S1", "on_hand": 0.0, "safety_stock": 40.0}]
    )
    tables["ResourceCalendar"]["working_days"] = [0.0, 10.0]
    result = _plan(tables, {("A", M1): 10.0, ("A", M2): 10.0})
    jan, feb = _row(result, "A", M1), _row(result, "A", M2)
    assert jan["served"] == pytest.approx(0.0) and jan["backlog"] == pytest.approx(10.0)
    assert (result.balance["served"] >= 0).all()
    assert feb["served"] == pytest.approx(20.0)  # February's 10 and January's 10 owed


def test_backlog_catch_up_has_its_own_column_and_unmet_stays_positive():
    # January has no hours: A's 10 is owed, then caught up in February with its own 10.
    tables = tiny_tables()
    _backlog(tables)
    tables["ResourceCalendar"]["working_days"] = [0.0, 10.0]
    result = _plan(tables, {("A", M1): 10.0, ("A", M2): 10.0})
    jan, feb = _row(result, "A", M1), _row(result, "A", M2)
    assert [jan["served"], jan["backlog_served"], jan["unmet"]] == pytest.approx([0.0, 0.0, 10.0])
    assert [feb["served"], feb["backlog_served"], feb["unmet"]] == pytest.approx([20.0, 10.0, 0.0])
    b = result.balance
    assert (b["unmet"] >= 0).all()
    assert (b["served"] <= b["demand"] + b["backlog_served"] + 1e-9).all()
    # demand = served - backlog_served + unmet in every month.
    assert (b["demand"] - (b["served"] - b["backlog_served"] + b["unmet"])).abs().max() < 1e-9

    finance = pd.DataFrame({"month": [M1, M2], "revenue": [0.0, 0.0], "gross_margin": [0.0, 0.0]})
    summary = monthly_summary(b, result.capacity, finance).set_index("month")
    assert summary["fill_rate"].tolist() == pytest.approx([0.0, 1.0])
    assert (summary["fill_rate"] <= 1.0).all() and (summary["unmet"] >= 0).all()
    assert (summary["demand"] - summary["served"] - summary["unmet"]).abs().max() < 1e-9


def test_resource_on_overtime_only_reads_as_overloaded():
    # R1 has no regular hours in January but 30 h of overtime: 20 units of A use 20 h.
    tables = tiny_tables()
    tables["Resources"]["overtime_hours_max"] = [30.0]
    tables["Resources"]["overtime_cost_per_hour"] = [0.1]
    tables["ResourceCalendar"]["working_days"] = [0.0, 10.0]
    result = _plan(tables, {("A", M1): 20.0})
    cap = result.capacity.set_index("month")
    assert cap.at[M1, "available_hours"] == 0.0
    assert cap.at[M1, "used_hours"] == pytest.approx(20.0)
    assert cap.at[M1, "utilisation"] == pytest.approx(1.0 + 20.0 / 30.0)


def test_solver_noise_is_reported_as_zero():
    # CBC leaves e.g. served = -4e-6 in a difference of values: reported as 0, while a real
    # hundredth of a unit stays.
    from sop_addin.core.planning.tables import clean as _clean

    assert _clean(-4e-6) == 0.0 and _clean(3e-6) == 0.0
    assert _clean(0.01) == 0.01 and _clean(-2.5) == -2.5
