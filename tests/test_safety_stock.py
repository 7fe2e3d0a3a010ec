"""Safety stock from variability: the formula's figures by hand, and how the plan keeps it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.safety_stock import (
    demand_sd_from_interval,
    safety_stock,
    service_z,
)
from tests.factories import M1, M2, M3, frame, inputs_from, tiny_tables


def test_z_of_common_service_levels():
    assert service_z(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert service_z(0.5) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="between 0 and 1"):
        service_z(1.0)


def test_forecast_error_from_the_80_percent_interval():
    # A normal 80% interval is mean +- 1.2816 sd: 100 +- 25.63 means sd 20.
    assert demand_sd_from_interval(100 - 25.631031, 100 + 25.631031) == pytest.approx(20.0, 1e-6)


def test_formula_by_hand():
    # z 1.645, L 2 months, sd_d 20, d 100, sd_L 0.5: sqrt(2 x 400 + 10000 x 0.25) = sqrt(3300).
    assert safety_stock(1.644854, 100.0, 20.0, 2.0, 0.5) == pytest.approx(
        1.644854 * math.sqrt(3300.0)
    )


def _with_material(tables, lead_days, sd_days):
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V1",
                "lead_time_days": lead_days,
                "lead_time_sd_days": sd_days,
                "daily_limit": 1000.0,
                "moq": 0.0,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": 1.0, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    tables["MaterialInventory"] = frame(
        "MaterialInventory", [{"material": "M", "site": "S1", "on_hand": 1000.0}]
    )


def test_safety_stock_table_from_forecast_interval_and_supplier_spread():
    # A: forecast 40 a month, first month's 80% interval 40 +- 12.816 (sd_d 10); its material's
    # supplier takes 60.875 days (2 months of 30.4375 days) with a spread of 15.21875 days
    # (0.5 months). z(0.95) = 1.644854: SS = 1.644854 x sqrt(2 x 100 + 1600 x 0.25) = 40.29.
    tables = tiny_tables(horizon=3)
    _with_material(tables, 60.875, 15.21875)
    rows = [
        {"sku": "A", "month": m, "quantity": 40.0, "lo80": 40 - 12.815516, "hi80": 40 + 12.815516}
        for m in (M1, M2, M3)
    ]
    data = prepare_planning_data(inputs_from(tables), pd.DataFrame(rows))
    row = data.safety.set_index("sku").loc["A"]
    assert row["mean_demand"] == pytest.approx(40.0)
    assert row["demand_sd"] == pytest.approx(10.0, abs=1e-6)
    assert row["lead_time_months"] == pytest.approx(2.0)
    assert row["lead_time_sd_months"] == pytest.approx(0.5)
    assert row["z"] == pytest.approx(1.644854, abs=1e-6)
    expected = 1.644854 * math.sqrt(2 * 100 + 1600 * 0.25)
    assert row["computed"] == pytest.approx(expected, abs=0.01)
    assert row["target"] == pytest.approx(row["computed"])
    # B has no materials and no forecast interval: L is one plan month and SS 0.
    assert data.safety.set_index("sku").loc["B", "lead_time_months"] == pytest.approx(1.0)
    assert data.safety.set_index("sku").loc["B", "computed"] == 0.0


def test_planner_target_is_a_floor_and_the_plan_keeps_the_buffer():
    tables = tiny_tables(horizon=3)
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "A", "site": "S1", "on_hand": 0.0, "safety_stock": 15.0}]
    )
    rows = [{"sku": "A", "month": m, "quantity": 20.0} for m in (M1, M2, M3)]
    data = prepare_planning_data(inputs_from(tables), pd.DataFrame(rows))
    assert data.safety.set_index("sku").loc["A", "target"] == pytest.approx(15.0)
    result = solve_plan(data, SolverOptions())
    closing = result.balance.loc[result.balance["sku"] == "A", "closing"].tolist()
    assert closing == pytest.approx([15.0, 15.0, 15.0])


def test_higher_service_level_means_more_safety_stock():
    tables = tiny_tables(horizon=3)
    _with_material(tables, 30.0, 10.0)
    rows = [
        {"sku": "A", "month": m, "quantity": 50.0, "lo80": 40.0, "hi80": 60.0} for m in (M1, M2, M3)
    ]
    levels = {}
    for level in (0.9, 0.95, 0.99):
        inputs = inputs_from(tables)
        inputs = type(inputs)(
            settings=inputs.settings.model_copy(update={"service_level": level}),
            tables=inputs.tables,
        )
        data = prepare_planning_data(inputs, pd.DataFrame(rows))
        levels[level] = float(data.safety.set_index("sku").loc["A", "computed"])
    assert levels[0.9] < levels[0.95] < levels[0.99]
