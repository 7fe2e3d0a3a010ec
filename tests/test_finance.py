"""Finance figures on the tiny company, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.finance import finance_plan
from sop_addin.core.planning.data import standard_costs
from tests.factories import M1, M2, frame, inputs_from, tiny_tables


def _balance(rows):
    return pd.DataFrame(
        [{"sku": s, "month": m, "served": q} for (s, m), q in rows.items()],
        columns=["sku", "month", "served"],
    )


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


def test_finance_plan_by_family_and_month():
    inputs = inputs_from(tiny_tables())
    plan = finance_plan(inputs, _balance({("A", M1): 30.0, ("A", M2): 0.0, ("B", M1): 10.0}))
    a1 = plan[(plan["family"] == "F") & (plan["month"] == M1)].iloc[0]
    # A: 30 x price 10 = 300 revenue, 30 x cost 2 = 60 COGS; budget 400.
    assert a1["units"] == 30.0
    assert a1["revenue"] == pytest.approx(300.0)
    assert a1["cogs"] == pytest.approx(60.0)
    assert a1["gross_margin"] == pytest.approx(240.0)
    assert a1["gross_margin_pct"] == pytest.approx(0.8)
    assert a1["revenue_budget"] == pytest.approx(400.0)
    assert a1["revenue_variance"] == pytest.approx(-100.0)
    a2 = plan[(plan["family"] == "F") & (plan["month"] == M2)].iloc[0]
    assert a2["revenue"] == 0.0
    assert pd.isna(a2["gross_margin_pct"])  # no revenue: blank, not a misleading 0%
    assert pd.isna(a2["revenue_budget"])  # no budget line for February
    b1 = plan[(plan["family"] == "G") & (plan["month"] == M1)].iloc[0]
    assert b1["revenue"] == pytest.approx(300.0)  # 10 x 30
    assert b1["gross_margin"] == pytest.approx(270.0)  # 300 - 10 x 3
