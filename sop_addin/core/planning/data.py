"""Planning data: the inputs reshaped into the indexed frames the model is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sop_addin.core.calendar import month_label, weekdays_in_month
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning.safety_stock import (
    compute_safety_stock,
    lead_time_months,
)
from sop_addin.core.planning.shifts import shift_options
from sop_addin.core.planning.site_data import (
    demand_sites,
    lanes_frame,
    remote_sites,
    sites_modelled,
)
from sop_addin.core.planning.sourcing import (
    material_sources,
    sourced_lead_times,
    with_primary_sources,
)
from sop_addin.core.planning.substitutes import bom_alternates


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
        resources: per resource: site, efficiency, overtime_max (scheduled h/month), overtime_cost.
        firm_hours: (resource, month) -> hours taken by released production orders.
        storage: site -> most finished-goods units it holds at a month end (listed sites only).
        safety: the SafetyStock table (per SKU: the formula's inputs, result and target).
        sources: (material, supplier) -> every source's terms (sourcing.py); the main source's
            are also in `materials`.
        shifts: per resource that may add shifts: hours per shift per month and the terms
            (shifts.py); empty when none may.
        substitutes: (sku, material, alternate) -> BOM quantity, ratio, extra cost, priority
            (substitutes.py).
        networked: stock is planned per SKU and site (Regions or Lanes filled, site_data.py):
            products' site is then the demand site and their opening stock is held there.
        lanes: per lane: from and to site, lead months, cost per unit, capacity (NaN: none).
        sites: (sku, site) -> opening units, for every site of a SKU other than its demand
            site (empty unless networked).
        big_penalty: cost per unit of an elastic slack that only infeasible inputs may use.
        all_demand_met: demand is a hard constraint (no lost sales, no backlog): for models
            whose inputs guarantee a plan exists, such as the public lot-sizing benchmarks.
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
    resources: pd.DataFrame = field(default_factory=pd.DataFrame)
    firm_hours: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    storage: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    safety: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    shifts: pd.DataFrame = field(default_factory=pd.DataFrame)
    substitutes: pd.DataFrame = field(default_factory=pd.DataFrame)
    networked: bool = False
    lanes: pd.DataFrame = field(default_factory=pd.DataFrame)
    sites: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    big_penalty: float = 1e6
    all_demand_met: bool = False

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]


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


def priority_weight(priority: float) -> float:
    """How much a unit's margin counts when supply is short: 4x at priority 1, 2x at 2, 1x at 3."""
    return float(2.0 ** (3 - priority))


def _optional(inputs: PlanInputs, name: str) -> pd.DataFrame | None:
    """A table added to the contract after a workbook was made may be absent from old inputs."""
    table = inputs.tables.get(name)
    return None if table is None or table.empty else table


def _column(frame: pd.DataFrame, name: str, default: float) -> pd.Series:
    """An optional numeric input column with its blank cells set to the documented default."""
    if name not in frame:
        return pd.Series(default, index=frame.index, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").astype(float).fillna(default)


def _product_penalties(
    products: pd.DataFrame, routings: pd.DataFrame, carrying_rate: float
) -> None:
    """Objective weights per SKU, in the order the plan serves them: demand, buffers, cost.

    Demand comes first by construction (solve.py minimises the weighted unmet demand before
    anything else); these weights say which demand first when not all of it can be served. A
    unit not served weighs its margin times its priority weight, plus one, so the hours go to
    the highest priority-weighted margin per hour first. A backlog unit weighs a tenth of that
    per month late; backlog still owed at the horizon end weighs as lost.

    Buffers come second, before cost: a unit below safety stock costs more than making it on
    any routing, overtime included (setup costs aside: a changeover may cost more than a
    buffer is worth).
    """
    value = products["margin"].clip(lower=0.0) * products["priority"].map(priority_weight) + 1.0
    products["unmet_penalty"] = value
    products["backlog_penalty"] = 0.1 * value
    overtime_per_unit = routings["overtime_cost_per_unit"].groupby(level="sku").max()
    dearest = (products["standard_cost"] + overtime_per_unit.reindex(products.index)).fillna(
        products["standard_cost"]
    )
    products["safety_penalty"] = dearest + 0.5 * value + 1.0
    products["holding_cost"] = carrying_rate / 12 * products["standard_cost"]


def _home_sites(inputs: PlanInputs, routings: pd.DataFrame, skus: list[str]) -> pd.Series:
    """Where a SKU's finished goods are stored: its largest inventory row, else its primary site."""
    stock = inputs["ProductInventory"].sort_values(["sku", "on_hand"], kind="stable")
    held = stock.drop_duplicates("sku", keep="last").set_index("sku")["site"]
    primary = (
        routings.reset_index().sort_values(["sku", "priority", "resource"]).drop_duplicates("sku")
    )
    made = primary.set_index("sku")["site"]
    return held.reindex(skus).fillna(made.reindex(skus)).fillna("")


def _firm_hours(
    orders: pd.DataFrame, routings: pd.DataFrame, months: pd.DatetimeIndex
) -> pd.Series:
    """Hours released production orders take on their SKU's primary resource in their month."""
    primary = (
        routings.reset_index().sort_values(["sku", "priority", "resource"]).drop_duplicates("sku")
    ).set_index("sku")
    hours: dict[tuple[str, pd.Timestamp], float] = {}
    for order in orders.itertuples(index=False):
        month = _clip_to_horizon(pd.Timestamp(order.due_month), months)
        if month is None or order.item not in primary.index:
            continue
        route = primary.loc[order.item]
        need = float(order.quantity) / float(route["yield"]) * float(route["hours_per_unit"])
        key = (str(route["resource"]), month)
        hours[key] = hours.get(key, 0.0) + need
    return _keyed_series(hours, ["resource", "month"])


DEMAND_NOISE = 1e-6  # units: less demand than this is planned as none
DEMAND_DECIMALS = 6  # demand and its interval are planned to a millionth of a unit


def prepare_planning_data(inputs: PlanInputs, demand: pd.DataFrame) -> PlanningData:
    """Reshape validated inputs and a demand frame for the model.

    Args:
        inputs: the validated inputs.
        demand: sku, month, quantity (the demand to plan for) and optionally lo80 and hi80, the
            forecast's 80% interval, from which safety stock takes the forecast error.
    """
    months = inputs.months
    skus = inputs["Products"]["sku"].tolist()
    # To a millionth of a unit: a demand kept in memory and the same demand read back from
    # the saved workbook differ in the 13th digit, and the lot-size MILP is chaotic in such
    # digits (the 40-SKU demo took 106 s from one and 32 s from the other, with other cuts).
    # Rounded, a plan made in the cycle and one made again from its workbook are the same.
    demand = demand.assign(
        **{c: demand[c].round(DEMAND_DECIMALS) for c in ("quantity", "lo80", "hi80") if c in demand}
    )
    demand_series = (
        demand[demand["month"].isin(months) & demand["sku"].isin(skus)]
        .groupby(["sku", "month"])["quantity"]
        .sum()
        .reindex(pd.MultiIndex.from_product([skus, months], names=["sku", "month"]), fill_value=0.0)
        .clip(lower=0.0)
    )
    # A millionth of a unit is noise (a forecast's float residue), and below the solvers'
    # feasibility tolerance it can make HiGHS call a plan with room for it infeasible.
    demand_series = demand_series.where(demand_series >= DEMAND_NOISE, 0.0)

    catalogue = inputs["Products"].set_index("sku")
    prices = inputs["Prices"].set_index("sku")["unit_price"].reindex(skus).fillna(0.0)
    costs = standard_costs(inputs).reindex(skus).fillna(0.0)
    stock = inputs["ProductInventory"].groupby("sku")[["on_hand", "safety_stock"]].sum()
    policy = (
        catalogue["unmet_policy"].reindex(skus)
        if "unmet_policy" in catalogue
        else pd.Series(None, index=skus, dtype=object)
    )
    products = pd.DataFrame(
        {
            "price": prices,
            "standard_cost": costs,
            "margin": prices - costs,
            "priority": _column(catalogue, "priority", 3.0).reindex(skus).fillna(3.0),
            "backlog": policy.fillna("lost-sales").eq("backlog"),
            "opening": stock["on_hand"].reindex(skus).fillna(0.0),
            # Units per pack a run is rounded to (whole_units.py); blank: whole units.
            "pack_size": _column(catalogue, "pack_size", 1.0).reindex(skus).fillna(1.0),
        }
    )
    products.index.name = "sku"

    resources = inputs["Resources"].set_index("resource")
    routings = inputs["Routings"].merge(
        resources[["site"]], left_on="resource", right_index=True, how="left"
    )
    for name in ("min_lot", "lot_multiple", "setup_hours", "setup_cost"):
        routings[name] = _column(routings, name, 0.0)
    # What a good unit's conversion costs at most on a routing, on overtime: a unit below the
    # buffer must weigh more than making it anywhere.
    overtime_rate = routings["resource"].map(_column(resources, "overtime_cost_per_hour", 0.0))
    routings["overtime_cost_per_unit"] = (
        overtime_rate.fillna(0.0) * routings["hours_per_unit"] + routings["cost_per_unit"]
    ) / routings["yield"].clip(lower=1e-6)
    routings = routings.set_index(["sku", "resource"]).sort_index()
    products["site"] = _home_sites(inputs, routings, skus)
    networked = sites_modelled(inputs)
    lanes = lanes_frame(inputs)
    sites = pd.Series(dtype=float)
    if networked:
        # Each SKU's stock at its demand site here; its other sites' stock in `sites`.
        products["site"] = demand_sites(inputs, products["site"])
        held = inputs["ProductInventory"].groupby(["sku", "site"])["on_hand"].sum()
        at_home = [float(held.get((sku, site), 0.0)) for sku, site in products["site"].items()]
        products["opening"] = at_home
        sites = remote_sites(inputs, products["site"], routings, lanes)
    _product_penalties(products, routings, inputs.settings.carrying_rate)

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
    resource_frame = pd.DataFrame(
        {
            "site": resources["site"],
            "efficiency": resources["efficiency"].astype(float),
            "overtime_max": _column(resources, "overtime_hours_max", 0.0),
            "overtime_cost": _column(resources, "overtime_cost_per_hour", 0.0),
        }
    )

    orders = inputs["OpenOrders"]
    production_orders = orders[orders["order_type"] == "production"]
    receipts = _order_receipts(production_orders, months, "sku")
    material_receipts = _order_receipts(
        orders[orders["order_type"] == "purchase"], months, "material"
    )

    suppliers = inputs["Suppliers"].set_index("supplier")
    materials = inputs["Materials"].set_index("material")[["unit_cost", "supplier"]].copy()
    materials["lead_months"] = (
        materials["supplier"].map(suppliers["lead_time_days"]).fillna(0.0).map(lead_time_months)
    )
    materials["moq"] = materials["supplier"].map(suppliers["moq"]).astype(float).fillna(0.0)
    materials["opening"] = (
        inputs["MaterialInventory"].groupby("material")["on_hand"].sum().reindex(materials.index)
    ).fillna(0.0)
    materials["holding_cost"] = inputs.settings.carrying_rate / 12 * materials["unit_cost"]
    materials["order_multiple"] = _column(
        inputs["Materials"].set_index("material"), "order_multiple", 1.0
    ).reindex(materials.index)
    sources = material_sources(inputs)
    materials = with_primary_sources(materials, sources, inputs.settings.carrying_rate)

    limits = {
        (supplier, month): float(row["daily_limit"]) * weekdays_in_month(month)
        for supplier, row in suppliers.iterrows()
        for month in months
    }
    supplier_limits = _keyed_series(limits, ["supplier", "month"])

    warehouses = _optional(inputs, "Warehouses")
    storage = (
        warehouses.groupby("site")["storage_capacity"].sum().astype(float)
        if warehouses is not None
        else pd.Series(dtype=float)
    )

    safety = compute_safety_stock(
        skus,
        demand,
        months,
        sourced_lead_times(skus, inputs["BOM"], sources),
        stock["safety_stock"],
        inputs.settings.service_level,
    )
    products["safety_stock"] = safety.set_index("sku")["target"].reindex(skus).fillna(0.0)

    # Elastic slacks that only impossible inputs should use (firm orders beyond capacity, stock
    # beyond storage) cost more than anything a unit or an hour can earn, so the plan never
    # buys output with them.
    horizon = len(months)
    per_unit = float(
        (
            products["unmet_penalty"]
            + horizon * products["backlog_penalty"]
            + products["safety_penalty"]
        ).max()
    )
    fastest = float(routings["hours_per_unit"].min()) if len(routings) else 1.0
    big_penalty = 10.0 * max(per_unit, 1.0) / max(min(fastest, 1.0), 1e-3)

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
        resources=resource_frame,
        firm_hours=_firm_hours(production_orders, routings, months),
        storage=storage,
        safety=safety,
        sources=sources,
        shifts=shift_options(inputs, resource_frame, months),
        substitutes=bom_alternates(inputs, bom),
        networked=networked,
        lanes=lanes,
        sites=sites,
        big_penalty=big_penalty,
    )
