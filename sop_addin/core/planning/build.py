"""Assemble the supply-planning model: variables first, then constraints, then the objective.

Each `define_*` function has one shape: select its index set, return early when empty, take
bounds from the data, add what it defines under a name a planner can read (the name is what
the planner sees when the constraint binds), e.g. ``Resource-capacity[Press-2,2027-03]``.

The model is an LP unless lot rules or changeovers are present (Routings min_lot,
lot_multiple, setup_hours, setup_cost; supplier MOQ): then setup binaries and lot counts make
it a MILP. With ``relax_lots`` the binaries and counts are continuous, which is the LP
relaxation: fast, but lot rules are no longer enforced.

The objective comes in three parts (``PlanModel.objectives``) that solve.py minimises in
order: "service" (weighted unmet demand, and the elastic slacks only impossible inputs use),
then "plan" (buffer shortfall weighted above any cost of making a unit, plus cost).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulp

from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.lot_location import define_lot_location
from sop_addin.core.planning.model_rows import add_row, expression, lookup
from sop_addin.core.planning.second_sources import (
    define_second_source_arrivals,
    define_second_source_objective,
    define_second_source_order_constraints,
    define_second_source_supplier_limits,
    define_second_source_variables,
    define_source_limit_constraints,
    define_source_share_constraints,
)
from sop_addin.core.planning.shifts import (
    define_shift_capacity_constraints,
    define_shift_objective,
    define_shift_run_constraints,
    define_shift_variables,
)
from sop_addin.core.planning.sites import (
    define_lane_capacity_constraints,
    define_site_balance_constraints,
    define_site_objective,
    define_site_storage_constraints,
    define_site_variables,
    demand_site_yields,
)
from sop_addin.core.planning.substitutes import (
    define_substitute_constraints,
    define_substitute_objective,
    define_substitute_variables,
)

Key = tuple[Any, ...]

# Elastic slacks: variable kind -> what the SlackReport calls it and its unit.
SLACKS = {
    "lost": ("lost sales", "units"),
    "backlog": ("backlog", "units"),
    "below_safety": ("below safety stock", "units"),
    "overflow": ("storage overflow", "units"),
    "overload": ("capacity overload", "h"),
}


@dataclass
class PlanModel:
    """The PuLP problem and its variables and constraints, by readable key."""

    problem: pulp.LpProblem
    data: PlanningData
    relax_lots: bool = False
    variables: dict[str, dict[Key, pulp.LpVariable]] = field(default_factory=dict)
    constraints: dict[str, dict[Key, pulp.LpConstraint]] = field(default_factory=dict)
    costs: dict[str, dict[Key, float]] = field(default_factory=dict)
    objectives: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    # Rows whose shadow price is stage 1's: the lost-sales value one more unit would serve.
    service_priced: set[str] = field(default_factory=set)
    # Stage 1's level once had to be held looser to be reached (stages.solve_held): later
    # holds start looser too, instead of failing first every time.
    loose_hold: bool = False
    held_level: float = 0.0  # the level of unmet demand stage 2 holds (stages.hold_service)
    # While the MIP search runs: what lot_location.substitute_stock took out, to put back.
    search_form: Any = None
    _count: int = 0
    _rows: int = 0

    def add_variables(
        self,
        kind: str,
        keys: list[Key],
        upper: dict[Key, float] | None = None,
        cat: str = pulp.LpContinuous,
    ) -> None:
        group = {}
        for key in keys:
            high = upper.get(key) if upper is not None else None
            # Solver names are short and unique; readable keys live in this dict.
            group[key] = self.problem.add_variable(f"x{self._count}", 0, high, cat)
            self._count += 1
        self.variables[kind] = group

    def add_constraint(self, kind: str, key: Key, constraint: pulp.LpConstraint) -> None:
        self.problem.addConstraint(constraint, f"c{self._rows}")
        self._rows += 1
        self.constraints.setdefault(kind, {})[key] = constraint

    @property
    def is_mip(self) -> bool:
        return not self.relax_lots and any(
            self.variables.get(k) for k in ("setup", "lots", "order", "source_order", "shifts")
        )

    def name(self, kind: str, key: Key) -> str:
        return readable_name(kind, key, self.data)


def readable_name(kind: str, key: Key, data: PlanningData) -> str:
    """`Kind[a,b,2027-03]` with the month index shown as its label."""
    parts = [
        data.labels[k] if i == len(key) - 1 and isinstance(k, int) else str(k)
        for i, k in enumerate(key)
    ]
    return f"{kind}[{','.join(parts)}]"


# -- variables ---------------------------------------------------------------------------


def define_production_variables(model: PlanModel) -> None:
    """Units started per SKU, routing resource and month."""
    periods = range(len(model.data.months))
    model.add_variables("make", [(s, r, t) for s, r in model.data.routings.index for t in periods])


def define_overtime_variables(model: PlanModel) -> None:
    """Overtime hours scheduled per resource and month, up to its monthly limit."""
    data = model.data
    limits = data.resources["overtime_max"] if len(data.resources) else {}
    upper = {(r, t): float(h) for r, h in limits.items() if h > 0 for t in range(len(data.months))}
    model.add_variables("overtime", list(upper), upper)


def needs_setup(route: Any) -> bool:
    """A run on this routing is a yes/no decision: it has a minimum lot or a changeover."""
    return bool(route["min_lot"] > 0 or route["setup_hours"] > 0 or route["setup_cost"] > 0)


def define_lot_variables(model: PlanModel) -> None:
    """Setup binaries (a run happens) for minimum lots and changeovers, lot counts for lot
    multiples."""
    data = model.data
    routes = data.routings
    periods = range(len(data.months))
    with_setup = [key for key, route in routes.iterrows() if needs_setup(route)]
    needs_lots = [(s, r) for (s, r), v in routes["lot_multiple"].items() if v > 0]
    binary = pulp.LpContinuous if model.relax_lots else pulp.LpBinary
    integer = pulp.LpContinuous if model.relax_lots else pulp.LpInteger
    setup = [(s, r, t) for s, r in with_setup for t in periods]
    model.add_variables("setup", setup, dict.fromkeys(setup, 1.0), cat=binary)
    model.add_variables("lots", [(s, r, t) for s, r in needs_lots for t in periods], cat=integer)


def define_inventory_variables(model: PlanModel) -> None:
    """Closing finished-goods stock per SKU and month."""
    keys = [(sku, t) for sku in model.data.products.index for t in range(len(model.data.months))]
    model.add_variables("stock", keys)


def define_unmet_demand_variables(model: PlanModel) -> None:
    """Demand not served: lost (at most the month's demand) or owed as backlog, per product."""
    data = model.data
    demand = lookup(data.demand)
    backlog = data.products["backlog"]
    lost_keys, owed_keys, upper = [], [], {}
    for sku in [] if data.all_demand_met else data.products.index:
        for t, month in enumerate(data.months):
            if backlog[sku]:
                owed_keys.append((sku, t))
            else:
                lost_keys.append((sku, t))
                upper[(sku, t)] = demand[(sku, month)]
    model.add_variables("lost", lost_keys, upper)
    model.add_variables("backlog", owed_keys)


def define_safety_stock_shortfall_variables(model: PlanModel) -> None:
    """How far closing stock falls below the safety-stock target (a soft lower bound).

    The target holds while the SKU still has demand ahead; a product being phased out does
    not keep a buffer past its last sale.
    """
    data = model.data
    demand = lookup(data.demand)
    targets = data.products.loc[data.products["safety_stock"] > 0, "safety_stock"]
    keys, upper = [], {}
    for sku, target in targets.items():
        ahead = 0.0
        for t in reversed(range(len(data.months))):
            ahead += demand[(sku, data.months[t])]
            if ahead > 0:
                keys.append((sku, t))
                upper[(sku, t)] = float(target)
    model.add_variables("below_safety", keys, upper)


def define_purchase_variables(model: PlanModel) -> None:
    """Material ordered in month t, arriving in t + lead time (only arrivals inside the plan)."""
    data = model.data
    horizon = len(data.months)
    keys = [
        (material, t)
        for material, lead in data.materials["lead_months"].items()
        for t in range(horizon)
        if t + int(lead) < horizon
    ]
    model.add_variables("buy", keys)
    moq = data.materials["moq"]
    binary = pulp.LpContinuous if model.relax_lots else pulp.LpBinary
    orders = [k for k in keys if moq[k[0]] > 0]
    model.add_variables("order", orders, dict.fromkeys(orders, 1.0), cat=binary)


def define_material_stock_variables(model: PlanModel) -> None:
    keys = [(m, t) for m in model.data.materials.index for t in range(len(model.data.months))]
    model.add_variables("material_stock", keys)


def define_elastic_variables(model: PlanModel) -> None:
    """Slacks for inputs that cannot be met: storage overflow, firm hours beyond capacity."""
    data = model.data
    horizon = range(len(data.months))
    model.add_variables("overflow", [(site, t) for site in data.storage.index for t in horizon])
    firm = [(r, data.months.get_loc(m)) for (r, m), h in data.firm_hours.items() if h > 0]
    model.add_variables("overload", firm)


# -- constraints -------------------------------------------------------------------------


def define_product_balance_constraints(model: PlanModel) -> None:
    """stock[t] - backlog[t] = stock[t-1] - backlog[t-1] + yield * started + receipts - demand
    + lost[t]."""
    data = model.data
    v = model.variables
    make, stock, lost, owed = v["make"], v["stock"], v["lost"], v["backlog"]
    demand, receipts = lookup(data.demand), lookup(data.receipts)
    routes: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (sku, res), y in demand_site_yields(data).items():  # runs at other sites: sites.py
        routes[sku].append((res, float(y)))
    for sku, opening in data.products["opening"].items():
        for t, month in enumerate(data.months):
            terms = [(stock[(sku, t)], 1.0)]
            terms += [(make[(sku, res, t)], -y) for res, y in routes.get(sku, [])]
            if (sku, t) in lost:
                terms.append((lost[(sku, t)], -1.0))
            if (sku, t) in owed:
                terms.append((owed[(sku, t)], -1.0))
                if t > 0:
                    terms.append((owed[(sku, t - 1)], 1.0))
            rhs = receipts.get((sku, month), 0.0) - demand[(sku, month)]
            if t == 0:
                rhs += float(opening)
            else:
                terms.append((stock[(sku, t - 1)], -1.0))
            add_row(model, "Product-balance", (sku, t), terms, pulp.LpConstraintEQ, rhs)


def define_backlog_growth_constraints(model: PlanModel) -> None:
    """backlog[t] <= backlog[t-1] + demand[t]: what is owed grows by at most the month's orders,
    so the plan never "borrows" stock from customers (shipments stay at or above zero)."""
    data = model.data
    owed = model.variables["backlog"]
    demand = lookup(data.demand)
    for sku, t in owed:
        terms = [(owed[(sku, t)], 1.0)]
        if t > 0:
            terms.append((owed[(sku, t - 1)], -1.0))
        rhs = demand[(sku, data.months[t])]
        add_row(model, "Backlog-growth", (sku, t), terms, pulp.LpConstraintLE, rhs)


def define_resource_capacity_constraints(model: PlanModel) -> None:
    """Run hours, changeover hours and firm hours stay within run time net of maintenance x
    efficiency, plus overtime (scheduled hours x efficiency); firm hours beyond it all are
    overload."""
    data = model.data
    v = model.variables
    make, overtime, overload, setup = (v[k] for k in ("make", "overtime", "overload", "setup"))
    if not make:
        return
    by_resource: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (sku, res), route in data.routings.iterrows():
        by_resource[res].append((sku, float(route["hours_per_unit"]), float(route["setup_hours"])))
    capacity, firm = lookup(data.capacity), lookup(data.firm_hours)
    efficiency = data.resources["efficiency"]
    for res, items in by_resource.items():
        for t, month in enumerate(data.months):
            terms = [(make[(sku, res, t)], hours) for sku, hours, _ in items if hours > 0]
            # A changeover takes its hours from the same capacity, overtime included.
            terms += [
                (setup[(sku, res, t)], changeover)
                for sku, _, changeover in items
                if changeover > 0 and (sku, res, t) in setup
            ]
            if not terms:
                continue
            if (res, t) in overtime:
                terms.append((overtime[(res, t)], -float(efficiency[res])))
            if (res, t) in overload:
                terms.append((overload[(res, t)], -1.0))
            rhs = capacity.get((res, month), 0.0) - firm.get((res, month), 0.0)
            add_row(model, "Resource-capacity", (res, t), terms, pulp.LpConstraintLE, rhs)


def units_still_useful(data: PlanningData) -> dict[tuple[str, int], float]:
    """Good units of a SKU that output in month t can still serve: demand from t on (and
    before t for a backlog product, whose customers wait) plus the safety stock.

    Making more is never optimal, so this bounds a run without cutting off the optimum.
    """
    horizon = len(data.months)
    demand = lookup(data.demand)
    useful: dict[tuple[str, int], float] = {}
    for sku, product in data.products.iterrows():
        per_month = [demand[(sku, m)] for m in data.months]
        total, ahead = sum(per_month), 0.0
        for t in reversed(range(horizon)):
            ahead += per_month[t]
            served = total if product["backlog"] else ahead
            useful[(sku, t)] = served + float(product["safety_stock"])
    return useful


@dataclass(frozen=True)
class LegalRuns:
    """The run sizes a routing's lot rules allow: 0, or a whole number of lot multiples (any
    quantity when there is none) of at least the minimum lot."""

    min_lot: float
    multiple: float

    @property
    def smallest(self) -> float:
        """The smallest positive legal run (0 when any positive quantity is legal)."""
        if self.multiple > 0:
            return self.multiple * max(1, math.ceil(self.min_lot / self.multiple - 1e-9))
        return self.min_lot

    def up(self, quantity: float) -> float:
        """The smallest legal run of at least the quantity."""
        if self.multiple > 0:
            quantity = self.multiple * math.ceil(quantity / self.multiple - 1e-9)
        return max(quantity, self.smallest)

    def down(self, quantity: float) -> float:
        """The largest legal run of at most the quantity (0 when none is positive)."""
        if self.multiple > 0:
            quantity = self.multiple * math.floor(quantity / self.multiple + 1e-9)
        return quantity if quantity >= self.smallest - 1e-9 and quantity > 0 else 0.0


def legal_runs(route: Any) -> LegalRuns:
    return LegalRuns(float(route["min_lot"]), float(route["lot_multiple"]))


def run_room(data: PlanningData) -> dict[tuple[str, int], float]:
    """Hours a resource can give one run in a month: capacity net of firm hours, plus overtime."""
    capacity, firm = lookup(data.capacity), lookup(data.firm_hours)
    resources = data.resources
    room: dict[tuple[str, int], float] = {}
    for (res, month), hours in capacity.items():
        extra = 0.0
        if res in resources.index:
            extra = float(resources.at[res, "overtime_max"] * resources.at[res, "efficiency"])
        left = max(hours - firm.get((res, month), 0.0), 0.0) + extra
        room[(res, data.months.get_loc(month))] = left
    return room


def largest_runs(data: PlanningData) -> dict[tuple[str, str, int], float]:
    """Per routing and month, the largest run an optimal plan may make (0: the run is closed).

    It is the largest legal run that fits the month's hours after the changeover, and no more
    than the smallest legal run covering all the demand it can still serve plus the buffer
    (after yield): making more is never optimal, so the cap is a big-M that cuts off no optimum
    while keeping the LP relaxation tight.
    """
    room = run_room(data)
    useful = units_still_useful(data)
    caps: dict[tuple[str, str, int], float] = {}
    for (sku, res), route in data.routings.iterrows():
        legal = legal_runs(route)
        hours, changeover = float(route["hours_per_unit"]), float(route["setup_hours"])
        for t in range(len(data.months)):
            need = legal.up(useful[(sku, t)] / float(route["yield"]))
            left = room.get((res, t), 0.0) - changeover
            fits = legal.down(left / hours) if hours > 0 else need
            caps[(sku, res, t)] = min(fits, need) if left >= -1e-9 else 0.0
    return caps


def define_lot_size_constraints(model: PlanModel) -> None:
    """A run is nothing or a legal run: at least the minimum lot, in whole lot multiples, with
    its changeover; its cap (largest_runs) comes from the legal run sizes."""
    data = model.data
    make, setup, lots = (model.variables[k] for k in ("make", "setup", "lots"))
    if not setup and not lots:
        return
    routes = data.routings
    caps = largest_runs(data)
    for sku, res, t in setup:
        run, on = make[(sku, res, t)], setup[(sku, res, t)]
        cap = caps[(sku, res, t)]
        minimum = float(routes.at[(sku, res), "min_lot"])
        if cap <= 0 or cap < minimum:
            # No legal run fits this month: the run is closed.
            on.upBound = 0.0
            add_row(model, "Lot-setup", (sku, res, t), [(run, 1.0)], pulp.LpConstraintLE, 0.0)
            continue
        if minimum > 0:
            add_row(model, "Lot-minimum", (sku, res, t), [(run, 1.0), (on, -minimum)], 1, 0.0)
        add_row(model, "Lot-setup", (sku, res, t), [(run, 1.0), (on, -cap)], -1, 0.0)
    for sku, res, t in lots:
        size = float(routes.at[(sku, res), "lot_multiple"])
        terms = [(make[(sku, res, t)], 1.0), (lots[(sku, res, t)], -size)]
        add_row(model, "Lot-multiple", (sku, res, t), terms, pulp.LpConstraintEQ, 0.0)
        if (sku, res, t) not in setup:
            # No setup binary to carry the cap: bound the count itself.
            count = math.floor(caps[(sku, res, t)] / size + 1e-9)
            add_row(model, "Lot-setup", (sku, res, t), [(lots[(sku, res, t)], 1.0)], -1, count)


def define_safety_stock_constraints(model: PlanModel) -> None:
    """stock + shortfall >= target: the buffer is kept when it pays, reported when it is not."""
    below = model.variables["below_safety"]
    if not below:
        return
    stock = model.variables["stock"]
    targets = model.data.products["safety_stock"]
    for sku, t in below:
        terms = [(stock[(sku, t)], 1.0), (below[(sku, t)], 1.0)]
        add_row(model, "Safety-stock", (sku, t), terms, pulp.LpConstraintGE, float(targets[sku]))


def define_storage_constraints(model: PlanModel) -> None:
    """Finished goods at a site's month end stay within its storage capacity (or overflow)."""
    data = model.data
    overflow = model.variables["overflow"]
    if not overflow:
        return
    stock = model.variables["stock"]
    homed: dict[str, list[str]] = defaultdict(list)
    for sku, site in data.products["site"].items():
        homed[str(site)].append(sku)
    for site, capacity in data.storage.items():
        for t in range(len(data.months)):
            terms = [(stock[(sku, t)], 1.0) for sku in homed.get(str(site), [])]
            terms.append((overflow[(site, t)], -1.0))
            add_row(
                model, "Storage-capacity", (site, t), terms, pulp.LpConstraintLE, float(capacity)
            )


def define_material_balance_constraints(model: PlanModel) -> None:
    """Material stock[t] = stock[t-1] + arrivals + open POs - BOM use of the units started."""
    data = model.data
    if data.materials.empty:
        return
    make, buy, mstock = (model.variables[k] for k in ("make", "buy", "material_stock"))
    users: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (sku, material), qty in data.bom.items():
        users[str(material)].append((str(sku), float(qty)))
    resources_of: dict[str, list[str]] = defaultdict(list)
    for sku, res in data.routings.index:
        resources_of[str(sku)].append(str(res))
    receipts = lookup(data.material_receipts)
    for material, row in data.materials.iterrows():
        lead = int(row["lead_months"])
        for t, month in enumerate(data.months):
            terms = [(mstock[(material, t)], 1.0)]
            if t > 0:
                terms.append((mstock[(material, t - 1)], -1.0))
            if (material, t - lead) in buy:
                terms.append((buy[(material, t - lead)], -1.0))
            for sku, qty in users.get(str(material), []):
                terms += [(make[(sku, res, t)], qty) for res in resources_of.get(sku, [])]
            rhs = receipts.get((material, month), 0.0)
            if t == 0:
                rhs += float(row["opening"])
            add_row(model, "Material-balance", (material, t), terms, pulp.LpConstraintEQ, rhs)


def define_supplier_limit_constraints(model: PlanModel) -> None:
    """Units ordered from a supplier in a month stay within its daily limit x working days."""
    data = model.data
    buy = model.variables["buy"]
    if not buy:
        return
    by_supplier: dict[str, list[str]] = defaultdict(list)
    for material, supplier in data.materials["supplier"].items():
        by_supplier[str(supplier)].append(str(material))
    limits = lookup(data.supplier_limits)
    for supplier, materials in by_supplier.items():
        for t, month in enumerate(data.months):
            terms = [(buy[(m, t)], 1.0) for m in materials if (m, t) in buy]
            if terms:
                limit = limits.get((supplier, month), 0.0)
                add_row(model, "Supplier-limit", (supplier, t), terms, pulp.LpConstraintLE, limit)


def material_still_useful(data: PlanningData) -> dict[tuple[str, int], float]:
    """Units of a material that arriving in month t can still be used: what its products'
    useful output needs, started at the worst yield, plus a whole smallest legal run of
    rounding per month a lot rule applies in (runs are rounded up to legal sizes)."""
    horizon = len(data.months)
    useful = units_still_useful(data)
    per_sku: dict[str, tuple[float, float]] = {}
    for sku, routes in data.routings.groupby(level="sku"):
        worst_yield = float(routes["yield"].min())
        rounding = max(
            (max(legal_runs(r).smallest, float(r["lot_multiple"])) for _, r in routes.iterrows()),
            default=0.0,
        )
        per_sku[str(sku)] = (max(worst_yield, 1e-6), rounding)
    need: dict[tuple[str, int], float] = {}
    for material in data.materials.index:
        users = [(str(s), float(q)) for (s, m), q in data.bom.items() if m == material]
        for t in range(horizon):
            total = 0.0
            for sku, qty in users:
                worst_yield, rounding = per_sku.get(sku, (1.0, 0.0))
                total += qty * (useful[(sku, t)] / worst_yield + rounding * (horizon - t))
            need[(str(material), t)] = total
    return need


def define_order_quantity_constraints(model: PlanModel) -> None:
    """A purchase is either nothing or at least the supplier's minimum order quantity."""
    data = model.data
    buy, order = model.variables["buy"], model.variables["order"]
    if not order:
        return
    limits = lookup(data.supplier_limits)
    horizon = len(data.months)
    need = material_still_useful(data)
    for material, t in order:
        moq = float(data.materials.at[material, "moq"])
        limit = limits.get((data.materials.at[material, "supplier"], data.months[t]), 0.0)
        run, on = buy[(material, t)], order[(material, t)]
        if limit < moq:
            add_row(model, "Order-moq", (material, t), [(run, 1.0)], pulp.LpConstraintLE, 0.0)
            continue
        # Big-M: the supplier's limit, or all the material production can still use once the
        # order arrives (lot rounding included; the MOQ if that is more), whichever is smaller.
        arrival = t + int(data.materials.at[material, "lead_months"])
        useful = need[(str(material), arrival)] if arrival < horizon else 0.0
        big_m = min(limit, max(useful, moq))
        add_row(model, "Order-moq", (material, t), [(run, 1.0), (on, -moq)], 1, 0.0)
        add_row(model, "Order-open", (material, t), [(run, 1.0), (on, -big_m)], -1, 0.0)


SERVICE_KINDS = ("lost", "backlog", "overflow", "overload")
SOONER = 1e-5  # extra weight of a lost sale per month before the horizon end


def define_objective(model: PlanModel) -> None:
    """The objective's parts, minimised in order by solve.py: service, then plan.

    "service": weighted unmet demand (lost, and backlog per month owed; what is still owed at
    the horizon end weighs as lost) and the elastic slacks only impossible inputs use.
    "plan": units below safety stock (weighted above any cost of making them), then
    conversion, changeover, purchase, holding and overtime cost.
    """
    data = model.data
    v = model.variables
    products, materials = data.products, data.materials
    last = len(data.months) - 1
    route_cost = lookup(data.routings["cost_per_unit"])
    setup_cost = lookup(data.routings["setup_cost"])
    ot_cost = data.resources["overtime_cost"] if len(data.resources) else {}
    weights = {
        "make": {k: route_cost[(k[0], k[1])] for k in v["make"]},
        "setup": {k: setup_cost[(k[0], k[1])] for k in v["setup"]},
        "overtime": {k: float(ot_cost[k[0]]) for k in v["overtime"]},
        "buy": {k: float(materials.at[k[0], "unit_cost"]) for k in v["buy"]},
        "stock": {k: float(products.at[k[0], "holding_cost"]) for k in v["stock"]},
        "material_stock": {
            k: float(materials.at[k[0], "holding_cost"]) for k in v["material_stock"]
        },
        # A sale lost sooner weighs a little more (1e-5 a month): among plans that lose as
        # much, the one that ships now and loses later wins, never one that keeps a buffer
        # while customers go without.
        "lost": {
            k: float(products.at[k[0], "unmet_penalty"]) * (1.0 + SOONER * (last - k[1]))
            for k in v["lost"]
        },
        "backlog": {
            k: float(products.at[k[0], "backlog_penalty"])
            + (float(products.at[k[0], "unmet_penalty"]) if k[1] == last else 0.0)
            for k in v["backlog"]
        },
        "below_safety": {k: float(products.at[k[0], "safety_penalty"]) for k in v["below_safety"]},
        "overflow": dict.fromkeys(v["overflow"], data.big_penalty),
        "overload": dict.fromkeys(v["overload"], data.big_penalty),
    }
    model.costs = weights

    def part(kinds: Any) -> pulp.LpAffineExpression:
        return expression(
            [(v[kind][k], w) for kind in kinds for k, w in weights[kind].items() if w]
        )

    model.objectives = {
        "service": part(SERVICE_KINDS),
        "plan": part([k for k in weights if k not in SERVICE_KINDS]),
    }
    model.problem.setObjective(model.objectives["service"] + model.objectives["plan"])


def create_model(data: PlanningData, relax_lots: bool = False) -> PlanModel:
    """Build the plan model in a fixed order: variables, constraints, objective."""
    problem = pulp.LpProblem("supply_plan", pulp.LpMinimize)
    model = PlanModel(problem=problem, data=data, relax_lots=relax_lots)
    define_production_variables(model)
    define_overtime_variables(model)
    define_lot_variables(model)
    define_inventory_variables(model)
    define_unmet_demand_variables(model)
    define_safety_stock_shortfall_variables(model)
    define_purchase_variables(model)
    define_material_stock_variables(model)
    define_elastic_variables(model)
    define_second_source_variables(model)
    define_shift_variables(model)
    define_substitute_variables(model)
    define_site_variables(model)
    define_product_balance_constraints(model)
    define_backlog_growth_constraints(model)
    define_resource_capacity_constraints(model)
    define_lot_size_constraints(model)
    define_safety_stock_constraints(model)
    define_storage_constraints(model)
    define_material_balance_constraints(model)
    define_supplier_limit_constraints(model)
    define_order_quantity_constraints(model)
    define_second_source_arrivals(model)
    define_second_source_supplier_limits(model)
    define_source_limit_constraints(model)
    define_source_share_constraints(model)
    define_second_source_order_constraints(model)
    define_shift_capacity_constraints(model)
    define_shift_run_constraints(model)
    define_substitute_constraints(model)
    define_site_balance_constraints(model)
    define_lane_capacity_constraints(model)
    define_site_storage_constraints(model)
    define_lot_location(model)  # the lot-size MILP's tight form, sized by what is above
    define_objective(model)
    define_second_source_objective(model)
    define_shift_objective(model)
    define_substitute_objective(model)
    define_site_objective(model)
    return model
