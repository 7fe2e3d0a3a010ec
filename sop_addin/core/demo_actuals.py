"""Actuals for the demo company: what happened in its first plan month, for governance and S&OE.

`plan_actuals` makes them from the approved plan (what `sop demo` reviews); `demo_actuals`
fills a new workbook before any plan exists, from the demo's own tables (recent sales level,
stock, bill of materials). Each has a random stream of its own, so adding them changes no
other figure of a seed. One SKU's open orders spike in the current week and another makes 60%
of its level, so S&OE has something to flag.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT, ColumnType
from sop_addin.core.governance import ApprovedPlan, planned_receipts
from sop_addin.core.soe import split_to_weeks, week_label

_DTYPES = {
    ColumnType.TEXT: object,
    ColumnType.NUMBER: "float64",
    ColumnType.FRACTION: "float64",
    ColumnType.INTEGER: "int64",
    ColumnType.MONTH: "datetime64[ns]",
}


def _typed(name: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    table = CONTRACT.table(name)
    data = pd.DataFrame(rows, columns=table.column_names)
    return data.astype({c.name: _DTYPES[c.type] for c in table.columns})


def _first_month(settings: pd.DataFrame) -> pd.Timestamp:
    value = settings.loc[settings["setting"] == "first_plan_month", "value"].iloc[0]
    return pd.Timestamp(str(value) + "-01") if len(str(value)) == 7 else pd.Timestamp(value)


def _level(history: pd.DataFrame, products: pd.DataFrame, first: pd.Timestamp) -> pd.Series:
    """Recent monthly sales per SKU (mean of the last three months), selling SKUs only."""
    recent = history[history["month"] >= first - pd.DateOffset(months=3)]
    level = recent.groupby("sku")["quantity"].mean()
    ended = products.loc[products["end_of_life_month"].notna()]
    gone = set(ended.loc[ended["end_of_life_month"] < first, "sku"])
    return level[(level > 0) & ~level.index.isin(gone)].sort_index()


def demo_actuals(frames: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """The Actuals (first plan month) and WeeklyActuals (its first two weeks) tables."""
    rng = np.random.default_rng([seed, 6])
    first = _first_month(frames["Settings"])
    level = _level(frames["SalesHistory"], frames["Products"], first)
    skus = list(level.index)
    orders = level.to_numpy() * rng.lognormal(0.0, 0.15, len(skus))
    shipped = orders * rng.uniform(0.90, 1.0, len(skus))
    produced = shipped * rng.uniform(0.85, 1.10, len(skus))
    stock = frames["ProductInventory"].groupby("sku")["on_hand"].sum().reindex(skus).fillna(0.0)
    closing = np.maximum(stock.to_numpy() + produced - shipped, 0.0)
    rows: list[dict[str, object]] = []
    for kind, values in (
        ("orders", orders),
        ("shipments", shipped),
        ("production", produced),
        ("inventory", closing),
    ):
        rows += [
            {"month": first, "kind": kind, "item": s, "quantity": round(float(v))}
            for s, v in zip(skus, values, strict=True)
        ]
    bom = frames["BOM"]
    use = bom.merge(pd.DataFrame({"sku": skus, "made": produced}), on="sku")
    use["need"] = use["quantity_per_unit"] * use["made"]
    received = use.groupby("material")["need"].sum()
    received = received * rng.uniform(0.8, 1.05, len(received))
    rows += [
        {"month": first, "kind": "receipts", "item": m, "quantity": round(float(q))}
        for m, q in received.items()
        if q > 0
    ]
    actuals = _typed("Actuals", rows)

    # Week two of the plan is "now": open orders for the month's weeks, production week to date.
    monday = first.date() - timedelta(days=first.weekday())
    weeks = [monday + timedelta(weeks=i) for i in range(5)]
    monthly = pd.DataFrame({"item": skus, "month": first, "quantity": level.to_numpy()})
    weekly = split_to_weeks(monthly, weeks)
    spike, short = (skus[0], skus[1]) if len(skus) > 1 else (skus[0], skus[0])
    now = week_label(weeks[1])
    weekly_rows: list[dict[str, object]] = []
    for r in weekly.itertuples():
        factor = 1.8 if (r.item == spike and r.week == now) else float(rng.uniform(0.8, 1.05))
        weekly_rows.append(
            {"week": r.week, "kind": "orders", "item": r.item, "quantity": round(r.plan * factor)}
        )
        if r.week == now:
            made = 0.6 if r.item == short else float(rng.uniform(0.95, 1.05))
            weekly_rows.append(
                {
                    "week": r.week,
                    "kind": "production",
                    "item": r.item,
                    "quantity": round(r.plan * made),
                }
            )
    weekly_actuals = _typed("WeeklyActuals", weekly_rows)
    return {"Actuals": actuals, "WeeklyActuals": weekly_actuals}


def plan_actuals(plan: ApprovedPlan, seed: int) -> pd.DataFrame:
    """The Actuals of the approved plan's first month: the plan itself with realistic noise.

    Orders miss the consensus by about 12% (lognormal), shipments follow the plan's served
    units (never above the orders), production lands within a few percent of the plan,
    receipts a little under it, and the closing stock moves by what production and
    shipments did differently from the plan. So plan vs actual shows accuracy and adherence
    of a plan that was followed, not of one that was never made.
    """
    rng = np.random.default_rng([seed, 7])
    first = plan.first_month
    month = plan.balance[plan.balance["month"] == first]
    balance = month.groupby("sku")[["demand", "served", "closing"]].sum().sort_index()
    skus = list(balance.index)
    n = len(skus)
    demand, served, closing = (balance[c].to_numpy(float) for c in ("demand", "served", "closing"))
    orders = demand * rng.lognormal(0.0, 0.12, n)
    shipped = np.minimum(orders, served * rng.uniform(0.95, 1.03, n))
    made_plan = (
        plan.production[plan.production["month"] == first]
        .groupby("sku")["good_quantity"]
        .sum()
        .reindex(skus, fill_value=0.0)
        .to_numpy(float)
    )
    made = np.maximum(made_plan * rng.normal(1.0, 0.04, n), 0.0)
    stock = np.maximum(closing + (made - made_plan) - (shipped - served), 0.0)
    rows: list[dict[str, object]] = []
    for kind, values in (
        ("orders", orders),
        ("shipments", shipped),
        ("production", made),
        ("inventory", stock),
    ):
        rows += [
            {"month": first, "kind": kind, "item": s, "quantity": round(float(v))}
            for s, v in zip(skus, values, strict=True)
        ]
    receipts = planned_receipts(plan)
    receipts = receipts[receipts["month"] == first]
    arrived = receipts["plan"].to_numpy(float) * rng.uniform(0.93, 1.04, len(receipts))
    rows += [
        {"month": first, "kind": "receipts", "item": item, "quantity": round(float(q))}
        for item, q in zip(receipts["item"], arrived, strict=True)
        if q > 0
    ]
    return _typed("Actuals", rows)
