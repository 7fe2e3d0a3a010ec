"""Exec KPIs from small hand-made plan tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.kpis import headline_kpis, monthly_summary
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
    assert kpis["Peak capacity utilisation (R1, 2027-01)"] == pytest.approx(100.0)


def test_monthly_summary():
    summary = monthly_summary(BALANCE, CAPACITY, FINANCE).set_index("month")
    assert summary.loc[M1, "fill_rate"] == pytest.approx(130 / 150)
    assert summary.loc[M2, "fill_rate"] == pytest.approx(1.0)
    assert summary.loc[M2, "gross_margin_pct"] == pytest.approx(0.25)
    assert summary.loc[M1, "peak_utilisation"] == 1.0
