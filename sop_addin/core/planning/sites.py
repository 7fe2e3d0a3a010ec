"""Sites in the model: finished-goods stock per SKU and site, moved along lanes (site_data.py).

With ``data.networked``, build.py's per-SKU rows are the SKU's demand site: ``stock``,
``lost``, ``backlog``, ``below_safety`` and ``Product-balance[sku,month]``, which then counts
only the runs on that site's resources (``demand_site_yields``). The families added here, in
create_model's order:

- ``site_stock`` (sku, site, month): closing stock at each of the SKU's other sites;
- ``transfer`` (sku, lane, month): units shipped on a lane in a month, arriving lead months
  later (arrivals inside the plan only);
- ``Site-balance[sku,site,month]``: stock = last month's + runs on the site's resources +
  arrivals - departures (+ the stock on hand there in the first month);
- arrivals and departures at the demand site join its ``Product-balance`` row;
- ``Lane-capacity[lane,month]``: units shipped on a lane in a month stay within its capacity;
- stock at the other sites joins their site's ``Storage-capacity`` row (Warehouses).

A transfer costs the lane's cost per unit; stock at another site its SKU's holding cost. The
Transfers table, the balance's transfers and the finance figures read the units moved from one
place, ``transfer_units``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pandas as pd
import pulp

from sop_addin.core.planning.model_rows import lp_row

if TYPE_CHECKING:  # build.py calls these families: a runtime import would be circular
    from sop_addin.core.planning.build import Key, PlanModel
    from sop_addin.core.planning.data import PlanningData

EPS = 1e-6


def demand_site_yields(data: PlanningData) -> pd.Series:
    """(sku, resource) -> yield of the routings whose output lands at the SKU's demand site:
    every routing when stock is pooled."""
    yields = data.routings["yield"]
    if not data.networked or yields.empty:
        return yields
    home = data.products["site"]
    skus = yields.index.get_level_values("sku")
    made_at = data.routings["site"].astype(str).to_numpy()
    return yields[made_at == home.reindex(skus).astype(str).to_numpy()]


def held_stock(model: PlanModel) -> dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]]:
    """Per (sku, month): the SKU's stock at the month end wherever it is: at its demand site,
    at its other sites, and in transit (shipped by then, arriving after). Its output leaves
    only by sales, so the lot cuts (lot_cuts.py) bound this, not the demand site's alone."""
    v = model.variables
    held: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = {
        key: [(var, 1.0)] for key, var in v["stock"].items()
    }
    for (sku, _site, t), var in v["site_stock"].items():
        held[(sku, t)].append((var, 1.0))
    lead = model.data.lanes["lead_months"] if len(model.data.lanes) else {}
    for (sku, lane, ship), var in v["transfer"].items():
        for t in range(ship, ship + int(lead[lane])):  # in transit at these month ends
            held[(sku, t)].append((var, 1.0))
    return held


def sku_lanes(data: PlanningData) -> dict[str, list[str]]:
    """Per SKU, the lanes between two of its sites that do not leave its demand site: stock
    moves toward where it sells, never away from it (half the transfer variables)."""
    if not data.networked or data.lanes.empty:
        return {}
    home = {str(sku): str(site) for sku, site in data.products["site"].items()}
    sites: dict[str, set[str]] = defaultdict(set)
    for sku, site in home.items():
        sites[sku].add(site)
    for sku, site in data.sites.index:
        sites[str(sku)].add(str(site))
    lanes = data.lanes
    ends = list(zip(lanes.index.astype(str), lanes["from_site"], lanes["to_site"], strict=True))
    found: dict[str, list[str]] = {}
    for sku, own in sites.items():
        lanes = [
            lane for lane, start, end in ends if start in own and end in own and start != home[sku]
        ]
        if lanes:
            found[sku] = lanes
    return found


def define_site_variables(model: PlanModel) -> None:
    """Stock at each of a SKU's other sites, and units shipped on its lanes per month."""
    data = model.data
    horizon = len(data.months)
    periods = range(horizon)
    held = [(sku, site, t) for sku, site in data.sites.index for t in periods]
    model.add_variables("site_stock", held)
    lead = data.lanes["lead_months"] if len(data.lanes) else {}
    keys = [
        (sku, lane, t)
        for sku, lanes in sku_lanes(data).items()
        for lane in lanes
        for t in periods
        if t + int(lead[lane]) < horizon
    ]
    model.add_variables("transfer", keys)


def _site_of_resource(data: PlanningData) -> dict[tuple[str, str], tuple[str, float]]:
    return {
        (str(sku), str(res)): (str(route["site"]), float(route["yield"]))
        for (sku, res), route in data.routings.iterrows()
    }


def define_site_balance_constraints(model: PlanModel) -> None:
    """Stock at a SKU's other sites; arrivals and departures at its demand site."""
    data = model.data
    v = model.variables
    stock, moved, make = v["site_stock"], v["transfer"], v["make"]
    if not stock and not moved:
        return
    lanes = data.lanes
    runs: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for (sku, res), (site, y) in _site_of_resource(data).items():
        runs[(sku, site)].append((res, y))
    flows: dict[tuple[str, str, int], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (sku, lane, t), var in moved.items():
        start, end = str(lanes.at[lane, "from_site"]), str(lanes.at[lane, "to_site"])
        flows[(sku, start, t)].append((var, 1.0))  # departs
        flows[(sku, end, t + int(lanes.at[lane, "lead_months"]))].append((var, -1.0))  # arrives
    opening = {k: float(x) for k, x in data.sites.items()}
    for sku, site in data.sites.index:
        for t in range(len(data.months)):
            terms = [(stock[(sku, site, t)], 1.0)]
            if t > 0:
                terms.append((stock[(sku, site, t - 1)], -1.0))
            terms += [(make[(sku, res, t)], -y) for res, y in runs.get((sku, site), [])]
            terms += flows.get((sku, site, t), [])
            rhs = opening[(sku, site)] if t == 0 else 0.0
            model.add_constraint(
                "Site-balance", (sku, site, t), lp_row(terms, pulp.LpConstraintEQ, rhs)
            )
    rows = model.constraints["Product-balance"]
    home = data.products["site"]
    for (sku, site, t), terms in flows.items():
        if site == str(home[sku]):
            for var, sign in terms:
                rows[(sku, t)].addInPlace(sign * var)


def define_lane_capacity_constraints(model: PlanModel) -> None:
    """Units shipped on a lane in a month (all SKUs) stay within its capacity per month."""
    moved = model.variables["transfer"]
    if not moved:
        return
    capacity = model.data.lanes["capacity"]
    by_lane: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (_sku, lane, t), var in moved.items():
        if pd.notna(capacity[lane]):
            by_lane[(lane, t)].append((var, 1.0))
    for (lane, t), terms in sorted(by_lane.items()):
        row = lp_row(terms, pulp.LpConstraintLE, float(capacity[lane]))
        model.add_constraint("Lane-capacity", (lane, t), row)


def define_site_storage_constraints(model: PlanModel) -> None:
    """Stock at a SKU's other sites counts against that site's storage capacity."""
    stock = model.variables["site_stock"]
    rows = model.constraints.get("Storage-capacity", {})
    if not stock or not rows:
        return
    for (_sku, site, t), var in stock.items():
        if (site, t) in rows:
            rows[(site, t)].addInPlace(1.0 * var)


def define_site_objective(model: PlanModel) -> None:
    """Transfer cost and the holding cost of stock at the other sites join the cost part."""
    v = model.variables
    if not v["site_stock"] and not v["transfer"]:
        return
    data = model.data
    holding = data.products["holding_cost"]
    cost = data.lanes["cost_per_unit"] if len(data.lanes) else {}
    model.costs["site_stock"] = {k: float(holding[k[0]]) for k in v["site_stock"]}
    model.costs["transfer"] = {k: float(cost[k[1]]) for k in v["transfer"]}
    expr = pulp.LpAffineExpression(
        [
            (v[kind][k], w)
            for kind in ("site_stock", "transfer")
            for k, w in model.costs[kind].items()
            if w
        ]
    )
    model.objectives["plan"] = model.objectives["plan"] + expr
    model.problem.objective += expr  # in place: rebuilding the sum costs a pass over it


# -- reading the solved model ------------------------------------------------------------


def transfer_units(model: PlanModel) -> dict[Key, float]:
    """Units moved per (sku, lane, ship month index): the one place the Transfers table, the
    balance and the finance figures take them from (a rounding step would go here)."""
    from sop_addin.core.planning.tables import value_of  # tables imports build: a cycle

    moved: dict[Key, float] = {}
    for key, var in model.variables.get("transfer", {}).items():
        units = value_of(var)
        if units > EPS:
            moved[key] = units
    return moved


TRANSFER_COLUMNS = [
    "sku",
    "lane",
    "from_site",
    "to_site",
    "ship_month",
    "arrival_month",
    "quantity",
    "cost",
]


def transfer_plan(model: PlanModel) -> pd.DataFrame:
    """The Transfers table: every lane shipment with its arrival month and cost."""
    data = model.data
    rows = []
    for (sku, lane, t), units in transfer_units(model).items():
        terms = data.lanes.loc[lane]
        rows.append(
            {
                "sku": sku,
                "lane": lane,
                "from_site": terms["from_site"],
                "to_site": terms["to_site"],
                "ship_month": data.months[t],
                "arrival_month": data.months[t + int(terms["lead_months"])],
                "quantity": units,
                "cost": units * float(terms["cost_per_unit"]),
            }
        )
    frame = pd.DataFrame(rows, columns=TRANSFER_COLUMNS)
    return frame.sort_values(["sku", "ship_month", "lane"], ignore_index=True)


def site_flows(model: PlanModel) -> tuple[dict[Key, float], dict[Key, float]]:
    """Units arriving at and leaving each (sku, site, month index)."""
    lanes = model.data.lanes
    arriving: dict[Key, float] = defaultdict(float)
    leaving: dict[Key, float] = defaultdict(float)
    for (sku, lane, t), units in transfer_units(model).items():
        leaving[(sku, str(lanes.at[lane, "from_site"]), t)] += units
        arrival = t + int(lanes.at[lane, "lead_months"])
        arriving[(sku, str(lanes.at[lane, "to_site"]), arrival)] += units
    return dict(arriving), dict(leaving)


def other_site_rows(model: PlanModel, template: dict[str, Any]) -> list[dict[str, Any]]:
    """ProductBalance rows of the SKUs' other sites: stock, production landing there and
    transfers (no demand is served there), for the months with any. template holds the row's
    zero columns."""
    from sop_addin.core.planning.tables import value_of  # tables imports build: a cycle

    data = model.data
    stock = model.variables["site_stock"]
    arriving, leaving = site_flows(model)
    made: dict[Key, float] = defaultdict(float)
    for (sku, res, t), var in model.variables["make"].items():
        route = data.routings.loc[(sku, res)]
        made[(sku, str(route["site"]), t)] += value_of(var) * float(route["yield"])
    rows = []
    for (sku, site), opening in data.sites.items():
        for t, month in enumerate(data.months):
            closing = value_of(stock[(sku, site, t)])
            row = {
                "opening": float(opening),
                "production": made.get((sku, site, t), 0.0),
                "transfers_in": arriving.get((sku, site, t), 0.0),
                "transfers_out": leaving.get((sku, site, t), 0.0),
                "closing": closing,
            }
            # A month with nothing at the site and nothing through it is no row: the table
            # stays the size of what moves.
            if any(abs(x) > EPS for x in row.values()):
                rows.append({**template, "sku": sku, "site": site, "month": month, **row})
            opening = closing
    return rows


# -- explanations ------------------------------------------------------------------------


def lane_causes(tracer: Any, sku: str, tau: int, add: Any, t: int | None = None) -> None:
    """A lane into the SKU's demand site at capacity for a shipment that could have arrived by
    month tau (for a shortfall in month t, tau <= t: stock moved ahead and held): what one more
    unit of the lane would save."""
    data = tracer.data
    rows = tracer.model.constraints.get("Lane-capacity", {})
    if not rows:
        return
    home = str(data.products.at[sku, "site"])
    for lane in tracer.lanes.get(sku, []):
        terms = data.lanes.loc[lane]
        if str(terms["to_site"]) != home:
            continue
        ship = tau - int(terms["lead_months"])
        if ship < 0 or (lane, ship) not in rows:
            continue
        price = tracer.price("Lane-capacity", (lane, ship))
        if price <= EPS:
            continue
        text = (
            f"lane {lane} ({terms['from_site']} to {home}) is full in {tracer.labels[ship]} "
            f"({float(terms['capacity']):g} units a month), so {sku} made at "
            f"{terms['from_site']} could not reach {home} by {tracer.labels[tau]}"
        )
        if t is not None and tau < t:
            text += f" (stock moved ahead for {tracer.labels[t]})"
        text += f"; one more unit of lane capacity would save {price:,.2f}"
        add("Lane-capacity", (lane, ship), price, "lane capacity", text)
