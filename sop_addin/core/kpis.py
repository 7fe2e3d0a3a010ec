"""Exec summary: the headline figures of a plan and its month-by-month view."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sop_addin.core.calendar import month_label


@dataclass(frozen=True)
class ServiceLevel:
    """The plan's service over the horizon: the one definition every report uses.

    The KPIs table, the checklist, the `--json` summary and the scenario comparison all
    take their demand, unmet demand and fill rate from `service_level`.
    """

    demand: float
    served: float  # shipped against the horizon's demand, backlog caught up included
    unmet: float  # never shipped within the horizon: lost, or still owed at its end
    fill_rate: float  # served / demand, a share; 1.0 without demand


def service_level(balance: pd.DataFrame) -> ServiceLevel:
    """Demand, served, unmet and fill rate of a ProductBalance over the whole horizon.

    A month's unmet demand that is served later from backlog is not unmet over the horizon,
    so the monthly `unmet` column is not summed: unmet = demand - served.
    """
    demand = float(balance["demand"].sum())
    served = min(float(balance["served"].sum()), demand)
    return ServiceLevel(
        demand=demand,
        served=served,
        unmet=demand - served,
        fill_rate=served / demand if demand else 1.0,
    )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


def monthly_summary(
    balance: pd.DataFrame, capacity: pd.DataFrame, finance: pd.DataFrame
) -> pd.DataFrame:
    """Demand, supply, revenue, margin and peak utilisation per plan month."""
    # A month's own demand served in the month: shipments less the catch-up of earlier
    # backlog, so demand = served + unmet each month and the fill rate never tops 100%.
    balance = balance.assign(
        served=balance["served"] - balance.get("backlog_served", 0.0),
        unmet=balance["unmet"].clip(lower=0.0),
    )
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
    # Plan against budget: a month without any budget line stays blank, not zero.
    for source, target in (
        ("revenue_budget", "revenue_budget"),
        ("margin_budget", "gross_margin_budget"),
    ):
        if source in finance:
            budget = finance.groupby("month")[source].sum(min_count=1)
            summary[target] = budget.reindex(summary.index)
        else:
            summary[target] = None
    columns = [
        "demand",
        "served",
        "unmet",
        "fill_rate",
        "revenue",
        "gross_margin",
        "gross_margin_pct",
        "peak_utilisation",
        "revenue_budget",
        "gross_margin_budget",
    ]
    return summary.reset_index()[["month", *columns]]


def headline_kpis(
    balance: pd.DataFrame,
    capacity: pd.DataFrame,
    finance: pd.DataFrame,
    purchases: pd.DataFrame,
    currency: str,
    accuracy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per headline figure: kpi, value, unit.

    Inventory value and working capital are the last plan month's (from the finance plan);
    forecast bias is the lag-1 bias of the last approved plan, when Plan vs Actual has run.
    """
    service = service_level(balance)
    revenue = float(finance["revenue"].sum())
    margin = float(finance["gross_margin"].sum())
    budget = finance["revenue_budget"].dropna()
    last_month = balance["month"].max()
    closing = float(balance.loc[balance["month"] == last_month, "closing"].sum())
    details: dict[str, str] = {}
    rows: list[tuple[str, float | None, str]] = [
        ("Consensus demand", service.demand, "units"),
        ("Constrained supply (demand served)", service.served, "units"),
        ("Unmet demand", service.unmet, "units"),
        ("Fill rate", 100.0 * service.fill_rate, "%"),
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
    last_finance = finance[finance["month"] == finance["month"].max()] if len(finance) else finance
    if "inventory_value" in finance:
        rows.append(
            ("Inventory value (last month)", float(last_finance["inventory_value"].sum()), currency)
        )
    if "working_capital" in finance:
        rows.append(
            ("Working capital (last month)", float(last_finance["working_capital"].sum()), currency)
        )
    if accuracy is not None and len(accuracy) and accuracy["bias"].notna().any():
        known = accuracy[accuracy["bias"].notna()].sort_values("lag")
        first = known.iloc[0]
        details["Forecast bias"] = f"lag {int(first['lag'])}"
        rows.append(("Forecast bias", 100.0 * float(first["bias"]), "%"))
    else:
        details["Forecast bias"] = "no actuals yet: run Plan vs Actual"
        rows.append(("Forecast bias", None, "%"))
    if len(capacity):
        top = capacity.loc[capacity["utilisation"].idxmax()]
        details["Peak capacity utilisation"] = f"{top['resource']}, {month_label(top['month'])}"
        rows.append(("Peak capacity utilisation", 100.0 * float(top["utilisation"]), "%"))
    # KPI names are fixed (scripts read them by name); what varies goes in `detail`.
    frame = pd.DataFrame(rows, columns=["kpi", "value", "unit"])
    frame["detail"] = [details.get(name, "") for name in frame["kpi"]]
    return frame


def resource_load(capacity: pd.DataFrame, full: float = 0.999) -> pd.DataFrame:
    """Average and peak utilisation per resource over the plan, the busiest first."""
    columns = ["resource", "site", "average_utilisation", "peak_utilisation", "months_full"]
    if capacity.empty:
        return pd.DataFrame(columns=columns)
    grouped = capacity.groupby(["resource", "site"], sort=False)
    load = pd.DataFrame(
        {
            "average_utilisation": grouped["used_hours"].sum()
            / grouped["available_hours"].sum().where(lambda s: s > 0),
            "peak_utilisation": grouped["utilisation"].max(),
            "months_full": grouped["utilisation"].apply(lambda u: int((u >= full).sum())),
        }
    ).reset_index()
    load["average_utilisation"] = load["average_utilisation"].fillna(0.0)
    return load.sort_values(
        ["peak_utilisation", "average_utilisation"], ascending=False, kind="stable"
    ).reset_index(drop=True)[columns]


def top_risks(
    bottlenecks: pd.DataFrame | None,
    shortfalls: pd.DataFrame | None,
    stockouts: pd.DataFrame | None,
    load: pd.DataFrame,
    limit: int = 10,
) -> pd.DataFrame:
    """The constraints that cost the plan most, then the SKUs most likely to run short.

    Constraints come from the supply explanations (Bottlenecks, in their ranked order);
    without them, from the resources at full capacity. Risks come from the Monte Carlo.
    """
    rows: list[dict[str, object]] = []
    if bottlenecks is not None and len(bottlenecks):
        # The supply step writes Bottlenecks already ranked by what they cost the plan.
        for b in bottlenecks.head(limit // 2 or 1).itertuples(index=False):
            short = 0.0
            if shortfalls is not None and len(shortfalls):
                short = float(
                    shortfalls.loc[shortfalls["constraint"] == b.constraint, "unmet"].sum()
                )
            detail = (
                f"{b.cause} binds in {b.months_binding} month(s) from "
                f"{month_label(b.first_month)}; up to {b.max_shadow_price:,.2f} per unit"
            )
            if short:
                detail += f"; {short:,.0f} units short"
            rows.append({"kind": "constraint", "item": str(b.constraint), "detail": detail})
    else:
        for r in load[load["months_full"] > 0].head(limit // 2 or 1).itertuples(index=False):
            detail = (
                f"at full capacity in {r.months_full} month(s); "
                f"average load {r.average_utilisation:.0%}"
            )
            rows.append({"kind": "constraint", "item": str(r.resource), "detail": detail})
    if stockouts is not None and len(stockouts):
        risky = stockouts[stockouts["stockout_probability"] > 0]
        for r in risky.head(limit - len(rows)).itertuples(index=False):
            detail = (
                f"stock-out in {r.stockout_probability:.0%} of draws; "
                f"{r.expected_unmet:,.0f} units short on average"
            )
            rows.append({"kind": "risk", "item": str(r.sku), "detail": detail})
    frame = pd.DataFrame(rows, columns=["kind", "item", "detail"])
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame
