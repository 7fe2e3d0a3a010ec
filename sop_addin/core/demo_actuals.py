"""Actuals for the demo company: what happened in its first plan month, for governance and S&OE.

Derived from the demo's own tables (recent sales level, stock, bill of materials) with a
random stream of their own, so adding them changes no other figure of a seed. One SKU's open
orders spike in the current week and another makes 60% of its level, so S&OE has something to
flag.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT, ColumnType
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
