"""Exec KPIs from small hand-made plan tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.kpis import headline_kpis, monthly_summary, resource_load, top_risks
from tests.factories import M1, M2

BALANCE = pd.DataFrame(
    {
        "sku": ["A", "A", "B", "B"],
        "month": [M1, M2, M1, M2],
        "demand": [100.0, 100.0, 50.0, 0.0],
        "served": [80.0, 100.0, 50.0, 0.0],
        "unmet": [20.0, 0.0, 0.0, 0.0],
        "closing": [0.0, 5.0, 0.0, 7.0],
    }
)
CAPACITY = pd.DataFrame({"resource": ["R1", "R1"], "month": [M1, M2], "utilisation": [1.0, 0.5]})
FINANCE = pd.DataFrame(
    {
        "family": ["F", "F"],
        "month": [M1, M2],
        "revenue": [1000.0, 800.0],
        "gross_margin": [400.0, 200.0],
        "revenue_budget": [900.0, None],
    }
)
PURCHASES = pd.DataFrame({"cost": [10.0, 15.0]})


def test_headline_kpis():
    kpis = headline_kpis(BALANCE, CAPACITY, FINANCE, PURCHASES, "EUR").set_index("kpi")["value"]
    assert kpis["Consensus demand"] == 250.0
    assert kpis["Constrained supply (demand served)"] == 230.0
    assert kpis["Unmet demand"] == 20.0
    assert kpis["Fill rate"] == pytest.approx(92.0)
    assert kpis["Revenue"] == 1800.0
    assert kpis["Gross margin %"] == pytest.approx(100 * 600 / 1800)
    assert kpis["Revenue vs budget"] == pytest.approx(100.0)  # only budgeted months compared
    assert kpis["Purchase spend"] == 25.0
    assert kpis["Closing inventory (last month)"] == 12.0
    assert kpis["Peak capacity utilisation"] == pytest.approx(100.0)
    details = headline_kpis(BALANCE, CAPACITY, FINANCE, PURCHASES, "EUR").set_index("kpi")["detail"]
    assert details["Peak capacity utilisation"] == "R1, 2027-01"


def test_monthly_summary():
    summary = monthly_summary(BALANCE, CAPACITY, FINANCE).set_index("month")
    assert summary.loc[M1, "fill_rate"] == pytest.approx(130 / 150)
    assert summary.loc[M2, "fill_rate"] == pytest.approx(1.0)
    assert summary.loc[M2, "gross_margin_pct"] == pytest.approx(0.25)
    assert summary.loc[M1, "peak_utilisation"] == 1.0


def test_new_tiles_budget_and_bias():
    finance = FINANCE.assign(
        inventory_value=[50.0, 70.0],
        working_capital=[500.0, 650.0],
        margin_budget=[300.0, None],
    )
    accuracy = pd.DataFrame({"lag": [3, 1], "bias": [0.2, -0.05]})
    kpis = headline_kpis(BALANCE, CAPACITY, finance, PURCHASES, "EUR", accuracy=accuracy)
    value = kpis.set_index("kpi")["value"]
    assert value["Inventory value (last month)"] == 70.0
    assert value["Working capital (last month)"] == 650.0
    assert value["Forecast bias"] == pytest.approx(-5.0)
    no_bias = headline_kpis(BALANCE, CAPACITY, finance, PURCHASES, "EUR").set_index("kpi")
    assert pd.isna(no_bias.loc["Forecast bias", "value"])
    assert no_bias.loc["Forecast bias", "detail"] == "no actuals yet: run Plan vs Actual"
    summary = monthly_summary(BALANCE, CAPACITY, finance).set_index("month")
    assert summary.loc[M1, "revenue_budget"] == 900.0
    assert summary.loc[M1, "gross_margin_budget"] == 300.0
    assert pd.isna(summary.loc[M2, "revenue_budget"])  # no budget: blank, not zero


def test_resource_load_and_top_risks():
    capacity = pd.DataFrame(
        {
            "resource": ["R1", "R1", "R2", "R2"],
            "site": ["S", "S", "S", "S"],
            "month": [M1, M2, M1, M2],
            "available_hours": [100.0, 100.0, 50.0, 50.0],
            "used_hours": [100.0, 50.0, 10.0, 20.0],
            "utilisation": [1.0, 0.5, 0.2, 0.4],
        }
    )
    load = resource_load(capacity)
    assert load["resource"].tolist() == ["R1", "R2"]
    assert load["average_utilisation"].tolist() == pytest.approx([0.75, 0.3])
    assert load["months_full"].tolist() == [1, 0]
    stockouts = pd.DataFrame(
        {"sku": ["A", "B"], "stockout_probability": [0.4, 0.0], "expected_unmet": [12.0, 0.0]}
    )
    risks = top_risks(None, None, stockouts, load)
    assert risks[["rank", "kind", "item"]].values.tolist() == [
        [1, "constraint", "R1"],
        [2, "risk", "A"],
    ]
    bottlenecks = pd.DataFrame(
        {
            "constraint": ["Resource-capacity[R2]"],
            "cause": ["capacity"],
            "months_binding": [2],
            "first_month": [M1],
            "max_shadow_price": [4.5],
        }
    )
    shortfalls = pd.DataFrame({"constraint": ["Resource-capacity[R2]"], "unmet": [30.0]})
    risks = top_risks(bottlenecks, shortfalls, stockouts, load)
    assert risks.iloc[0]["item"] == "Resource-capacity[R2]"
    assert risks.iloc[0]["detail"] == (
        "capacity binds in 2 month(s) from 2027-01; up to 4.50 per unit; 30 units short"
    )
