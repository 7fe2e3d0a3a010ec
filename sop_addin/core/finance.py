"""Finance: revenue, cost and margin of the constrained plan, by family and month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning.data import standard_costs

FINANCE_COLUMNS = [
    "family",
    "month",
    "units",
    "revenue",
    "cogs",
    "gross_margin",
    "gross_margin_pct",
    "revenue_budget",
    "revenue_variance",
]


def finance_plan(inputs: PlanInputs, balance: pd.DataFrame) -> pd.DataFrame:
    """P&L lines per family and month from the demand the plan serves.

    Revenue is served units x price; COGS is served units x standard cost (materials and
    conversion on the primary routing, divided by its yield). Margin % is left blank when
    there is no revenue, rather than shown as zero.
    """
    products = inputs["Products"].set_index("sku")
    prices = inputs["Prices"].set_index("sku")["unit_price"]
    costs = standard_costs(inputs)
    lines = balance[["sku", "month", "served"]].copy()
    lines["family"] = lines["sku"].map(products["family"])
    lines["revenue"] = lines["served"] * lines["sku"].map(prices).astype(float)
    lines["cogs"] = lines["served"] * lines["sku"].map(costs).astype(float)
    grouped = (
        lines.groupby(["family", "month"], sort=True)[["served", "revenue", "cogs"]]
        .sum()
        .rename(columns={"served": "units"})
        .reset_index()
    )
    grouped["gross_margin"] = grouped["revenue"] - grouped["cogs"]
    revenue = grouped["revenue"].to_numpy()
    grouped["gross_margin_pct"] = np.where(
        revenue > 0, grouped["gross_margin"].to_numpy() / np.where(revenue > 0, revenue, 1), np.nan
    )
    budget = inputs["Budget"].set_index(["family", "month"])["revenue_budget"]
    keys = pd.MultiIndex.from_frame(grouped[["family", "month"]])
    grouped["revenue_budget"] = budget.reindex(keys).to_numpy()
    grouped["revenue_variance"] = grouped["revenue"] - grouped["revenue_budget"]
    return grouped[FINANCE_COLUMNS]
