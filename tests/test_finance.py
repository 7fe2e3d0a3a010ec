"""Finance figures on the tiny company, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.contract.problems import ValidationError
from sop_addin.core.finance import (
    BELOW,
    OK,
    deviations,
    finance_plan,
    finance_rates,
    sku_finance,
    unit_costs,
)
from sop_addin.core.planning.data import standard_costs
from tests.factories import M1, M2, frame, inputs_from, tiny_tables

# A: family F, North, price 10, unit cost 2 x 1 = 2, freight 0.5 per unit.
# B: family G, South, price 30, unit cost 3, freight 1 per unit + 10% of revenue.
BALANCE = pd.DataFrame(
    [
        {"sku": "A", "month": M1, "served": 30.0, "closing": 5.0},
        {"sku": "A", "month": M2, "served": 0.0, "closing": 5.0},
        {"sku": "B", "month": M1, "served": 10.0, "closing": 0.0},
        {"sku": "B", "month": M2, "served": 4.0, "closing": 2.0},
    ]
)


def _line(plan: pd.DataFrame, family: str, month: pd.Timestamp) -> pd.Series:
    return plan[(plan["family"] == family) & (plan["month"] == month)].iloc[0]


def _set_rate(tables: dict[str, pd.DataFrame], name: str, value: float) -> None:
    rates = tables["FinanceRates"]
    rates.loc[rates["rate"] == name, "value"] = value


def test_standard_cost_is_materials_plus_conversion_over_yield():
    tables = tiny_tables()
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V",
                "lead_time_days": 0.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": 1.0,
                "moq": 0.0,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials",
        [
            {"material": "M1", "unit_cost": 1.5, "supplier": "V"},
            {"material": "M2", "unit_cost": 4.0, "supplier": "V"},
        ],
    )
    tables["BOM"] = frame(
        "BOM",
        [
            {"sku": "A", "material": "M1", "quantity_per_unit": 2.0},
            {"sku": "A", "material": "M2", "quantity_per_unit": 0.5},
        ],
    )
    tables["Routings"].loc[0, "yield"] = 0.8
    costs = standard_costs(inputs_from(tables))
    # A: (2 x 1.5 + 0.5 x 4 + conversion 2) / 0.8 = 7 / 0.8 = 8.75; B: conversion 3.
    assert costs["A"] == pytest.approx(8.75)
    assert costs["B"] == pytest.approx(3.0)


def test_unit_cost_is_material_plus_labour_with_overhead():
    tables = tiny_tables()
    tables["UnitCosts"].loc[0, "material_cost"] = 4.0
    _set_rate(tables, "labour_rate", 30.0)
    _set_rate(tables, "overhead_rate", 0.5)
    costs = unit_costs(inputs_from(tables))
    assert costs["A"] == pytest.approx(4.0 + 2.0 * 30.0 * 1.5)  # 94
    assert costs["B"] == pytest.approx(3.0 * 30.0 * 1.5)  # 135


def test_finance_plan_by_family_and_month():
    plan = finance_plan(inputs_from(tiny_tables()), BALANCE)
    f1 = _line(plan, "F", M1)
    assert f1["units"] == 30.0
    assert f1["revenue"] == pytest.approx(300.0)
    assert f1["cogs"] == pytest.approx(60.0)
    assert f1["gross_margin"] == pytest.approx(240.0)
    assert f1["gross_margin_pct"] == pytest.approx(0.8)
    assert f1["cost_to_serve"] == pytest.approx(15.0)  # 30 x 0.5
    assert f1["inventory_value"] == pytest.approx(10.0)  # 5 x 2
    # 10 + receivables 300 x 30/30 - payables 60 x 15/30
    assert f1["working_capital"] == pytest.approx(280.0)
    assert f1["revenue_budget"] == pytest.approx(400.0)
    assert f1["revenue_variance"] == pytest.approx(-100.0)
    assert f1["margin_budget"] == pytest.approx(100.0)
    assert f1["margin_variance"] == pytest.approx(140.0)
    assert f1["margin_flag"] == OK  # 80% >= threshold 50%
    f2 = _line(plan, "F", M2)
    assert f2["revenue"] == 0.0
    assert pd.isna(f2["gross_margin_pct"])  # no revenue: blank, not a misleading 0%
    assert pd.isna(f2["margin_flag"])
    assert pd.isna(f2["revenue_budget"])  # no budget line for February
    assert f2["working_capital"] == pytest.approx(10.0)
    g1 = _line(plan, "G", M1)
    assert g1["revenue"] == pytest.approx(300.0)  # 10 x 30
    assert g1["gross_margin"] == pytest.approx(270.0)  # 300 - 10 x 3
    assert g1["cost_to_serve"] == pytest.approx(40.0)  # 10 x 1 + 10% of 300
    assert g1["working_capital"] == pytest.approx(285.0)  # 0 + 300 - 30 x 15/30
    lines = sku_finance(inputs_from(tiny_tables()), BALANCE)
    assert lines["revenue"].sum() == pytest.approx(plan["revenue"].sum())
    assert lines["inventory_value"].sum() == pytest.approx(plan["inventory_value"].sum())


def test_margin_threshold_flags_and_deviations():
    tables = tiny_tables()
    _set_rate(tables, "gross_margin_threshold", 0.85)
    tables["Budget"].loc[0, "gross_margin_budget"] = 390.0  # budgeted cost 400 - 390 = 10
    inputs = inputs_from(tables)
    rates = finance_rates(inputs)
    plan = finance_plan(inputs, BALANCE, rates)
    assert _line(plan, "F", M1)["margin_flag"] == BELOW  # 80% < 85%
    assert _line(plan, "G", M1)["margin_flag"] == OK  # 90%
    capacity = pd.DataFrame(
        [
            {"resource": "R1", "month": M1, "overtime_hours": 4.0},
            {"resource": "R1", "month": M2, "overtime_hours": 0.0},
        ]
    )
    resources = tables["Resources"].assign(overtime_cost_per_hour=25.0)
    shortfalls = pd.DataFrame(
        [
            {"sku": "B", "month": M2, "unmet": 7.0, "cause": "lead time", "constraint": "L[V]"},
            {"sku": "A", "month": M2, "unmet": 3.0, "cause": "capacity", "constraint": "R1"},
        ]
    )
    found = deviations(plan, rates, capacity, resources, shortfalls)
    cost = {(r.kind, r.item): r.cost for r in found.itertuples()}
    assert cost == pytest.approx(
        {
            ("overtime", "R1"): 100.0,  # 4 h x 25
            ("expedite", "B"): 14.0,  # 7 units x 2
            ("budget overrun", "F"): 50.0,  # COGS 60 against budgeted 10
            ("margin below threshold", "F"): 15.0,  # 85% x 300 - 240
        }
    )
    assert list(found["cost"]) == sorted(found["cost"], reverse=True)


def test_missing_finance_assumptions_are_named():
    tables = tiny_tables()
    tables["FinanceRates"] = tables["FinanceRates"].iloc[1:].reset_index(drop=True)
    with pytest.raises(ValidationError, match=r"FinanceRates.*labour_rate"):
        finance_plan(inputs_from(tables), BALANCE)
    tables = tiny_tables()
    tables["UnitCosts"] = tables["UnitCosts"].iloc[:1]
    with pytest.raises(ValidationError, match=r"UnitCosts.*SKU\(s\) B"):
        finance_plan(inputs_from(tables), BALANCE)
    tables = tiny_tables()
    tables["Freight"] = tables["Freight"].iloc[:1]
    with pytest.raises(ValidationError, match=r"Freight.*South"):
        finance_plan(inputs_from(tables), BALANCE)
