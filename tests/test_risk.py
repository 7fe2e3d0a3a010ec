"""Monte Carlo of the plan: reproducible, and the plan itself when nothing varies."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.core.planning import prepare_planning_data, solve_plan
from sop_addin.core.risk import RiskOptions, monte_carlo, slip_probability
from tests.factories import M1, M2, demand, frame, inputs_from, tiny_tables


def _company():
    tables = tiny_tables()
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V",
                "lead_time_days": 20.0,
                "lead_time_sd_days": 10.4375,
                "daily_limit": 1000.0,
                "moq": 0.0,
            }
        ],
    )
    tables["Materials"] = frame("Materials", [{"material": "M", "unit_cost": 0.0, "supplier": "V"}])
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    tables["MaterialInventory"] = frame(
        "MaterialInventory", [{"material": "M", "site": "S1", "on_hand": 1000.0}]
    )
    inputs = inputs_from(tables)
    wanted = demand({(s, m): q for m in (M1, M2) for s, q in (("A", 40.0), ("B", 15.0))})
    plan = solve_plan(prepare_planning_data(inputs, wanted))
    forecast = wanted.rename(columns={"quantity": "forecast"}).assign(
        lo80=lambda f: f["forecast"] * 0.8, hi80=lambda f: f["forecast"] * 1.2
    )
    return inputs, plan.balance, forecast


def test_slip_probability_from_the_supplier_spread():
    inputs, _, _ = _company()
    # 20 days planned as one month (30.4375 days): late when above it, z = 10.4375 / 10.4375.
    assert slip_probability(inputs, ["A", "B"]) == pytest.approx([0.158655, 0.0], abs=1e-6)


def test_zero_variability_reproduces_the_plan():
    inputs, balance, forecast = _company()
    quiet = RiskOptions(draws=50, demand_scale=0.0, lead_time_scale=0.0, yield_sd=0.0)
    result = monte_carlo(inputs, balance, forecast, quiet)
    for row in result.summary.itertuples():
        assert row.p10 == pytest.approx(row.plan, abs=1e-6)
        assert row.p50 == pytest.approx(row.plan, abs=1e-6)
        assert row.p90 == pytest.approx(row.plan, abs=1e-6)
    fill = result.summary.set_index("metric").loc["Fill rate", "plan"]
    assert fill == pytest.approx(balance["served"].sum() / balance["demand"].sum())
    # Without variability a SKU is short in every draw or in none, as the plan says.
    short = balance.groupby("sku")["unmet"].sum().gt(1e-6).astype(float)
    risk = result.stockouts.set_index("sku")["stockout_probability"]
    assert risk.to_dict() == short.to_dict()


def test_seeded_draws_are_reproducible_and_spread():
    inputs, balance, forecast = _company()
    options = RiskOptions(draws=400, seed=11)
    first = monte_carlo(inputs, balance, forecast, options)
    again = monte_carlo(inputs, balance, forecast, options)
    pd.testing.assert_frame_equal(first.summary, again.summary)
    pd.testing.assert_frame_equal(first.stockouts, again.stockouts)
    other = monte_carlo(inputs, balance, forecast, RiskOptions(draws=400, seed=12))
    assert not first.summary.equals(other.summary)
    summary = first.summary.set_index("metric")
    assert (summary["p10"] <= summary["p50"]).all() and (summary["p50"] <= summary["p90"]).all()
    assert summary.loc["Fill rate", "p10"] < 1.0  # demand above plan in some draws
    risk = first.stockouts.set_index("sku")["stockout_probability"]
    # B is made exactly to its demand with no buffer: demand above the mean in either month
    # runs it short, so most draws do, though not all. A is served in full only by drawing on
    # its safety stock (demand before buffers), so its late material runs it short in some
    # draws, not all.
    assert 0.5 < risk["B"] < 1.0
    assert 0.0 < risk["A"] < 1.0
    a = balance.query("sku == 'A'")
    assert a["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
