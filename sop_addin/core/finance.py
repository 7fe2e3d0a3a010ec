"""Finance: the P&L of the constrained plan by family and month, and what needs authorising.

The same figures are written twice: as values by Reconcile Finance (FinancePlan, computed
here) and as live Excel formulas (PnL and SkuPnL, from contract/formulas.csv). Every rule
below has its formula twin; a LibreOffice test recalculates the formulas and compares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.inputs import PlanInputs

DAYS_PER_MONTH = 30  # receivable and payable days are turned into months of revenue or COGS
BELOW, OK = "below threshold", "ok"
EPS = 1e-6

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
    "cost_to_serve",
    "inventory_value",
    "working_capital",
    "margin_budget",
    "margin_variance",
    "margin_flag",
    "network_cost",
]
SKU_COLUMNS = CONTRACT.table("SkuPnL").column_names
DEVIATION_COLUMNS = CONTRACT.table("Deviations").column_names
RATE_NAMES = CONTRACT.table("FinanceRates").column("rate").enum


@dataclass(frozen=True)
class FinanceRates:
    """The FinanceRates table, typed: one attribute per rate."""

    labour_rate: float
    overhead_rate: float
    expedite_cost_per_unit: float
    receivable_days: float
    payable_days: float
    gross_margin_threshold: float


def _problem(
    table: str, message: str, row: int | None = None, column: str | None = None
) -> Problem:
    return Problem(
        tab=CONTRACT.table(table).tab, table=table, row=row, column=column, message=message
    )


def finance_rates(inputs: PlanInputs) -> FinanceRates:
    """Read the rates; a missing rate is an error naming the table (never a silent zero)."""
    table = inputs["FinanceRates"]
    values = dict(zip(table["rate"], table["value"].astype(float), strict=True))
    missing = [name for name in RATE_NAMES if name not in values]
    if missing:
        msg = f"missing rate(s) {', '.join(missing)}: add a row for each"
        raise ValidationError([_problem("FinanceRates", msg, column="rate")])
    threshold = values["gross_margin_threshold"]
    if threshold >= 1:
        row = int(table.index[table["rate"] == "gross_margin_threshold"][0])
        msg = f"gross_margin_threshold is a share of revenue (e.g. 0.2), got {threshold:g}"
        raise ValidationError([_problem("FinanceRates", msg, row, "value")])
    return FinanceRates(**{name: values[name] for name in RATE_NAMES})


def unit_costs(inputs: PlanInputs, rates: FinanceRates | None = None) -> pd.Series:
    """Standard cost per good unit: material + labour hours x labour rate x (1 + overhead)."""
    rates = rates or finance_rates(inputs)
    costs = inputs["UnitCosts"].set_index("sku")
    skus = inputs["Products"]["sku"]
    missing = sorted(set(skus) - set(costs.index))
    if missing:
        msg = f"no unit cost for SKU(s) {', '.join(missing[:10])}: add a row for each"
        raise ValidationError([_problem("UnitCosts", msg, column="sku")])
    labour = costs["labour_hours"] * rates.labour_rate * (1.0 + rates.overhead_rate)
    return (costs["material_cost"] + labour).rename("unit_cost")


def _freight(inputs: PlanInputs) -> pd.DataFrame:
    freight = inputs["Freight"].set_index("region")
    regions = inputs["Products"]["region"]
    missing = sorted(set(regions) - set(freight.index))
    if missing:
        msg = f"no cost-to-serve for region(s) {', '.join(missing)}: add a row for each"
        raise ValidationError([_problem("Freight", msg, column="region")])
    return freight


def sku_finance(
    inputs: PlanInputs, balance: pd.DataFrame, rates: FinanceRates | None = None
) -> pd.DataFrame:
    """Revenue, COGS, cost-to-serve and inventory value per SKU and month (the SkuPnL lines)."""
    rates = rates or finance_rates(inputs)
    products = inputs["Products"].set_index("sku")
    prices = inputs["Prices"].set_index("sku")["unit_price"]
    costs = unit_costs(inputs, rates)
    freight = _freight(inputs)
    # One line per SKU and month: a SKU planned at several sites has a balance row per site.
    lines = balance.groupby(["sku", "month"], as_index=False)[["served", "closing"]].sum()
    lines["family"] = lines["sku"].map(products["family"])
    lines["region"] = lines["sku"].map(products["region"])
    lines["unit_price"] = lines["sku"].map(prices).astype(float)
    lines["unit_cost"] = lines["sku"].map(costs).astype(float)
    lines["freight_per_unit"] = lines["region"].map(freight["freight_per_unit"]).astype(float)
    lines["service_cost_pct"] = lines["region"].map(freight["service_cost_pct"]).astype(float)
    lines["revenue"] = lines["served"] * lines["unit_price"]
    lines["cogs"] = lines["served"] * lines["unit_cost"]
    lines["cost_to_serve"] = (
        lines["served"] * lines["freight_per_unit"] + lines["revenue"] * lines["service_cost_pct"]
    )
    lines["inventory_value"] = lines["closing"] * lines["unit_cost"]
    return lines[SKU_COLUMNS].sort_values(["sku", "month"]).reset_index(drop=True)


def finance_plan(
    inputs: PlanInputs,
    balance: pd.DataFrame,
    rates: FinanceRates | None = None,
    network: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """P&L lines per family and month from the demand the plan serves.

    Margin % (and the margin flag) are left blank when there is no revenue, and budget lines
    blank where the budget has no row, rather than shown as zero. ``network`` (family, month,
    network_cost: second-source price differences and extra shifts, network_finance.py) is
    added to COGS.
    """
    rates = rates or finance_rates(inputs)
    lines = sku_finance(inputs, balance, rates)
    money = ["served", "revenue", "cogs", "cost_to_serve", "inventory_value"]
    plan = (
        lines.groupby(["family", "month"], sort=True)[money]
        .sum()
        .rename(columns={"served": "units"})
        .reset_index()
    )
    plan["network_cost"] = 0.0
    if network is not None and len(network):
        keyed = network.set_index(["family", "month"])["network_cost"]
        at = pd.MultiIndex.from_frame(plan[["family", "month"]])
        plan["network_cost"] = keyed.reindex(at).fillna(0.0).to_numpy()
        plan["cogs"] = plan["cogs"] + plan["network_cost"]
    plan["gross_margin"] = plan["revenue"] - plan["cogs"]
    revenue = plan["revenue"].to_numpy()
    has_revenue = revenue > 0
    plan["gross_margin_pct"] = np.where(
        has_revenue, plan["gross_margin"].to_numpy() / np.where(has_revenue, revenue, 1), np.nan
    )
    plan["working_capital"] = (
        plan["inventory_value"]
        + plan["revenue"] * rates.receivable_days / DAYS_PER_MONTH
        - plan["cogs"] * rates.payable_days / DAYS_PER_MONTH
    )
    budget = inputs["Budget"].set_index(["family", "month"])
    keys = pd.MultiIndex.from_frame(plan[["family", "month"]])
    plan["revenue_budget"] = budget["revenue_budget"].reindex(keys).to_numpy()
    plan["margin_budget"] = budget["gross_margin_budget"].reindex(keys).to_numpy()
    plan["revenue_variance"] = plan["revenue"] - plan["revenue_budget"]
    plan["margin_variance"] = plan["gross_margin"] - plan["margin_budget"]
    below = plan["gross_margin_pct"] < rates.gross_margin_threshold
    flags = np.where(below, BELOW, OK).astype(object)
    flags[~has_revenue] = None  # no revenue: no margin to judge
    plan["margin_flag"] = flags
    return plan[FINANCE_COLUMNS]


def shift_deviations(capacity: pd.DataFrame) -> list[dict[str, object]]:
    """One line per resource and month the plan adds shifts in, with their fixed cost."""
    added = capacity[pd.to_numeric(capacity["shifts_added"], errors="coerce").fillna(0.0) > EPS]
    return [
        {
            "kind": "extra shift",
            "item": r.resource,
            "month": r.month,
            "quantity": float(r.shifts_added),
            "unit": "shifts",
            "cost": float(r.shift_cost),
            "detail": (
                f"{r.shifts_added:g} extra shift(s) adding {r.shift_hours:,.1f} h, "
                f"{r.shift_cost:,.2f} for the month"
            ),
        }
        for r in added.itertuples(index=False)
    ]


MIN_EXPEDITE_UNITS = 0.5  # smaller shortfalls are rounding, not worth an expedite line


def deviations(
    plan: pd.DataFrame,
    rates: FinanceRates,
    capacity: pd.DataFrame | None = None,
    resources: pd.DataFrame | None = None,
    shortfalls: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What needs authorisation before approval, each with its cost.

    - overtime: planned overtime hours per resource and month x the resource's overtime cost
      (only when the supply plan reports overtime);
    - extra shift: a shift the plan adds on a resource in a month (ShiftOptions), at its cost;
    - expedite: units short because of a lead time (from the supply explanations) that an
      expedited delivery would recover, at the expedite cost per unit;
    - budget overrun: a family-month whose cost (revenue - gross margin) exceeds the budgeted
      cost (revenue budget - margin budget), by the excess;
    - margin below threshold: a family-month under the gross-margin threshold, costed at the
      margin missing to reach the threshold.
    """
    rows: list[dict[str, object]] = []
    if capacity is not None and resources is not None and "overtime_hours" in capacity:
        rate = resources.set_index("resource").get("overtime_cost_per_hour")
        for r in capacity[capacity["overtime_hours"] > EPS].itertuples(index=False):
            per_hour = float(rate.get(r.resource, np.nan)) if rate is not None else np.nan
            per_hour = 0.0 if np.isnan(per_hour) else per_hour
            rows.append(
                {
                    "kind": "overtime",
                    "item": r.resource,
                    "month": r.month,
                    "quantity": float(r.overtime_hours),
                    "unit": "h",
                    "cost": float(r.overtime_hours) * per_hour,
                    "detail": f"{r.overtime_hours:,.1f} h overtime at {per_hour:,.2f} per hour",
                }
            )
    if capacity is not None and "shifts_added" in capacity:
        rows += shift_deviations(capacity)
    if shortfalls is not None and len(shortfalls):
        late = shortfalls[shortfalls["cause"].astype(str).str.contains("lead time")]
        # Under half a unit there is nothing to expedite (and "recover 0 units" reads as noise).
        late = late[late["unmet"] >= MIN_EXPEDITE_UNITS]
        late = late.drop_duplicates(["sku", "month"])
        for r in late.itertuples(index=False):
            rows.append(
                {
                    "kind": "expedite",
                    "item": r.sku,
                    "month": r.month,
                    "quantity": float(r.unmet),
                    "unit": "units",
                    "cost": float(r.unmet) * rates.expedite_cost_per_unit,
                    "detail": f"expedite to recover {r.unmet:,.0f} units short by {r.constraint}",
                }
            )
    budgeted = plan[plan["revenue_budget"].notna() & plan["margin_budget"].notna()]
    for r in budgeted.itertuples(index=False):
        cost = r.revenue - r.gross_margin
        budget_cost = r.revenue_budget - r.margin_budget
        if cost - budget_cost > EPS:
            rows.append(
                {
                    "kind": "budget overrun",
                    "item": r.family,
                    "month": r.month,
                    "quantity": float(cost),
                    "unit": "currency",
                    "cost": float(cost - budget_cost),
                    "detail": f"COGS {cost:,.0f} against a budgeted {budget_cost:,.0f}",
                }
            )
    for r in plan[plan["margin_flag"] == BELOW].itertuples(index=False):
        missing = rates.gross_margin_threshold * r.revenue - r.gross_margin
        rows.append(
            {
                "kind": "margin below threshold",
                "item": r.family,
                "month": r.month,
                "quantity": float(r.gross_margin_pct),
                "unit": "share",
                "cost": float(missing),
                "detail": (
                    f"gross margin {r.gross_margin_pct:.1%} under the threshold "
                    f"{rates.gross_margin_threshold:.1%}"
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=DEVIATION_COLUMNS)
    if frame.empty:
        return frame.astype({"month": "datetime64[ns]", "quantity": float, "cost": float})
    return frame.sort_values(["cost"], ascending=False, kind="stable").reset_index(drop=True)
