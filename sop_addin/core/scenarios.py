"""What-if scenarios: change the demand and the inputs, re-plan, re-value, compare.

A scenario is the set of rows of the Scenarios table that share a name; each row changes one
thing (demand, a lead time, a supplier delay, capacity, a price or a cost) for a target over
a window of months. Evaluating a scenario re-runs the supply plan and the finance step on
changed copies; the base inputs are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.calendar import weekdays_in_month
from sop_addin.core.finance import finance_plan, finance_rates
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.kpis import service_level
from sop_addin.core.network_finance import network_costs
from sop_addin.core.planning import PlanResult, SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.safety_stock import DAYS_PER_MONTH

BASE = "base"
FULL = 0.999  # utilisation from which a resource counts as a bottleneck
COMPARISON_COLUMNS = CONTRACT.table("ScenarioComparison").column_names

# Which levels each kind of change can target.
LEVELS = {
    "demand": ("all", "sku", "family", "region"),
    "price": ("all", "sku", "family", "region"),
    "cost": ("all", "sku", "family", "region"),
    "lead_time": ("all", "supplier"),
    "supplier_delay": ("all", "supplier"),
    "supplier_lost": ("supplier",),
    "lane_lost": ("lane",),
    "capacity": ("all", "resource"),
}


@dataclass(frozen=True)
class ScenarioOutcome:
    """A scenario's plan, its P&L and the comparison figures."""

    name: str
    changes: str
    plan: PlanResult
    finance: pd.DataFrame
    figures: dict[str, object]


def _problem(row: int, column: str, message: str) -> Problem:
    return Problem(tab="Scenarios", table="Scenarios", row=row, column=column, message=message)


def scenario_names(table: pd.DataFrame) -> list[str]:
    """Scenario names in the order they first appear."""
    return list(dict.fromkeys(table["scenario"].dropna().astype(str)))


def check_scenarios(table: pd.DataFrame, inputs: PlanInputs) -> None:
    """Every row's level, target, window and value make sense; raise naming the cell."""
    products = inputs["Products"]
    known = {
        "sku": set(products["sku"]),
        "family": set(products["family"]),
        "region": set(products["region"]),
        "supplier": set(inputs["Suppliers"]["supplier"]),
        "resource": set(inputs["Resources"]["resource"]),
        "lane": set(inputs.tables["Lanes"]["lane"]) if "Lanes" in inputs.tables else set(),
    }
    problems: list[Problem] = []
    for row, r in table.iterrows():
        excel_row = int(row)
        if r["level"] not in LEVELS[r["change"]]:
            allowed = ", ".join(LEVELS[r["change"]])
            msg = f"a {r['change']} change applies to level {allowed}, not {r['level']!r}"
            problems.append(_problem(excel_row, "level", msg))
        elif r["level"] != "all" and r["target"] not in known[r["level"]]:
            msg = f"{r['target']!r} is not a {r['level']} of the workbook"
            problems.append(_problem(excel_row, "target", msg))
        start, end = r["from_month"], r["to_month"]
        if pd.notna(start) and pd.notna(end) and end < start:
            problems.append(_problem(excel_row, "to_month", "to_month is before from_month"))
        value = float(r["value"])
        if r["change"] in ("demand", "price", "cost") and value < -100:
            problems.append(_problem(excel_row, "value", "a change below -100% is impossible"))
        if r["change"] == "lead_time" and value < 0:
            problems.append(_problem(excel_row, "value", "a lead-time multiplier is at least 0"))
        if r["change"] == "capacity" and not 0 <= value <= 100:
            problems.append(_problem(excel_row, "value", "capacity lost is 0 to 100%"))
        if r["change"] == "supplier_lost" and (pd.notna(start) or pd.notna(end)):
            msg = "a lost supplier is lost for the whole plan: leave from_month and to_month blank"
            problems.append(_problem(excel_row, "from_month", msg))
        if r["change"] == "lane_lost" and (pd.notna(start) or pd.notna(end)):
            msg = "a lost lane is lost for the whole plan: leave from_month and to_month blank"
            problems.append(_problem(excel_row, "from_month", msg))
    if problems:
        raise ValidationError(problems)


def describe(rows: pd.DataFrame) -> str:
    """The scenario's changes in a few words, e.g. 'demand +10% region North'."""
    parts = []
    for r in rows.itertuples(index=False):
        what = "all" if r.level == "all" else f"{r.level} {r.target}"
        if r.change in ("demand", "price", "cost"):
            amount = f"{r.value:+g}%"
        elif r.change == "lead_time":
            amount = f"x{r.value:g}"
        elif r.change == "supplier_delay":
            amount = f"+{r.value:g} days"
        elif r.change in ("supplier_lost", "lane_lost"):
            amount = ""
        else:
            amount = f"-{r.value:g}% hours"
        window = ""
        if pd.notna(r.from_month) or pd.notna(r.to_month):
            start = "" if pd.isna(r.from_month) else f"{r.from_month:%Y-%m}"
            end = "" if pd.isna(r.to_month) else f"{r.to_month:%Y-%m}"
            window = f" {start}..{end}"
        text = f"{r.change.replace('_', ' ')} {amount} {what}{window}"
        parts.append(" ".join(text.split()))
    return "; ".join(parts)


def _skus(inputs: PlanInputs, level: str, target: str) -> set[str]:
    products = inputs["Products"]
    if level == "all":
        return set(products["sku"])
    return set(products.loc[products[level] == target, "sku"])


def _in_window(months: pd.Series, start: object, end: object) -> pd.Series:
    mask = pd.Series(True, index=months.index)
    if pd.notna(start):
        mask &= months >= start
    if pd.notna(end):
        mask &= months <= end
    return mask


def apply_scenario(
    inputs: PlanInputs, demand: pd.DataFrame, rows: pd.DataFrame
) -> tuple[PlanInputs, pd.DataFrame]:
    """Copies of the inputs and the demand (sku, month, quantity) with the rows applied."""
    tables = {name: frame.copy() for name, frame in inputs.tables.items()}
    changed = inputs.__class__(settings=inputs.settings, tables=tables)
    demand = demand.copy()
    for r in rows.itertuples(index=False):
        factor = 1.0 + float(r.value) / 100.0
        if r.change == "demand":
            mask = demand["sku"].isin(_skus(inputs, r.level, r.target))
            mask &= _in_window(demand["month"], r.from_month, r.to_month)
            demand.loc[mask, "quantity"] = demand.loc[mask, "quantity"] * factor
        elif r.change == "price":
            prices = tables["Prices"]
            mask = prices["sku"].isin(_skus(inputs, r.level, r.target))
            prices.loc[mask, "unit_price"] = prices.loc[mask, "unit_price"] * factor
        elif r.change == "cost":
            costs = tables["UnitCosts"]
            mask = costs["sku"].isin(_skus(inputs, r.level, r.target))
            costs.loc[mask, "material_cost"] = costs.loc[mask, "material_cost"] * factor
        elif r.change in ("lead_time", "supplier_delay"):
            _change_suppliers(tables, r)
        elif r.change == "capacity":
            tables["ResourceCalendar"] = _lose_capacity(changed, r)
        elif r.change == "supplier_lost":
            _lose_supplier(tables, str(r.target))
        elif r.change == "lane_lost":
            _lose_lane(tables, str(r.target))
    return changed, demand


def _change_suppliers(tables: dict[str, pd.DataFrame], r: object) -> None:
    suppliers = tables["Suppliers"]
    level, target, value = r.level, r.target, float(r.value)  # type: ignore[attr-defined]
    mask = suppliers["supplier"] == target if level == "supplier" else suppliers["supplier"].notna()
    if r.change == "lead_time":  # type: ignore[attr-defined]
        suppliers.loc[mask, "lead_time_days"] = suppliers.loc[mask, "lead_time_days"] * value
        return
    suppliers.loc[mask, "lead_time_days"] = suppliers.loc[mask, "lead_time_days"] + value
    # Open purchase orders from the late supplier, due in the window, arrive late too (to the
    # nearest whole month: the plan is monthly).
    shift = round(value / DAYS_PER_MONTH)
    if not shift:
        return
    materials = tables["Materials"]
    late = set(
        materials.loc[materials["supplier"].isin(suppliers.loc[mask, "supplier"]), "material"]
    )
    orders = tables["OpenOrders"]
    hit = (orders["order_type"] == "purchase") & orders["item"].isin(late)
    hit &= _in_window(orders["due_month"], r.from_month, r.to_month)  # type: ignore[attr-defined]
    orders.loc[hit, "due_month"] = orders.loc[hit, "due_month"] + pd.DateOffset(months=shift)


def _lose_supplier(tables: dict[str, pd.DataFrame], supplier: str) -> None:
    """The supplier ships nothing over the plan: its daily limit is 0, so the plan buys its
    materials from their other sources (Sourcing) where they have room, or falls short.

    Open purchase orders already placed still arrive (OpenOrders does not say from whom)."""
    suppliers = tables["Suppliers"]
    suppliers.loc[suppliers["supplier"] == supplier, "daily_limit"] = 0.0


def _lose_lane(tables: dict[str, pd.DataFrame], lane: str) -> None:
    """The lane carries nothing over the plan (capacity 0): stock reaches the sites it served
    by other lanes where they have room, or demand there falls short."""
    lanes = tables["Lanes"]
    lanes.loc[lanes["lane"] == lane, "capacity_per_month"] = 0.0


def _lose_capacity(inputs: PlanInputs, r: object) -> pd.DataFrame:
    """The calendar with working days cut by the lost share in the window (rows added)."""
    calendar = inputs["ResourceCalendar"].copy()
    level, target = r.level, r.target  # type: ignore[attr-defined]
    resources = inputs["Resources"]["resource"]
    hit = [target] if level == "resource" else list(resources)
    months = pd.Series(inputs.months)
    months = months[_in_window(months, r.from_month, r.to_month)]  # type: ignore[attr-defined]
    keep = 1.0 - float(r.value) / 100.0  # type: ignore[attr-defined]
    present = set(zip(calendar["resource"], calendar["month"], strict=True))
    extra = [
        {
            "resource": res,
            "month": month,
            "working_days": float(weekdays_in_month(month)),
            "maintenance_hours": 0.0,
        }
        for res in hit
        for month in months
        if (res, month) not in present
    ]
    if extra:
        calendar = pd.concat([calendar, pd.DataFrame(extra)], ignore_index=True)
    mask = calendar["resource"].isin(hit) & calendar["month"].isin(months)
    calendar.loc[mask, "working_days"] = calendar.loc[mask, "working_days"] * keep
    return calendar


def plan_figures(
    balance: pd.DataFrame, capacity: pd.DataFrame, purchases: pd.DataFrame, finance: pd.DataFrame
) -> dict[str, object]:
    """The comparison figures of one plan: service, money, inventory and bottlenecks."""
    service = service_level(balance)  # the KPIs' definition of fill rate and unmet demand
    revenue = float(finance["revenue"].sum())
    margin = float(finance["gross_margin"].sum())
    last = finance["month"].max()
    full = capacity[capacity["utilisation"] >= FULL]
    counts = full.groupby("resource").size().sort_values(ascending=False, kind="stable")
    return {
        "fill_rate": service.fill_rate,
        "demand": service.demand,
        "unmet": service.unmet,
        "revenue": revenue,
        "gross_margin": margin,
        "gross_margin_pct": margin / revenue if revenue else math.nan,
        "inventory_value": float(finance.loc[finance["month"] == last, "inventory_value"].sum()),
        "peak_utilisation": float(capacity["utilisation"].max()) if len(capacity) else 0.0,
        "bottlenecks": ", ".join(f"{res} ({n} mo)" for res, n in counts.items()) or None,
        "purchase_spend": float(purchases["cost"].sum()) if len(purchases) else 0.0,
    }


def evaluate(
    name: str,
    inputs: PlanInputs,
    demand: pd.DataFrame,
    rows: pd.DataFrame,
    options: SolverOptions | None = None,
) -> ScenarioOutcome:
    """Plan and value one scenario (no rows: the base plan)."""
    changed, changed_demand = apply_scenario(inputs, demand, rows)
    plan = solve_plan(prepare_planning_data(changed, changed_demand), options)
    network = network_costs(
        changed, plan.production, plan.purchases, plan.capacity, plan.substitutions, plan.transfers
    )
    finance = finance_plan(changed, plan.balance, finance_rates(changed), network)
    return ScenarioOutcome(
        name=name,
        changes=describe(rows) if len(rows) else "no change",
        plan=plan,
        finance=finance,
        figures=plan_figures(plan.balance, plan.capacity, plan.purchases, finance),
    )


def run_scenarios(
    inputs: PlanInputs,
    demand: pd.DataFrame,
    table: pd.DataFrame,
    options: SolverOptions | None = None,
    names: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, ScenarioOutcome]]:
    """Evaluate the base plan and each scenario; return the comparison and the outcomes."""
    check_scenarios(table, inputs)
    wanted = names or scenario_names(table)
    unknown = sorted(set(wanted) - set(scenario_names(table)))
    if unknown:
        msg = f"no scenario named {', '.join(map(repr, unknown))} in the table"
        raise ValidationError([Problem(tab="Scenarios", table="Scenarios", message=msg)])
    outcomes: dict[str, ScenarioOutcome] = {}
    total = len(wanted) + 1
    outcomes[BASE] = evaluate(BASE, inputs, demand, table.iloc[0:0], options)
    if progress:
        progress(1, total)
    for done, name in enumerate(wanted, start=2):
        rows = table[table["scenario"] == name]
        outcomes[name] = evaluate(name, inputs, demand, rows, options)
        if progress:
            progress(done, total)
    return comparison(outcomes), outcomes


def _tolerances(outcome: ScenarioOutcome) -> tuple[float, float]:
    """How far the solver may leave a plan's unmet units and its money from the optimum.

    Unmet demand is solved first, to an absolute gap on its weighted value (SolveReport's
    service_gap; a unit weighs at least 0.1, a backlog month); cost comes second, within the
    MIP gap asked. A plan read back from the workbook has no report: solver tolerance only.
    """
    report = outcome.plan.report
    if report is None:
        return 0.0, 0.0
    units = 10.0 * (report.service_gap or 0.0)
    money = (report.mip_gap or 0.0) * abs(report.mip_objective or 0.0)
    return units, money


def _delta(value: float, base: float, tolerance: float) -> float:
    """value - base, or 0 when the difference is within the tolerance of both plans' solves
    (1e-6 relative at least: the solvers' own feasibility tolerance)."""
    delta = value - base
    scale = max(abs(value), abs(base), 1.0)
    return 0.0 if abs(delta) <= max(tolerance, 1e-6 * scale) else delta


def comparison(
    outcomes: dict[str, ScenarioOutcome], base: dict[str, object] | None = None
) -> pd.DataFrame:
    """Side by side: one row per scenario, the base first, with deltas against the base.

    A delta smaller than what the two solves may leave from their optima is shown as 0: a
    scenario is never reported better or worse than the base by solver tolerance alone.
    """
    base_units, base_money = (
        _tolerances(outcomes[BASE]) if base is None and BASE in outcomes else (0.0, 0.0)
    )
    base = base or outcomes[BASE].figures
    rows = []
    for outcome in outcomes.values():
        figures = outcome.figures
        units, money = _tolerances(outcome)
        units, money = units + base_units, money + base_money

        def vs_base(key: str, tolerance: float, figures: dict[str, object] = figures) -> float:
            return _delta(float(figures[key]), float(base[key]), tolerance)  # type: ignore[arg-type]

        rows.append(
            {
                "scenario": outcome.name,
                "changes": outcome.changes,
                **figures,
                "revenue_vs_base": vs_base("revenue", money),
                "margin_vs_base": vs_base("gross_margin", money),
                "unmet_vs_base": vs_base("unmet", units),
            }
        )
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    frame["gross_margin_pct"] = frame["gross_margin_pct"].astype(float).replace(np.inf, np.nan)
    return frame
