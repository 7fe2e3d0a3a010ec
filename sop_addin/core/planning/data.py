"""Planning data: the inputs reshaped into the indexed frames the model is built from."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sop_addin.core.calendar import month_label, weekdays_in_month
from sop_addin.core.inputs import PlanInputs

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class PlanningData:
    """Everything the supply model needs, one frame per concept, indexed by its keys.

    Attributes:
        months: the plan months, in order.
        demand: sku x month -> units (the forecast or consensus demand).
        products: per sku: price, standard unit cost, opening stock, safety stock, penalties.
        routings: (sku, resource) -> priority, hours_per_unit, cost_per_unit, yield, site.
        capacity: (resource, month) -> available hours net of maintenance, times efficiency.
        resource_sites: resource -> site.
        receipts: (sku, month) -> units of open production orders received.
        materials: per material: unit cost, supplier, lead time in months, opening stock.
        bom: (sku, material) -> quantity per unit started.
        material_receipts: (material, month) -> units of open purchase orders received.
        supplier_limits: (supplier, month) -> units the supplier can ship in the month.
        carrying_rate: inventory carrying cost per year as a share of unit cost.
    """

    months: pd.DatetimeIndex
    demand: pd.Series
    products: pd.DataFrame
    routings: pd.DataFrame
    capacity: pd.Series
    resource_sites: pd.Series
    receipts: pd.Series
    materials: pd.DataFrame
    bom: pd.Series
    material_receipts: pd.Series
    supplier_limits: pd.Series
    carrying_rate: float

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]


def lead_time_months(days: float) -> int:
    """Supplier lead time in whole plan months: ordered in month t, available in t + L."""
    return max(0, math.ceil(days / DAYS_PER_MONTH - 1e-9))


def _clip_to_horizon(month: pd.Timestamp, months: pd.DatetimeIndex) -> pd.Timestamp | None:
    """Overdue open orders land in the first month; orders beyond the horizon are ignored."""
    if month < months[0]:
        return months[0]
    if month > months[-1]:
        return None
    return month


def _order_receipts(orders: pd.DataFrame, months: pd.DatetimeIndex, name: str) -> pd.Series:
    rows = []
    for order in orders.itertuples(index=False):
        month = _clip_to_horizon(pd.Timestamp(order.due_month), months)
        if month is not None:
            rows.append((order.item, month, float(order.quantity)))
    frame = pd.DataFrame(rows, columns=[name, "month", "quantity"])
    return frame.groupby([name, "month"])["quantity"].sum()


def _keyed_series(values: dict[tuple[str, pd.Timestamp], float], names: list[str]) -> pd.Series:
    index = (
        pd.MultiIndex.from_tuples(list(values), names=names)
        if values
        else pd.MultiIndex.from_tuples([], names=names)
    )
    return pd.Series(list(values.values()), index=index, dtype=float)


def standard_costs(inputs: PlanInputs) -> pd.Series:
    """Cost per good unit on the primary routing: (materials + conversion) / yield."""
    materials = inputs["Materials"].set_index("material")["unit_cost"]
    bom = inputs["BOM"]
    material_cost = (
        (bom["quantity_per_unit"] * bom["material"].map(materials)).groupby(bom["sku"]).sum()
    )
    routings = inputs["Routings"].sort_values(["sku", "priority", "resource"])
    primary = routings.drop_duplicates("sku").set_index("sku")
    skus = inputs["Products"]["sku"]
    conversion = primary["cost_per_unit"].reindex(skus).fillna(0.0)
    yields = primary["yield"].reindex(skus).fillna(1.0).clip(lower=1e-6)
    started = material_cost.reindex(skus).fillna(0.0) + conversion
    return (started / yields).rename("standard_cost")


def prepare_planning_data(inputs: PlanInputs, demand: pd.DataFrame) -> PlanningData:
    """Reshape validated inputs and a demand frame (sku, month, quantity) for the model."""
    months = inputs.months
    skus = inputs["Products"]["sku"].tolist()
    demand_series = (
        demand[demand["month"].isin(months) & demand["sku"].isin(skus)]
        .groupby(["sku", "month"])["quantity"]
        .sum()
        .reindex(pd.MultiIndex.from_product([skus, months], names=["sku", "month"]), fill_value=0.0)
        .clip(lower=0.0)
    )

    prices = inputs["Prices"].set_index("sku")["unit_price"].reindex(skus).fillna(0.0)
    costs = standard_costs(inputs).reindex(skus).fillna(0.0)
    stock = inputs["ProductInventory"].groupby("sku")[["on_hand", "safety_stock"]].sum()
    products = pd.DataFrame(
        {
            "price": prices,
            "standard_cost": costs,
            "opening": stock["on_hand"].reindex(skus).fillna(0.0),
            "safety_stock": stock["safety_stock"].reindex(skus).fillna(0.0),
        }
    )
    # Unmet demand costs the lost revenue plus the cost avoided, so serving is always worth it
    # while capacity allows. A unit below safety stock costs more than making it (so the
    # buffer is kept even in the last month, where no later demand pays for it) but less than
    # a lost sale, so demand comes first and buffers second.
    products["unmet_penalty"] = products["price"] + products["standard_cost"] + 1.0
    products["safety_penalty"] = products["standard_cost"] + 0.5 * products["price"] + 0.5
    products["holding_cost"] = inputs.settings.carrying_rate / 12 * products["standard_cost"]
    products.index.name = "sku"

    resources = inputs["Resources"].set_index("resource")
    routings = inputs["Routings"].merge(
        resources[["site"]], left_on="resource", right_index=True, how="left"
    )
    routings = routings.set_index(["sku", "resource"]).sort_index()

    calendar = inputs["ResourceCalendar"].set_index(["resource", "month"])
    capacity: dict[tuple[str, pd.Timestamp], float] = {}
    for resource, row in resources.iterrows():
        for month in months:
            if (resource, month) in calendar.index:
                days = float(calendar.at[(resource, month), "working_days"])
                maintenance = float(calendar.at[(resource, month), "maintenance_hours"])
            else:
                days, maintenance = weekdays_in_month(month), 0.0
            hours = max(0.0, days * float(row["hours_per_day"]) - maintenance)
            capacity[(resource, month)] = hours * float(row["efficiency"])
    capacity_series = _keyed_series(capacity, ["resource", "month"])

    orders = inputs["OpenOrders"]
    receipts = _order_receipts(orders[orders["order_type"] == "production"], months, "sku")
    material_receipts = _order_receipts(
        orders[orders["order_type"] == "purchase"], months, "material"
    )

    suppliers = inputs["Suppliers"].set_index("supplier")
    materials = inputs["Materials"].set_index("material")[["unit_cost", "supplier"]].copy()
    materials["lead_months"] = (
        materials["supplier"].map(suppliers["lead_time_days"]).fillna(0.0).map(lead_time_months)
    )
    materials["opening"] = (
        inputs["MaterialInventory"].groupby("material")["on_hand"].sum().reindex(materials.index)
    ).fillna(0.0)
    materials["holding_cost"] = inputs.settings.carrying_rate / 12 * materials["unit_cost"]

    limits = {
        (supplier, month): float(row["daily_limit"]) * weekdays_in_month(month)
        for supplier, row in suppliers.iterrows()
        for month in months
    }
    supplier_limits = _keyed_series(limits, ["supplier", "month"])

    bom = inputs["BOM"].set_index(["sku", "material"])["quantity_per_unit"].sort_index()
    return PlanningData(
        months=months,
        demand=demand_series,
        products=products,
        routings=routings,
        capacity=capacity_series,
        resource_sites=resources["site"],
        receipts=receipts,
        materials=materials,
        bom=bom,
        material_receipts=material_receipts,
        supplier_limits=supplier_limits,
        carrying_rate=inputs.settings.carrying_rate,
    )
