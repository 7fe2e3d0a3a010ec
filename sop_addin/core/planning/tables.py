"""The Supply tab's tables read from a solved plan model: production, balance, purchases,
capacity use, and the shadow prices the explanations quote."""

from __future__ import annotations

import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.sites import demand_site_yields, other_site_rows, site_flows

EPS = 1e-6  # below this a solver value is numerical noise
REPORT_EPS = 5e-6  # below this a reported quantity (often a difference of values) is noise


def _snap(value: float, eps: float) -> float:
    """The value, or the whole number it is within eps of (the solvers' tolerances leave e.g.
    30.00000001117 units, which a planner would read as a fraction of a unit)."""
    nearest = float(round(value))
    return nearest if abs(value - nearest) < eps else float(value)


def value_of(var: pulp.LpVariable) -> float:
    """A solver value with its noise (within EPS of a whole number) removed."""
    value = var.varValue
    return 0.0 if value is None else _snap(float(value), EPS)


def clean(value: float) -> float:
    """A reported quantity without solver noise (CBC leaves e.g. -4e-6 in a difference)."""
    return _snap(float(value), REPORT_EPS)


def production_plan(model: PlanModel) -> pd.DataFrame:
    data = model.data
    rows = []
    for (sku, res, t), var in model.variables["make"].items():
        qty = value_of(var)
        if qty:
            route = data.routings.loc[(sku, res)]
            rows.append(
                {
                    "sku": sku,
                    "resource": res,
                    "site": route["site"],
                    "month": data.months[t],
                    "quantity": qty,
                    "good_quantity": qty * float(route["yield"]),
                    "hours": qty * float(route["hours_per_unit"]),
                }
            )
    columns = ["sku", "resource", "site", "month", "quantity", "good_quantity", "hours"]
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["sku", "month", "resource"], ignore_index=True
    )


def product_balance(model: PlanModel) -> pd.DataFrame:
    """Per SKU, site and month: supply, transfers, demand served, lost and owed, closing stock.

    A SKU's demand site has its demand; its other sites (sites.py) only stock, the production
    landing there and transfers. In every row: closing = opening + production + receipts +
    transfers_in - transfers_out - served.
    """
    data = model.data
    v = model.variables
    landing = demand_site_yields(data)
    good: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in v["make"].items():
        if (sku, res) in landing.index:
            good[(sku, t)] = good.get((sku, t), 0.0) + value_of(var) * float(landing[(sku, res)])
    arriving, leaving = site_flows(model)
    demand = {k: float(x) for k, x in data.demand.items()}
    receipts = {k: float(x) for k, x in data.receipts.items()}
    rows = []
    for sku, product in data.products.iterrows():
        opening, owed_before = float(product["opening"]), 0.0
        for t, month in enumerate(data.months):
            wanted = demand[(sku, month)]
            lost_var, owed_var = v["lost"].get((sku, t)), v["backlog"].get((sku, t))
            lost = min(value_of(lost_var), wanted) if lost_var is not None else 0.0
            owed = value_of(owed_var) if owed_var is not None else 0.0
            # Shipped = this month's demand plus what was owed, less what is owed or lost now;
            # a fall in the backlog is the catch-up of earlier months' demand.
            served = clean(wanted + owed_before - owed - lost)
            caught_up = clean(max(owed_before - owed, 0.0))
            below = v["below_safety"].get((sku, t))
            closing = value_of(v["stock"][(sku, t)])
            site = str(product["site"])
            rows.append(
                {
                    "sku": sku,
                    "site": site,
                    "month": month,
                    "opening": opening,
                    "production": good.get((sku, t), 0.0),
                    "receipts": receipts.get((sku, month), 0.0),
                    "demand": wanted,
                    "served": served,
                    "backlog_served": caught_up,
                    # This month's demand not shipped this month: lost, or newly owed. Never
                    # negative: demand = served - backlog_served + unmet in every month.
                    "unmet": clean(lost + max(owed - owed_before, 0.0)),
                    "closing": closing,
                    "safety_stock": float(product["safety_stock"]) if below is not None else 0.0,
                    "below_safety_stock": value_of(below) if below is not None else 0.0,
                    "backlog": owed,
                    "lost": lost + (owed if t == len(data.months) - 1 else 0.0),
                    "transfers_in": arriving.get((sku, site, t), 0.0),
                    "transfers_out": leaving.get((sku, site, t), 0.0),
                }
            )
            opening, owed_before = closing, owed
    if not rows:
        return pd.DataFrame(rows)
    zeros = dict.fromkeys(rows[0], 0.0)
    rows += other_site_rows(model, zeros)
    frame = pd.DataFrame(rows)
    if data.networked:
        frame = frame.sort_values(["sku", "site", "month"], kind="stable", ignore_index=True)
    return frame


def purchase_plan(model: PlanModel) -> pd.DataFrame:
    data = model.data
    rows = []
    for (material, t), var in model.variables["buy"].items():
        qty = value_of(var)
        if qty:
            row = data.materials.loc[material]
            rows.append(
                {
                    "material": material,
                    "supplier": row["supplier"],
                    "order_month": data.months[t],
                    "arrival_month": data.months[t + int(row["lead_months"])],
                    "quantity": qty,
                    "cost": qty * float(row["unit_cost"]),
                }
            )
    columns = ["material", "supplier", "order_month", "arrival_month", "quantity", "cost"]
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["material", "order_month"], ignore_index=True
    )


def shadow_price(constraint: pulp.LpConstraint | None) -> float:
    """Cost saved by one more unit of the constraint's right-hand side (a minimisation dual)."""
    if constraint is None or constraint.pi is None:
        return 0.0
    value = -float(constraint.pi)
    return 0.0 if abs(value) < EPS else value


def required_hours(data: PlanningData) -> dict[tuple[str, pd.Timestamp], float]:
    """Rough-cut load: hours each month's demand needs on its SKU's primary routing."""
    routes = data.routings.reset_index().sort_values(["sku", "priority", "resource"])
    primary = routes.drop_duplicates("sku").set_index("sku")
    per_unit = primary["hours_per_unit"] / primary["yield"]
    load: dict[tuple[str, pd.Timestamp], float] = {}
    for (sku, month), qty in data.demand.items():
        if sku in primary.index and qty > 0:
            key = (str(primary.at[sku, "resource"]), month)
            load[key] = load.get(key, 0.0) + float(qty) * float(per_unit[sku])
    return load


def _utilisation(used: float, available: float, overtime_room: float) -> float:
    """Used over available hours; above 1 means overtime.

    A resource with no available hours that still works (all on overtime) reads as 1 plus the
    share of its overtime limit used, so it shows as overloaded, never as idle.
    """
    if available > 0:
        return used / available
    if used <= REPORT_EPS:
        return 0.0
    return 1.0 + (min(used / overtime_room, 1.0) if overtime_room > 0 else 1.0)


def run_hours(model: PlanModel) -> dict[tuple[str, int], float]:
    """Hours the planned runs take per resource and month (units started x hours per unit)."""
    hours_per_unit = model.data.routings["hours_per_unit"]
    used: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in model.variables["make"].items():
        hours = value_of(var) * float(hours_per_unit[(sku, res)])
        used[(res, t)] = used.get((res, t), 0.0) + hours
    return used


def setup_hours(model: PlanModel) -> dict[tuple[str, int], float]:
    """Changeover hours of the planned runs per resource and month."""
    per_run = model.data.routings["setup_hours"]
    used: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in model.variables["setup"].items():
        hours = value_of(var) * float(per_run[(sku, res)])
        if hours:
            used[(res, t)] = used.get((res, t), 0.0) + hours
    return used


def capacity_use(model: PlanModel) -> pd.DataFrame:
    """Per resource and month: hours available, used (runs, changeovers, firm), overtime,
    rough-cut load."""
    data = model.data
    v = model.variables
    run = run_hours(model)
    setups = setup_hours(model)
    firm = {k: float(x) for k, x in data.firm_hours.items()}
    load = required_hours(data)
    sites = data.resource_sites
    caps = model.constraints.get("Resource-capacity", {})
    resources = data.resources

    def overtime_room(res: str) -> float:
        if res not in resources.index:
            return 0.0
        return float(resources.at[res, "overtime_max"] * resources.at[res, "efficiency"])

    rows = []
    for (res, month), available in data.capacity.items():
        t = data.months.get_loc(month)
        overload = value_of(v["overload"][(res, t)]) if (res, t) in v["overload"] else 0.0
        firm_hours = firm.get((res, month), 0.0)
        hours = run.get((res, t), 0.0) + setups.get((res, t), 0.0) + firm_hours - overload
        rows.append(
            {
                "resource": res,
                "site": sites.get(res, ""),
                "month": month,
                "available_hours": float(available),
                "used_hours": hours,
                "run_hours": run.get((res, t), 0.0),
                "setup_hours": setups.get((res, t), 0.0),
                "utilisation": _utilisation(hours, float(available), overtime_room(res)),
                "overtime_hours": value_of(v["overtime"][(res, t)])
                if (res, t) in v["overtime"]
                else 0.0,
                "required_hours": load.get((res, month), 0.0),
                "firm_hours": firm_hours,
                "overload_hours": overload,
                "shadow_price": shadow_price(caps.get((res, t))),
            }
        )
    return pd.DataFrame(rows)
