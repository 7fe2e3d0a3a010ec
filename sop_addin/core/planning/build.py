"""Assemble the supply-planning LP: variables first, then constraints, then the objective.

Each `define_*` function has one shape: select its index set, return early when empty, take
bounds from the data, add what it defines under a name a planner can read (the name is what
the planner sees when the constraint binds), e.g. ``Resource-capacity[Press-2,2027-03]``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulp

from sop_addin.core.planning.data import PlanningData

Key = tuple[Any, ...]


@dataclass
class PlanModel:
    """The PuLP problem and its variables and constraints, by readable key."""

    problem: pulp.LpProblem
    data: PlanningData
    variables: dict[str, dict[Key, pulp.LpVariable]] = field(default_factory=dict)
    constraints: dict[str, dict[Key, pulp.LpConstraint]] = field(default_factory=dict)

    def add_variables(
        self, kind: str, keys: list[Key], upper: dict[Key, float] | None = None
    ) -> None:
        start = sum(len(v) for v in self.variables.values())
        group = {}
        for offset, key in enumerate(keys):
            high = upper.get(key) if upper is not None else None
            # Solver names are short and unique; readable keys live in this dict.
            group[key] = self.problem.add_variable(f"x{start + offset}", lowBound=0, upBound=high)
        self.variables[kind] = group

    def add_constraint(self, kind: str, key: Key, constraint: pulp.LpConstraint) -> None:
        name = f"c{sum(len(c) for c in self.constraints.values())}"
        self.problem.addConstraint(constraint, name)
        self.constraints.setdefault(kind, {})[key] = constraint


def readable_name(kind: str, key: Key, data: PlanningData) -> str:
    """`Kind[a,b,2027-03]` with the month index shown as its label."""
    parts = [
        data.labels[k] if i == len(key) - 1 and isinstance(k, int) else str(k)
        for i, k in enumerate(key)
    ]
    return f"{kind}[{','.join(parts)}]"


def _expr(terms: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


# -- variables ---------------------------------------------------------------------------


def define_production_variables(model: PlanModel) -> None:
    """Units started per SKU, routing resource and month."""
    data = model.data
    periods = range(len(data.months))
    keys = [(sku, res, t) for sku, res in data.routings.index for t in periods]
    model.add_variables("make", keys)


def define_inventory_variables(model: PlanModel) -> None:
    """Closing finished-goods stock per SKU and month."""
    keys = [(sku, t) for sku in model.data.products.index for t in range(len(model.data.months))]
    model.add_variables("stock", keys)


def define_unmet_demand_variables(model: PlanModel) -> None:
    """Demand not served (lost sales), at most the demand: the model's elastic slack."""
    data = model.data
    demand = data.demand
    keys, upper = [], {}
    for t, month in enumerate(data.months):
        for sku in data.products.index:
            keys.append((sku, t))
            upper[(sku, t)] = float(demand.get((sku, month), 0.0))
    model.add_variables("unmet", keys, upper)


def define_safety_stock_shortfall_variables(model: PlanModel) -> None:
    """How far closing stock falls below the safety-stock target (a soft lower bound)."""
    products = model.data.products
    targets = products.loc[products["safety_stock"] > 0, "safety_stock"]
    keys = [(sku, t) for sku in targets.index for t in range(len(model.data.months))]
    model.add_variables("below_safety", keys, {k: float(targets[k[0]]) for k in keys})


def define_purchase_variables(model: PlanModel) -> None:
    """Material ordered in month t, arriving in t + lead time (only arrivals inside the plan)."""
    data = model.data
    horizon = len(data.months)
    keys = [
        (material, t)
        for material, row in data.materials.iterrows()
        for t in range(horizon)
        if t + int(row["lead_months"]) < horizon
    ]
    model.add_variables("buy", keys)


def define_material_stock_variables(model: PlanModel) -> None:
    keys = [(m, t) for m in model.data.materials.index for t in range(len(model.data.months))]
    model.add_variables("material_stock", keys)


# -- constraints -------------------------------------------------------------------------


def define_product_balance_constraints(model: PlanModel) -> None:
    """stock[t] = stock[t-1] + yield * started + receipts - (demand - unmet)."""
    data = model.data
    make, stock, unmet = (model.variables[k] for k in ("make", "stock", "unmet"))
    routes: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (sku, res), row in data.routings.iterrows():
        routes[sku].append((res, float(row["yield"])))
    for sku, product in data.products.iterrows():
        for t, month in enumerate(data.months):
            terms = [(stock[(sku, t)], 1.0), (unmet[(sku, t)], -1.0)]
            terms += [(make[(sku, res, t)], -y) for res, y in routes.get(str(sku), [])]
            rhs = float(data.receipts.get((sku, month), 0.0)) - float(data.demand[(sku, month)])
            if t == 0:
                rhs += float(product["opening"])
            else:
                terms.append((stock[(sku, t - 1)], -1.0))
            constraint = pulp.LpConstraint(_expr(terms), pulp.LpConstraintEQ, rhs=rhs)
            model.add_constraint("Product-balance", (sku, t), constraint)


def define_resource_capacity_constraints(model: PlanModel) -> None:
    """Hours used on a resource never exceed its available run time in the month."""
    data = model.data
    make = model.variables["make"]
    if not make:
        return
    by_resource: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (sku, res), row in data.routings.iterrows():
        by_resource[str(res)].append((str(sku), float(row["hours_per_unit"])))
    for res, items in by_resource.items():
        for t, month in enumerate(data.months):
            terms = [(make[(sku, res, t)], hours) for sku, hours in items if hours > 0]
            if not terms:
                continue
            available = float(data.capacity.get((res, month), 0.0))
            constraint = pulp.LpConstraint(_expr(terms), pulp.LpConstraintLE, rhs=available)
            model.add_constraint("Resource-capacity", (res, t), constraint)


def define_safety_stock_constraints(model: PlanModel) -> None:
    """stock + shortfall >= target: the buffer is kept when it pays, reported when it is not."""
    below = model.variables["below_safety"]
    if not below:
        return
    stock = model.variables["stock"]
    targets = model.data.products["safety_stock"]
    for sku, t in below:
        expr = _expr([(stock[(sku, t)], 1.0), (below[(sku, t)], 1.0)])
        constraint = pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=float(targets[sku]))
        model.add_constraint("Safety-stock", (sku, t), constraint)


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
            rhs = float(data.material_receipts.get((material, month), 0.0))
            if t == 0:
                rhs += float(row["opening"])
            constraint = pulp.LpConstraint(_expr(terms), pulp.LpConstraintEQ, rhs=rhs)
            model.add_constraint("Material-balance", (material, t), constraint)


def define_supplier_limit_constraints(model: PlanModel) -> None:
    """Units ordered from a supplier in a month stay within its daily limit x working days."""
    data = model.data
    buy = model.variables["buy"]
    if not buy:
        return
    by_supplier: dict[str, list[str]] = defaultdict(list)
    for material, row in data.materials.iterrows():
        by_supplier[str(row["supplier"])].append(str(material))
    for supplier, materials in by_supplier.items():
        for t, month in enumerate(data.months):
            terms = [(buy[(m, t)], 1.0) for m in materials if (m, t) in buy]
            if not terms:
                continue
            limit = float(data.supplier_limits.get((supplier, month), 0.0))
            constraint = pulp.LpConstraint(_expr(terms), pulp.LpConstraintLE, rhs=limit)
            model.add_constraint("Supplier-limit", (supplier, t), constraint)


def define_objective(model: PlanModel) -> None:
    """Minimise conversion + purchase + holding cost + penalties for unmet demand and buffers."""
    data = model.data
    v = model.variables
    terms: list[tuple[pulp.LpVariable, float]] = []
    for (sku, res, _t), var in v["make"].items():
        terms.append((var, float(data.routings.at[(sku, res), "cost_per_unit"])))
    for (material, _t), var in v["buy"].items():
        terms.append((var, float(data.materials.at[material, "unit_cost"])))
    products = data.products
    for (sku, _t), var in v["stock"].items():
        terms.append((var, float(products.at[sku, "holding_cost"])))
    for (material, _t), var in v["material_stock"].items():
        terms.append((var, float(data.materials.at[material, "holding_cost"])))
    for (sku, _t), var in v["unmet"].items():
        terms.append((var, float(products.at[sku, "unmet_penalty"])))
    for (sku, _t), var in v["below_safety"].items():
        terms.append((var, float(products.at[sku, "safety_penalty"])))
    model.problem.setObjective(_expr(terms))


def create_model(data: PlanningData) -> PlanModel:
    """Build the plan model in a fixed order: variables, constraints, objective."""
    model = PlanModel(problem=pulp.LpProblem("supply_plan", pulp.LpMinimize), data=data)
    define_production_variables(model)
    define_inventory_variables(model)
    define_unmet_demand_variables(model)
    define_safety_stock_shortfall_variables(model)
    define_purchase_variables(model)
    define_material_stock_variables(model)
    define_product_balance_constraints(model)
    define_resource_capacity_constraints(model)
    define_safety_stock_constraints(model)
    define_material_balance_constraints(model)
    define_supplier_limit_constraints(model)
    define_objective(model)
    return model
