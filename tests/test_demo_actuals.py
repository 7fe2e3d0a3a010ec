"""Demo actuals made from the approved plan: plausible plan-vs-actual figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_addin.core.demo_actuals import plan_actuals
from sop_addin.core.governance import ApprovedPlan, plan_vs_actual

M1, M2 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")
SKUS = [f"S{i:02d}" for i in range(40)]


def _plan() -> ApprovedPlan:
    rng = np.random.default_rng(3)
    demand = rng.uniform(50, 500, len(SKUS)).round()
    served = demand * rng.uniform(0.8, 1.0, len(SKUS))
    return ApprovedPlan(
        first_month=M1,
        forecast=pd.DataFrame({"sku": SKUS * 2, "month": [M1] * 40 + [M2] * 40,
                               "forecast": [*demand, *demand]}),
        balance=pd.DataFrame({"sku": SKUS, "month": M1, "demand": demand, "served": served,
                              "closing": demand * 0.3}),
        production=pd.DataFrame({"sku": SKUS, "resource": "R1", "month": M1,
                                 "good_quantity": served}),
        purchases=pd.DataFrame({"material": ["X", "Y"], "supplier": "SUP", "arrival_month": M1,
                                "quantity": [5000.0, 800.0]}),
    )  # fmt: skip


def test_actuals_follow_the_plan_with_noise():
    plan = _plan()
    actuals = plan_actuals(plan, seed=7)
    assert set(actuals["month"]) == {M1}
    by_kind = {k: g.set_index("item")["quantity"] for k, g in actuals.groupby("kind")}
    assert set(by_kind) == {"orders", "shipments", "production", "inventory", "receipts"}
    assert (by_kind["shipments"] <= by_kind["orders"] + 1).all()  # rounded to whole units
    assert (actuals["quantity"] >= 0).all()
    assert actuals["quantity"].eq(actuals["quantity"].round()).all()
    # Each figure is the plan's, a few percent off: not the 23% or 2054% of plan that
    # actuals made from demand alone gave.
    made = by_kind["production"].sum() / plan.production["good_quantity"].sum()
    received = by_kind["receipts"].sum() / 5800.0
    ordered = by_kind["orders"].sum() / plan.balance["demand"].sum()
    assert 0.95 < made < 1.05 and 0.90 < received < 1.05 and 0.85 < ordered < 1.15
    result = plan_vs_actual(plan, actuals)
    adherence = result.adherence.set_index("measure")["value"]
    assert 0.9 < adherence["Production plan adherence"] <= 1.0  # 1 - sum|actual - plan| / plan
    assert 0.9 < adherence["Receipts vs plan"] < 1.1
    accuracy = result.accuracy.set_index("lag").loc[0, "accuracy"]
    assert 0.8 < accuracy < 0.95  # a forecast about 12% off per SKU


def test_the_same_seed_gives_the_same_actuals():
    a, b = plan_actuals(_plan(), 7), plan_actuals(_plan(), 7)
    pd.testing.assert_frame_equal(a, b)
    assert not plan_actuals(_plan(), 8).equals(a)
