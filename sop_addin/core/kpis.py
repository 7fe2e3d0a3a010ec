"""Exec summary: the headline figures of a plan and its month-by-month view."""

from __future__ import annotations

import pandas as pd

from sop_addin.core.calendar import month_label


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


def monthly_summary(
    balance: pd.DataFrame, capacity: pd.DataFrame, finance: pd.DataFrame
) -> pd.DataFrame:
    """Demand, supply, revenue, margin and peak utilisation per plan month."""
    volume = balance.groupby("month")[["demand", "served", "unmet"]].sum()
    money = finance.groupby("month")[["revenue", "gross_margin"]].sum()
    peak = capacity.groupby("month")["utilisation"].max().rename("peak_utilisation")
    summary = (
        volume.join(money, how="left")
        .join(peak, how="left")
        .fillna({"revenue": 0.0, "gross_margin": 0.0, "peak_utilisation": 0.0})
    )
    summary["fill_rate"] = [
        _ratio(s, d) if d else 1.0
        for s, d in zip(summary["served"], summary["demand"], strict=True)
    ]
    summary["gross_margin_pct"] = [
        _ratio(m, r) for m, r in zip(summary["gross_margin"], summary["revenue"], strict=True)
    ]
    columns = [
        "demand",
        "served",
        "unmet",
        "fill_rate",
        "revenue",
        "gross_margin",
        "gross_margin_pct",
        "peak_utilisation",
    ]
    return summary.reset_index()[["month", *columns]]


def headline_kpis(
    balance: pd.DataFrame,
    capacity: pd.DataFrame,
    finance: pd.DataFrame,
    purchases: pd.DataFrame,
    currency: str,
) -> pd.DataFrame:
    """One row per headline figure: kpi, value, unit."""
    demand = float(balance["demand"].sum())
    served = float(balance["served"].sum())
    revenue = float(finance["revenue"].sum())
    margin = float(finance["gross_margin"].sum())
    budget = finance["revenue_budget"].dropna()
    last_month = balance["month"].max()
    closing = float(balance.loc[balance["month"] == last_month, "closing"].sum())
    rows: list[tuple[str, float | None, str]] = [
        ("Consensus demand", demand, "units"),
        ("Constrained supply (demand served)", served, "units"),
        ("Unmet demand", float(balance["unmet"].sum()), "units"),
        ("Fill rate", _percent(served, demand) if demand else 100.0, "%"),
        ("Revenue", revenue, currency),
        ("Gross margin", margin, currency),
        ("Gross margin %", _percent(margin, revenue), "%"),
    ]
    if len(budget):
        budget_total = float(budget.sum())
        covered = float(finance.loc[finance["revenue_budget"].notna(), "revenue"].sum())
        rows.append(("Revenue vs budget", covered - budget_total, currency))
    rows.append(
        ("Purchase spend", float(purchases["cost"].sum()) if len(purchases) else 0.0, currency)
    )
    rows.append(("Closing inventory (last month)", closing, "units"))
    if len(capacity):
        top = capacity.loc[capacity["utilisation"].idxmax()]
        where = f"{top['resource']}, {month_label(top['month'])}"
        rows.append(
            (f"Peak capacity utilisation ({where})", 100.0 * float(top["utilisation"]), "%")
        )
    return pd.DataFrame(rows, columns=["kpi", "value", "unit"])
