"""Why demand is not met: binding constraints with their shadow prices, bottlenecks, slacks.

Shadow prices are the LP's duals (for a MILP: the LP re-solved with setups and lot counts fixed
at the MIP solution; see solve.py). A shadow price is what one more unit of the constraint's
right-hand side would save: one more hour on a resource, one more unit of a material in stock,
one more unit a supplier could ship, one more unit of storage.

A shortfall of SKU s in month t is traced to the constraints that could have supplied it:
capacity on any of its routings' resources in month t or before (earlier output could have been
stored), its materials in those months (split into a lead time, when no order could have
arrived in time, and a supplier limit, when the supplier's monthly limit binds), storage that
stopped building ahead, lot rules, and a lane into its demand site at capacity (sites.py).
They are ranked by what they cost per unit of s: a resource hour's price times the hours a good
unit needs, a material's price times the quantity a good unit needs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from sop_addin.core.planning.build import SLACKS, Key, PlanModel
from sop_addin.core.planning.second_sources import (
    fastest_source,
    second_source_causes,
    source_limited,
)
from sop_addin.core.planning.shifts import shift_note
from sop_addin.core.planning.sites import lane_causes, sku_lanes
from sop_addin.core.planning.tables import EPS, setup_hours, shadow_price
from sop_addin.core.planning.tables import value_of as _value

MAX_CAUSES = 3
SHORTFALL_COLUMNS = [
    "sku",
    "month",
    "rank",
    "unmet",
    "cause",
    "constraint",
    "shadow_price",
    "explanation",
]
BOTTLENECK_COLUMNS = [
    "constraint",
    "cause",
    "months_binding",
    "first_month",
    "max_shadow_price",
    "sum_shadow_price",
    "max_utilisation",
]
SLACK_COLUMNS = ["slack", "kind", "quantity", "unit", "penalty"]
_CAUSES = {
    "Resource-capacity": "capacity",
    "Safety-stock": "kept as safety stock",
    "Material-balance": "material",
    "Supplier-limit": "supplier limit",
    "Source-limit": "supplier limit",
    "Storage-capacity": "storage",
    "Lane-capacity": "lane capacity",
    "Order-moq": "order quantity",
    "Order-open": "order quantity",
    "Lot-setup": "lot size",
    "Lot-minimum": "lot size",
    "Lot-multiple": "lot size",
}
_SLACK_NAMES = {
    "lost": "Lost-sales",
    "backlog": "Backlog",
    "below_safety": "Below-safety-stock",
    "overflow": "Storage-overflow",
    "overload": "Capacity-overload",
}


def constraint_price(model: PlanModel, kind: str, key: Key) -> float:
    """The constraint's shadow price; for a material, only what it is worth above its price.

    A row that limits serving demand is priced in lost-sales value (solve.py), which holds no
    purchase price. Any other material balance dual is at least the material's price whenever
    more can be bought in time, so only the premium above the price says it is scarce.
    """
    constraint = model.constraints.get(kind, {}).get(key)
    price = shadow_price(constraint)
    if constraint is not None and constraint.name in model.service_priced:
        return price
    if kind == "Material-balance" and price:
        premium = price - float(model.data.materials.at[key[0], "unit_cost"])
        return premium if premium > 1e-6 * max(1.0, abs(price)) else 0.0
    return price


def _unmet(model: PlanModel) -> dict[tuple[str, int], float]:
    """Units not served in their own month: lost, or added to the backlog."""
    v = model.variables
    found: dict[tuple[str, int], float] = {}
    for (sku, t), var in v["lost"].items():
        if _value(var) > EPS:
            found[(sku, t)] = _value(var)
    for (sku, t), var in v["backlog"].items():
        before = _value(v["backlog"][(sku, t - 1)]) if t > 0 else 0.0
        added = _value(var) - before
        if added > EPS:
            found[(sku, t)] = found.get((sku, t), 0.0) + added
    return found


class _Tracer:
    """Finds the binding constraints behind one SKU's shortfall in one month."""

    def __init__(self, model: PlanModel) -> None:
        self.model = model
        data = self.data = model.data
        self.labels = data.labels
        self.cons = model.constraints
        self.routes: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for (sku, res), row in data.routings.iterrows():
            per_good = float(row["hours_per_unit"]) / float(row["yield"])
            self.routes[str(sku)].append((str(res), per_good))
        self.best_yield = data.routings["yield"].groupby(level="sku").max()
        self.bom: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for (sku, material), qty in data.bom.items():
            self.bom[str(sku)].append((str(material), float(qty)))
        self.overtime_max = data.resources["overtime_max"] if len(data.resources) else {}
        self.changeovers = setup_hours(model)
        self.lanes = sku_lanes(data)

    def price(self, kind: str, key: Key) -> float:
        return constraint_price(self.model, kind, key)

    def kept_in_stock(self, sku: str, t: int) -> dict[str, Any] | None:
        """The month closes with stock that could have shipped: the buffer was kept instead.

        Demand is served before buffers (solve.py), so an optimal plan never does this; a plan
        stopped before stage 1 was proven can, and then this is the cause to name first.
        """
        closing = _value(self.model.variables["stock"][(sku, t)])
        if closing <= EPS:
            return None
        target = float(self.data.products.at[sku, "safety_stock"])
        what = "kept as safety stock" if closing <= target + EPS else "kept in stock"
        return {
            "cause": what,
            "constraint": self.model.name("Safety-stock", (sku, t)),
            "shadow_price": 0.0,
            "impact": float("inf"),
            "distance": 0,
            "explanation": (
                f"{closing:g} units closed {self.labels[t]} in stock (safety stock "
                f"{target:g}) while demand went unmet: {what}"
            ),
        }

    def causes(self, sku: str, t: int) -> list[dict[str, Any]]:
        kept = self.kept_in_stock(sku, t)
        if kept is not None:
            return [kept]
        if not self.routes.get(sku):
            # Nothing can make it: blaming its materials or a resource would be untrue (the
            # caller reports "no routing").
            return []
        found: dict[str, dict[str, Any]] = {}

        def add(kind: str, key: Key, impact: float, cause: str, text: str) -> None:
            # Ties (within a thousandth: a sale lost sooner weighs 1e-5 more a month) go to the
            # constraint nearest the shortfall month.
            name = self.model.name(kind, key)
            if name not in found or found[name]["impact"] < impact:
                price = abs(self.price(kind, key))
                found[name] = {
                    "cause": cause,
                    "constraint": name,
                    "shadow_price": price,
                    "impact": impact,
                    "distance": t - int(key[-1]),
                    "explanation": text,
                }

        for tau in range(t + 1):
            self._capacity(sku, tau, t, add)
            self._materials(sku, tau, add)
            second_source_causes(self, sku, tau, add)
            lane_causes(self, sku, tau, add, t)
            self._lots(sku, tau, add)
            if tau < t:
                self._storage(sku, tau, add)
        ranked = sorted(
            found.values(), key=lambda c: (-round(c["impact"], 3), c["distance"], c["constraint"])
        )
        return ranked[:MAX_CAUSES]

    def _capacity(self, sku: str, tau: int, t: int, add: Any) -> None:
        v = self.model.variables
        for res, hours in self.routes.get(sku, []):
            price = self.price("Resource-capacity", (res, tau))
            if price <= EPS:
                continue
            text = f"{res} is full in {self.labels[tau]}"
            limit = float(self.overtime_max.get(res, 0.0)) if len(self.overtime_max) else 0.0
            if (res, tau) in v["overtime"] and _value(v["overtime"][(res, tau)]) >= limit - 1e-6:
                text += f", with all {limit:g} h of overtime"
            text += shift_note(self.model, res, tau)
            changeover = self.changeovers.get((res, tau), 0.0)
            if changeover > EPS:
                text += f", {changeover:g} h of it changeovers"
            if tau < t:
                text += f" (output built ahead for {self.labels[t]})"
            text += f"; one more hour would save {price:,.2f}"
            cause = "changeover capacity" if changeover > EPS else "capacity"
            add("Resource-capacity", (res, tau), price * hours, cause, text)

    def _materials(self, sku: str, tau: int, add: Any) -> None:
        data = self.data
        yield_ = float(self.best_yield.get(sku, 1.0))
        for material, qty in self.bom.get(sku, []):
            price = self.price("Material-balance", (material, tau))
            if price <= EPS:
                continue
            impact = price * qty / yield_
            supplier = str(data.materials.at[material, "supplier"])
            lead = int(data.materials.at[material, "lead_months"])
            fastest, soonest = fastest_source(data, material)
            if tau < soonest:
                arrival = (
                    self.labels[soonest] if soonest < len(self.labels) else "after the horizon"
                )
                text = (
                    f"{material} runs short in {self.labels[tau]}: {fastest}'s lead time is "
                    f"{soonest} month(s), so an order placed now arrives in {arrival}"
                )
                add("Material-balance", (material, tau), impact, "lead time", text)
                continue
            limited = False
            for order in range(tau - lead + 1):
                limit_price = self.price("Supplier-limit", (supplier, order))
                if limit_price > EPS:
                    limited = True
                    text = (
                        f"{supplier} ships no more in {self.labels[order]} (daily limit x "
                        f"working days), so {material} arriving by {self.labels[tau]} is short"
                    )
                    add(
                        "Supplier-limit",
                        (supplier, order),
                        limit_price * qty / yield_,
                        "supplier limit",
                        text,
                    )
            if not limited and not source_limited(self, material, tau):
                text = (
                    f"{material} is short in {self.labels[tau]}: one more unit would save "
                    f"{price:,.2f} above its price"
                )
                add("Material-balance", (material, tau), impact, "material", text)

    def _storage(self, sku: str, tau: int, add: Any) -> None:
        site = str(self.data.products.at[sku, "site"])
        price = self.price("Storage-capacity", (site, tau))
        if price > EPS:
            text = (
                f"the store at {site} is full in {self.labels[tau]}, so stock was not built ahead"
            )
            add("Storage-capacity", (site, tau), price, "storage", text)

    def _lots(self, sku: str, tau: int, add: Any) -> None:
        for res, _hours in self.routes.get(sku, []):
            for kind in ("Lot-setup", "Lot-minimum", "Lot-multiple"):
                key = (sku, res, tau)
                price = abs(self.price(kind, key))
                if price <= EPS:
                    continue
                route = self.data.routings.loc[(sku, res)]
                text = (
                    f"lot rule on {res} in {self.labels[tau]} (minimum {route['min_lot']:g}, "
                    f"multiple {route['lot_multiple']:g}): a run there costs more than it saves"
                )
                add(kind, key, price, "lot size", text)


def shortfalls(model: PlanModel) -> pd.DataFrame:
    """The Shortfalls table: for each SKU and month with unmet demand, its binding constraints."""
    tracer = _Tracer(model)
    data = model.data
    rows = []
    for (sku, t), unmet in sorted(_unmet(model).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        causes = tracer.causes(sku, t)
        if not causes:
            text = (
                "no routing can make it"
                if not tracer.routes.get(sku)
                else "no constraint binds: serving it would cost more than its unmet penalty"
            )
            causes = [
                {
                    "cause": "no routing" if not tracer.routes.get(sku) else "cost",
                    "constraint": model.name("Product-balance", (sku, t)),
                    "shadow_price": shadow_price(
                        model.constraints["Product-balance"].get((sku, t))
                    ),
                    "explanation": text,
                }
            ]
        for rank, cause in enumerate(causes, start=1):
            rows.append(
                {
                    "sku": sku,
                    "month": data.months[t],
                    "rank": rank,
                    "unmet": unmet,
                    "cause": cause["cause"],
                    "constraint": cause["constraint"],
                    "shadow_price": cause["shadow_price"],
                    "explanation": cause["explanation"],
                }
            )
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)


def bottlenecks(model: PlanModel, capacity: pd.DataFrame) -> pd.DataFrame:
    """Constraints binding with a positive shadow price, per item over the months, ranked."""
    data = model.data
    utilisation = (
        capacity.groupby("resource")["utilisation"].max() if len(capacity) else pd.Series()
    )
    rows = []
    for kind in (
        "Resource-capacity",
        "Material-balance",
        "Supplier-limit",
        "Source-limit",
        "Storage-capacity",
        "Lane-capacity",
    ):
        binding: dict[Key, list[tuple[int, float]]] = defaultdict(list)
        for key in model.constraints.get(kind, {}):
            price = constraint_price(model, kind, key)
            if price > EPS:
                binding[key[:-1]].append((key[-1], price))
        for item, months in binding.items():
            prices = [p for _, p in months]
            name = f"{kind}[{','.join(str(i) for i in item)}]"
            rows.append(
                {
                    "constraint": name,
                    "cause": _CAUSES[kind],
                    "months_binding": len(months),
                    "first_month": data.months[min(t for t, _ in months)],
                    "max_shadow_price": max(prices),
                    "sum_shadow_price": sum(prices),
                    "max_utilisation": float(utilisation.get(item[0], float("nan")))
                    if kind == "Resource-capacity"
                    else float("nan"),
                }
            )
    frame = pd.DataFrame(rows, columns=BOTTLENECK_COLUMNS)
    return frame.sort_values(
        ["sum_shadow_price", "constraint"], ascending=[False, True], ignore_index=True
    )


def slack_report(model: PlanModel) -> pd.DataFrame:
    """Every elastic slack with a value: what could not be met, by how much, at what penalty."""
    last = len(model.data.months) - 1
    rows = []
    for kind, (label, unit) in SLACKS.items():
        for key, var in model.variables.get(kind, {}).items():
            quantity = _value(var)
            if quantity <= EPS:
                continue
            what = "backlog at horizon end" if kind == "backlog" and key[-1] == last else label
            rows.append(
                {
                    "slack": model.name(_SLACK_NAMES[kind], key),
                    "kind": what,
                    "quantity": quantity,
                    "unit": unit,
                    "penalty": quantity * model.costs.get(kind, {}).get(key, 0.0),
                }
            )
    return pd.DataFrame(rows, columns=SLACK_COLUMNS)
