"""The clean-up of solver noise: a sale lost while stock stays is shipped from that stock."""

from types import SimpleNamespace

import pandas as pd
import pulp
import pytest

from sop_addin.core.planning.stock_noise import NOISE, ship_kept_stock


def _model(lost, stock, target=0.0, demand=12.5):
    months = pd.date_range("2027-01-01", periods=len(stock), freq="MS")
    problem = pulp.LpProblem("noise")

    def series(kind, values):
        found = {}
        for t, value in enumerate(values):
            # A month loses at most its demand (build.py bounds the lost sales so).
            high = demand if kind == "lost" else None
            var = problem.add_variable(f"{kind}_{t}", lowBound=0, upBound=high)
            var.varValue = value
            found[("A", t)] = var
        return found

    variables = {
        "lost": series("lost", lost),
        "stock": series("stock", stock),
        "below_safety": series("below", [max(0.0, target - s) for s in stock]),
    }
    products = pd.DataFrame({"safety_stock": [target]}, index=["A"])
    return SimpleNamespace(
        variables=variables, data=SimpleNamespace(months=months, products=products)
    )


def _values(model, kind):
    return [round(var.varValue, 9) for var in model.variables[kind].values()]


def test_stock_kept_to_the_horizon_end_ships_now():
    model = _model(lost=[0.0, 0.003, 0.0], stock=[5.0, 2.0, 2.0], target=3.0)
    assert ship_kept_stock(model) == 1
    assert _values(model, "lost") == [0.0, 0.0, 0.0]
    assert _values(model, "stock") == [5.0, 1.997, 1.997]
    assert _values(model, "below_safety") == [0.0, 1.003, 1.003]


def test_stock_used_up_later_ships_sooner_and_the_later_month_loses_it():
    # 0.0024 units stay from February to May while sales are lost; June ships them. Shipping
    # them in February instead: stock 0 from February, June loses 0.0024 more (same total).
    model = _model(
        lost=[0.0, 10.0, 12.0, 12.0, 12.0, 11.9976],
        stock=[1.0, 0.0024, 0.0024, 0.0024, 0.0024, 0.0],
    )
    assert ship_kept_stock(model) == 1
    assert _values(model, "lost") == pytest.approx([0.0, 9.9976, 12.0, 12.0, 12.0, 12.0])
    assert _values(model, "stock") == pytest.approx([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert sum(_values(model, "lost")) == pytest.approx(10.0 + 3 * 12.0 + 11.9976)


def test_a_real_shortfall_stays():
    model = _model(lost=[0.0, 5.0, 0.0], stock=[10.0, 3.0, 3.0])
    assert NOISE < 5.0
    assert ship_kept_stock(model) == 0
    assert _values(model, "lost") == [0.0, 5.0, 0.0]
