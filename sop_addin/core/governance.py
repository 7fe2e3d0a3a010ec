"""Governance: the approved plan against what happened (plan vs actual), each cycle.

Pure pandas. Actuals are long rows (month, kind, item, quantity) with kind one of orders,
shipments, production, receipts, inventory. A month loaded for a kind is taken as complete:
an item missing from it had zero of that kind in that month. Accuracy and adherence are
1 - (sum of absolute errors) / total, floored at 0 (an error larger than the total is 0%).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PASS, WARN, FAIL, NA = "pass", "warn", "fail", "n/a"
ACCURACY_COLUMNS = ["lag", "months", "forecast", "actual", "abs_error", "accuracy", "bias"]
ADHERENCE_COLUMNS = ["measure", "plan", "actual", "value", "threshold", "status"]
DEVIATION_COLUMNS = ["area", "item", "month", "plan", "actual", "deviation", "follow_up"]


@dataclass(frozen=True)
class GovernanceThresholds:
    """Where a measure turns to warn, and how far an item may drift before it is listed."""

    min_accuracy: float = 0.70
    max_abs_bias: float = 0.10
    min_fill_rate: float = 0.95
    min_production_adherence: float = 0.90
    receipts_band: float = 0.10  # receipts within plan +-10%
    inventory_band: float = 0.25  # closing stock within plan +-25%
    demand_deviation: float = 0.25  # SKU-month demand beyond +-25% of forecast is listed
    production_deviation: float = 0.10  # production more than 10% below plan is listed
    receipts_deviation: float = 0.10
    inventory_deviation: float = 0.25


@dataclass(frozen=True)
class ApprovedPlan:
    """The tables of an approved snapshot that plan vs actual compares with."""

    first_month: pd.Timestamp
    forecast: pd.DataFrame  # sku, month, forecast
    balance: pd.DataFrame  # sku, month, demand, served, closing
    production: pd.DataFrame  # sku, resource, month, good_quantity
    purchases: pd.DataFrame  # material, supplier, arrival_month, quantity
    # OpenOrders the plan counted on (order_type, item, quantity, due_month): an open
    # purchase order due in a month is a planned receipt of that month, not a surprise.
    open_orders: pd.DataFrame | None = None


@dataclass(frozen=True)
class PlanVsActual:
    accuracy: pd.DataFrame
    adherence: pd.DataFrame
    deviations: pd.DataFrame


def _lag(month: pd.Timestamp, first: pd.Timestamp) -> int:
    return (month.year - first.year) * 12 + (month.month - first.month)


def _kind(actuals: pd.DataFrame, kind: str) -> pd.DataFrame:
    rows = actuals[actuals["kind"] == kind]
    return rows.groupby(["item", "month"], as_index=False)["quantity"].sum()


def _against(plan: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Plan (item, month, plan) and actual (item, month, quantity) on the actual's months.

    Outer join so an item planned but not sold (or sold but not planned) counts; zeros fill.
    """
    months = set(actual["month"])
    plan = plan[plan["month"].isin(months)]
    merged = plan.merge(
        actual.rename(columns={"quantity": "actual"}), on=["item", "month"], how="outer"
    )
    return merged.fillna({"plan": 0.0, "actual": 0.0})


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _band_status(value: float | None, low: float, high: float, actual: float = 0.0) -> str:
    if value is None:  # nothing planned: fine only if nothing happened either
        return PASS if actual == 0 else WARN
    return PASS if low <= value <= high else WARN


def _min_status(value: float | None, minimum: float) -> str:
    if value is None:
        return NA
    return PASS if value >= minimum else WARN


def forecast_accuracy(
    plan: ApprovedPlan, demand: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy and bias by lag, and the SKU-month comparison they come from."""
    forecast = plan.forecast.rename(columns={"sku": "item", "forecast": "plan"})
    compared = _against(forecast[["item", "month", "plan"]], demand)
    if compared.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS), compared
    compared["lag"] = [_lag(m, plan.first_month) for m in compared["month"]]
    compared["error"] = (compared["plan"] - compared["actual"]).abs()
    rows = []
    for lag, group in compared.groupby("lag"):
        f, a, e = (
            float(group["plan"].sum()),
            float(group["actual"].sum()),
            float(group["error"].sum()),
        )
        accuracy = None if not a else max(0.0, 1 - e / a)
        rows.append([int(lag), group["month"].nunique(), f, a, e, accuracy, _ratio(f - a, a)])
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS), compared


def _deviation_rows(
    compared: pd.DataFrame, area: str, limit: float, below_only: bool, follow_up: str
) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in compared.itertuples():
        plan, actual = float(r.plan), float(r.actual)
        deviation = (actual - plan) / plan if plan else None
        if deviation is None:  # nothing planned: only an unplanned actual is worth a line
            if below_only or actual <= 0:
                continue
        elif (below_only and deviation >= -limit) or (not below_only and abs(deviation) <= limit):
            continue
        rows.append([area, r.item, r.month, plan, actual, deviation, follow_up])
    return rows


def planned_receipts(plan: ApprovedPlan) -> pd.DataFrame:
    """Receipts the plan counts on (item, month, plan): its purchases plus open purchase orders."""
    parts = [
        plan.purchases[["material", "arrival_month", "quantity"]].set_axis(
            ["item", "month", "plan"], axis=1
        )
    ]
    orders = plan.open_orders
    if orders is not None and len(orders):
        bought = orders[orders["order_type"] == "purchase"]
        parts.append(
            bought[["item", "due_month", "quantity"]].set_axis(["item", "month", "plan"], axis=1)
        )
    frame = pd.concat(parts, ignore_index=True).astype({"plan": float})
    return frame.groupby(["item", "month"], as_index=False)["plan"].sum()


def plan_vs_actual(
    plan: ApprovedPlan, actuals: pd.DataFrame, limits: GovernanceThresholds | None = None
) -> PlanVsActual:
    """Forecast accuracy by lag, adherence measures and deviations listed for follow-up."""
    limits = limits or GovernanceThresholds()
    actuals = actuals.copy()
    actuals["month"] = pd.to_datetime(actuals["month"])
    orders, shipments = _kind(actuals, "orders"), _kind(actuals, "shipments")
    demand = orders if len(orders) else shipments
    accuracy, demand_compared = forecast_accuracy(plan, demand)

    adherence: list[list[object]] = []
    f, a = float(accuracy["forecast"].sum()), float(accuracy["actual"].sum())
    e = float(accuracy["abs_error"].sum())
    overall = None if not a else max(0.0, 1 - e / a)
    adherence.append(
        [
            "Forecast accuracy (all lags)",
            f,
            a,
            overall,
            f">= {limits.min_accuracy:.0%}",
            _min_status(overall, limits.min_accuracy),
        ]
    )
    bias = _ratio(f - a, a)
    adherence.append(
        [
            "Forecast bias",
            f,
            a,
            bias,
            f"within +-{limits.max_abs_bias:.0%}",
            _band_status(bias, -limits.max_abs_bias, limits.max_abs_bias),
        ]
    )

    fill_orders = orders[orders["month"].isin(set(shipments["month"]))]
    ordered, shipped = float(fill_orders["quantity"].sum()), float(shipments["quantity"].sum())
    fill = _ratio(shipped, ordered) if len(fill_orders) else None
    adherence.append(
        [
            "Order fill rate (shipped / ordered)",
            ordered,
            shipped,
            fill,
            f">= {limits.min_fill_rate:.0%}",
            _min_status(fill, limits.min_fill_rate),
        ]
    )

    planned_production = (
        plan.production.groupby(["sku", "month"], as_index=False)["good_quantity"]
        .sum()
        .rename(columns={"sku": "item", "good_quantity": "plan"})
    )
    production = _against(planned_production, _kind(actuals, "production"))
    if len(production):
        p = float(production["plan"].sum())
        gap = float((production["actual"] - production["plan"]).abs().sum())
        value = None if not p else max(0.0, 1 - gap / p)
        adherence.append(
            [
                "Production plan adherence",
                p,
                float(production["actual"].sum()),
                value,
                f">= {limits.min_production_adherence:.0%}",
                _min_status(value, limits.min_production_adherence),
            ]
        )
    else:
        adherence.append(["Production plan adherence", None, None, None, "", NA])

    receipts = _against(planned_receipts(plan), _kind(actuals, "receipts"))
    band = limits.receipts_band
    if len(receipts):
        p, r = float(receipts["plan"].sum()), float(receipts["actual"].sum())
        value = _ratio(r, p)
        adherence.append(
            [
                "Receipts vs plan",
                p,
                r,
                value,
                f"{1 - band:.0%}-{1 + band:.0%}",
                _band_status(value, 1 - band, 1 + band, actual=r),
            ]
        )
    else:
        adherence.append(["Receipts vs plan", None, None, None, "", NA])

    # One figure per SKU and month, all its sites together (actuals have no site).
    stock = plan.balance.groupby(["sku", "month"], as_index=False)["closing"].sum()
    planned_stock = stock.rename(columns={"sku": "item", "closing": "plan"})
    inventory = _against(planned_stock[["item", "month", "plan"]], _kind(actuals, "inventory"))
    band = limits.inventory_band
    if len(inventory):
        p, s = float(inventory["plan"].sum()), float(inventory["actual"].sum())
        value = _ratio(s, p)
        adherence.append(
            [
                "Inventory vs plan",
                p,
                s,
                value,
                f"{1 - band:.0%}-{1 + band:.0%}",
                _band_status(value, 1 - band, 1 + band, actual=s),
            ]
        )
    else:
        adherence.append(["Inventory vs plan", None, None, None, "", NA])

    suppliers = dict(zip(plan.purchases["material"], plan.purchases["supplier"], strict=True))
    deviations = _deviation_rows(
        demand_compared,
        "demand",
        limits.demand_deviation,
        False,
        "demand far from the approved forecast: review the forecast and consensus inputs",
    )
    deviations += _deviation_rows(
        production,
        "production",
        limits.production_deviation,
        True,
        "production below plan: check capacity, yield and material availability",
    )
    for row in _deviation_rows(
        receipts, "receipts", limits.receipts_deviation, True, "receipts below plan"
    ):
        supplier = suppliers.get(str(row[1]))
        row[6] = f"receipts below plan: chase supplier {supplier}" if supplier else row[6]
        deviations.append(row)
    deviations += _deviation_rows(
        inventory,
        "inventory",
        limits.inventory_deviation,
        False,
        "closing stock far from plan: check demand, production and receipts of the item",
    )
    frame = pd.DataFrame(deviations, columns=DEVIATION_COLUMNS)
    if len(frame):
        frame["size"] = frame["deviation"].abs().fillna(float("inf"))
        frame = frame.sort_values(["area", "size", "item"], ascending=[True, False, True])
        frame = frame.drop(columns="size").reset_index(drop=True)
    return PlanVsActual(
        accuracy=accuracy,
        adherence=pd.DataFrame(adherence, columns=ADHERENCE_COLUMNS),
        deviations=frame,
    )
