"""The facility-location form of lot-sized runs: a tight LP relaxation for the lot-size MILP.

With a setup binary y on a run x, the big-M row x <= M y (build.py's ``Lot-setup``) lets the
LP relaxation open a run by a sliver. Krarup and Bilde's facility-location form splits each
run's output by the month its units are sold in:

    w[r,t,l]  units made on routing r in month t and sold in month l (t <= l <= t + K;
              ``late`` in the code),

and bounds each part by what month l can take from production, nd_l (its demand less what
opening stock and receipts cover, first in first out): ``w[r,t,l] <= nd_l y[r,t]``. A run that
serves a month's demand must then be open in full, not by a sliver; for one item without
capacity this is the convex hull, and with capacities and changeovers it is one of the
strongest known forms (Pochet and Wolsey, "Production Planning by Mixed Integer Programming",
2006, ch. 4). The rows, per covered SKU:

- ``Lot-output[sku,res,t]``: yield x[r,t] = sum over l of w[r,t,l] + later[r,t] (output sold
  after the window or still held at the horizon end);
- ``Lot-served[sku,l]``: what month l sells (demand less lost sales) = the w sold in l + the
  opening stock and receipts sold in l (``stock_flow``) + units older than the window
  (``old_stock_sold``);
- ``Stock-output[sku,u]``: opening stock (u = 0) and receipts arriving in month u = the parts
  of them sold (``stock_flow``) + the rest (``stock_later``);
- ``Lot-run-cover[sku,res,t,l]``: w[r,t,l] <= min(nd_l, yield x the run's cap) y[r,t];
- ``Old-stock[sku,l]``: units sold in l from runs before the window were in stock at the end
  of month l - K - 1 (only with a truncated window).

Why it is valid for every plan the model allows (not only optimal ones): stock never goes
below zero, so the units sold can be traced to earlier supply in time order. Trace opening stock
and receipts first in first out: a month then takes from them at least as much as it would if
all demand were sold (lost sales only leave more of them for later months), so what it takes
from production is at most nd_l, whatever is lost; the rest (lot rounding, safety stock, stock
at the end) is ``later``. Holding costs stay on the model's stock, which the rows leave as it is.

Covered: SKUs whose demand is lost when not served (a backlog product may ship earlier demand
late: the tracing breaks) and whose runs all land at the demand site (a SKU stocked at other
sites receives transfers with lead times: left out), with at least one setup; SKUs with a
safety stock only with COVER_BUFFERED (see there). Those are left
to the (l,S) cuts (lot_cuts.py), as are the months past a truncated window.

Size: the parts grow with T^2 per routing. The window K is the longest whose variables fit a
budget: the model's own variable count, or BUDGET_FLOOR when that is more (below it the LP
stays small: the 24-item, 30-period TTM instance G73 needs 11,880). A model with more than
LARGEST_MODEL variables of its own gets none (see there: the 400-SKU demo's final LPs). The LP
relaxation of the lot rules (``--lp``) gets none either: it has no setups to tighten. Once every
setup is fixed (mip_search.py) the rows only repeat the product balance and are dropped
(``ROW_KINDS``), so that shadow prices and the whole-unit rounding see the model as before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulp

from sop_addin.core.planning.model_rows import add_row, lookup
from sop_addin.core.planning.sites import demand_site_yields

if TYPE_CHECKING:  # build.py calls this family: a runtime import would be circular
    from sop_addin.core.planning.build import PlanModel

BUDGET_FLOOR = 20_000  # extended variables always allowed (G73, 24 x 30, needs 11,880)
# Models with more variables of their own get no extended form. On the 400-SKU demo (45,572
# variables, 6,984 flows) the final unmet-demand LP, once the form's rows were dropped, took
# 112-124 s (warm from the basis that had them, or cold), and the plan 318 s against 179 s
# without the form (the two run side by side): 4.7% fewer units lost, cost 0.3% higher.
LARGEST_MODEL = 20_000
# SKUs with a safety stock get the form only when this is True. The form is valid for them
# (tests/test_lot_location.py), but their stock stays in the MIP (substitute_stock), and on the
# 40-SKU demo (its 6 covered SKUs all buffered) the MIP was then slower to close a tight gap:
# at the default 1% the plan took 6.8 s instead of 16.6 s (the start proven within the gap at
# once) but cost 0.44% more; at 0.4%, 109.7 s instead of 37.7 s. Off, the demo plans as before.
COVER_BUFFERED = False
ROW_KINDS = ("Lot-output", "Lot-served", "Stock-output", "Lot-run-cover", "Old-stock")
VARIABLE_KINDS = ("lot_flow", "lot_later", "stock_flow", "stock_later", "old_stock_sold")
EPS = 1e-9
# PuLP's CBC adapter maps its solution back through the variables in rows or the objective
# (LpProblem.variablesDict) but writes every variable the problem has seen: a variable left in
# no row is a KeyError. Variables taken out of every row are kept in one that always holds.
KEPT_ROW = "lot_location_kept"


@dataclass(frozen=True)
class Coverage:
    """What the extended form covers: per SKU its residual demand per month, its opening stock
    and receipts per arrival month, its routings; and the window K (months from a run to the
    last month it may serve in w; K = horizon - 1 is the full form)."""

    residual: dict[str, list[float]]
    supply: dict[str, dict[int, float]]
    routes: dict[str, list[str]]
    window: int


def residual_demand(demand: list[float], supply: dict[int, float]) -> list[float]:
    """Demand per month less what opening stock and receipts (arrival month -> units) cover,
    first in first out: the most a month can take from production."""
    left, available = [], 0.0
    for t, wanted in enumerate(demand):
        available += supply.get(t, 0.0)
        used = min(wanted, available)
        available -= used
        left.append(max(wanted - used, 0.0))
    return left


def covered(model: PlanModel) -> Coverage | None:
    """The SKUs the extended form covers and its window; None when none is or it is off."""
    data, v = model.data, model.variables
    setup = v["setup"]
    if model.relax_lots or not setup or model._count > LARGEST_MODEL:
        return None
    horizon = len(data.months)
    with_setup = {sku for sku, _res, _t in setup}
    at_home: dict[str, set[str]] = defaultdict(set)
    for sku, res in demand_site_yields(data).index:
        at_home[str(sku)].add(str(res))
    elsewhere = set(data.sites.index.get_level_values(0).astype(str)) if len(data.sites) else set()
    all_routes: dict[str, list[str]] = defaultdict(list)
    for sku, res in data.routings.index:
        all_routes[str(sku)].append(str(res))
    demand, receipts = lookup(data.demand), lookup(data.receipts)
    residual: dict[str, list[float]] = {}
    supply: dict[str, dict[int, float]] = {}
    routes: dict[str, list[str]] = {}
    for sku, product in data.products.iterrows():
        sku = str(sku)
        own = all_routes.get(sku, [])
        if (
            sku not in with_setup
            or bool(product["backlog"])
            or (not COVER_BUFFERED and float(product["safety_stock"]) > 0)
            or sku in elsewhere
            or set(own) != at_home.get(sku, set())
        ):
            continue
        wanted = [demand.get((sku, m), 0.0) for m in data.months]
        arriving = {t: receipts.get((sku, m), 0.0) for t, m in enumerate(data.months)}
        arriving[0] += float(product["opening"])
        if min(wanted, default=0.0) < 0 or min(arriving.values(), default=0.0) < 0:
            continue  # negative demand or stock: the tracing has no meaning
        residual[sku] = residual_demand(wanted, arriving)
        supply[sku] = {t: q for t, q in arriving.items() if q > EPS}
        routes[sku] = own
    if not residual:
        return None
    window = horizon - 1
    most = budget(model)
    while window > 0 and _size(residual, supply, routes, window, horizon) > most:
        window -= 1
    return Coverage(residual, supply, routes, window)


def budget(model: PlanModel) -> int:
    """Extended variables allowed: the model's own count, or BUDGET_FLOOR when that is more."""
    return max(model._count, BUDGET_FLOOR)


def _size(
    residual: dict[str, list[float]],
    supply: dict[str, dict[int, float]],
    routes: dict[str, list[str]],
    window: int,
    horizon: int,
) -> int:
    """Extended variables a window needs (an upper estimate: closed runs are counted)."""
    total = 0
    for sku, left in residual.items():
        served = [t for t in range(horizon) if left[t] > EPS]
        flows = sum(1 for t in range(horizon) for late in served if t <= late <= t + window)
        total += len(routes[sku]) * (flows + horizon)
        total += len(supply[sku]) * (window + 2) + horizon
    return total


def _window(t: int, window: int, horizon: int) -> range:
    return range(t, min(t + window, horizon - 1) + 1)


def define_lot_location(model: PlanModel) -> None:
    """The extended form (module docstring): its variables and rows, for the SKUs it covers.

    Called after every other variable family, so that the budget is the model's own size.
    """
    from sop_addin.core.planning.build import largest_runs  # build.py calls this: not at top

    coverage = covered(model)
    caps = largest_runs(model.data) if coverage is not None else {}
    _define_variables(model, coverage, caps)
    if coverage is not None:
        _define_constraints(model, coverage, caps)


Caps = dict[tuple[str, str, int], float]  # build.largest_runs: the largest run per month


def _define_variables(model: PlanModel, coverage: Coverage | None, caps: Caps) -> None:
    """The parts of each run by the month they are sold in, and of opening stock and receipts."""
    v = model.variables
    flows, later, stock_flows, stock_later, old = [], [], [], [], []
    if coverage is not None:
        data = model.data
        horizon = len(data.months)
        demand = lookup(data.demand)
        for sku, left in coverage.residual.items():
            for res in coverage.routes[sku]:
                for t in range(horizon):
                    if (sku, res, t) in v["setup"] and caps[(sku, res, t)] <= 0:
                        continue  # a closed run (build.py): it makes nothing
                    later.append((sku, res, t))
                    window = _window(t, coverage.window, horizon)
                    flows += [(sku, res, t, late) for late in window if left[late] > EPS]
            sold = [late for late, m in enumerate(data.months) if demand.get((sku, m), 0.0) > EPS]
            for u in coverage.supply[sku]:
                stock_later.append((sku, u))
                stock_flows += [(sku, u, late) for late in sold if u <= late <= u + coverage.window]
            old += [(sku, late) for late in sold if late > coverage.window]
    model.add_variables("lot_flow", flows)
    model.add_variables("lot_later", later)
    model.add_variables("stock_flow", stock_flows)
    model.add_variables("stock_later", stock_later)
    model.add_variables("old_stock_sold", old)


def _define_constraints(model: PlanModel, coverage: Coverage, caps: Caps) -> None:
    """Each run's output and each month's sales split by their parts; each part of a run
    bounded by its setup (see the module docstring)."""
    data, v = model.data, model.variables
    make, setup, stock, lost = v["make"], v["setup"], v["stock"], v["lost"]
    flow, later = v["lot_flow"], v["lot_later"]
    stock_flow, stock_later, old = v["stock_flow"], v["stock_later"], v["old_stock_sold"]
    yields = lookup(data.routings["yield"])
    demand = lookup(data.demand)
    parts: dict[tuple[str, str, int], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    sold_in: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (sku, res, t, late), var in flow.items():
        parts[(sku, res, t)].append((var, 1.0))
        sold_in[(sku, late)].append((var, 1.0))
        if (sku, res, t) in setup:
            cap = yields[(sku, res)] * caps[(sku, res, t)]
            most = min(coverage.residual[sku][late], cap)
            terms = [(var, 1.0), (setup[(sku, res, t)], -most)]
            add_row(model, "Lot-run-cover", (sku, res, t, late), terms, pulp.LpConstraintLE)
    for (sku, res, t), var in later.items():
        terms = [*parts[(sku, res, t)], (var, 1.0), (make[(sku, res, t)], -yields[(sku, res)])]
        add_row(model, "Lot-output", (sku, res, t), terms, pulp.LpConstraintEQ)
    supplied: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (sku, u, late), var in stock_flow.items():
        supplied[(sku, u)].append((var, 1.0))
        sold_in[(sku, late)].append((var, 1.0))
    for (sku, u), var in stock_later.items():
        terms = [*supplied[(sku, u)], (var, 1.0)]
        supply = coverage.supply[sku][u]
        add_row(model, "Stock-output", (sku, u), terms, pulp.LpConstraintEQ, supply)
    for (sku, late), var in old.items():
        sold_in[(sku, late)].append((var, 1.0))
        # Units from before the window were in stock at the end of month late - K - 1.
        terms = [(var, 1.0), (stock[(sku, late - coverage.window - 1)], -1.0)]
        add_row(model, "Old-stock", (sku, late), terms, pulp.LpConstraintLE)
    for sku in coverage.residual:
        for late, month in enumerate(data.months):
            wanted = demand.get((sku, month), 0.0)
            if wanted <= EPS:
                continue
            terms = list(sold_in.get((sku, late), []))
            if (sku, late) in lost:
                terms.append((lost[(sku, late)], 1.0))
            add_row(model, "Lot-served", (sku, late), terms, pulp.LpConstraintEQ, wanted)


def fully_covered(model: PlanModel) -> set[str]:
    """SKUs whose every run is in the full extended form: (late,S) cuts add nothing to them."""
    if model.constraints.get("Old-stock"):  # a truncated window: cuts tighten the months past it
        return set()
    return {sku for sku, _l in model.constraints.get("Lot-served", {})}


@dataclass
class StockSubstitution:
    """What substitute_stock took out of the model for the MIP search, to put back after."""

    rows: dict[str, pulp.LpConstraint]  # Product-balance rows, by solver name
    stock_costs: dict[pulp.LpVariable, float]  # their stock's holding cost in "plan"
    flow_costs: dict[pulp.LpVariable, float]  # the same cost, put on the flows


def substitute_stock(model: PlanModel) -> None:
    """Take the stock of fully covered SKUs out of the model while the MIP search runs.

    A unit sold in month late from a run in month t was in stock at the ends of months t..late-1, so
    the holding cost of a plan is that of its flows (a run's ``later`` part: to the horizon
    end). Where a SKU's stock sits in no row but its Product-balance rows (no safety stock, no
    storage limit), those rows and the stock's cost can go and the flows carry the cost: the
    same plans at the same costs, since the flows rebuild every month's stock (>= 0). HiGHS
    proves the TTM instances far sooner in this form: G53 in 12-19 s over four seeds, against
    30-43 s with the rows kept (the rows kept, its root cuts closed half as much of the gap).
    drop_lot_location_rows puts everything back.
    """
    skus = fully_covered(model)
    if not skus or model.search_form is not None:
        return
    v = model.variables
    stock = {id(var): sku for (sku, _t), var in v["stock"].items() if sku in skus}
    for kind, rows in model.constraints.items():
        if kind == "Product-balance":
            continue
        for row in rows.values():
            for var in row:
                skus.discard(stock.get(id(var), ""))
    if not skus:
        return
    horizon = len(model.data.months)
    plan = model.objectives["plan"]
    # held[sku][k]: the holding cost of a unit from the start of month 0 to the end of k - 1.
    held: dict[str, list[float]] = {sku: [0.0] for sku in skus}
    stock_costs = {}
    for t in range(horizon):
        for sku in skus:
            var = v["stock"][(sku, t)]
            cost = plan.pop(var, 0.0)
            if cost:
                stock_costs[var] = cost
            held[sku].append(held[sku][-1] + cost)
    flow_costs: dict[pulp.LpVariable, float] = {}

    def carry(sku: str, start: int, end: int, var: pulp.LpVariable) -> None:
        cost = held[sku][end] - held[sku][start]
        if cost:
            flow_costs[var] = cost
            plan[var] = plan.get(var, 0.0) + cost

    for (sku, _res, t, late), var in v["lot_flow"].items():
        if sku in skus:
            carry(sku, t, late, var)
    for (sku, u, late), var in v["stock_flow"].items():
        if sku in skus:
            carry(sku, u, late, var)
    for (sku, *_res, t), var in [*v["lot_later"].items(), *v["stock_later"].items()]:
        if sku in skus:
            carry(sku, t, horizon, var)
    problem_rows = model.problem._constraints
    taken = {}
    for (sku, _t), row in model.constraints["Product-balance"].items():
        if sku in skus:
            taken[row.name] = problem_rows.pop(row.name)
    _keep(model, [var for (sku, _t), var in v["stock"].items() if sku in skus])
    model.search_form = StockSubstitution(taken, stock_costs, flow_costs)
    model.problem.setObjective(model.objectives["service"] + plan)


def drop_lot_location_rows(model: PlanModel) -> None:
    """With every setup fixed the rows only repeat the product balance: drop them, so that
    they take no shadow price from the rows that explain a plan; put back what
    substitute_stock took out."""
    rows = model.problem._constraints  # PuLP 3.3's own adapters read this (stages.rows_of)
    for kind in ROW_KINDS:
        for row in model.constraints.pop(kind, {}).values():
            rows.pop(row.name, None)
    _keep(model, [var for kind in VARIABLE_KINDS for var in model.variables.get(kind, {}).values()])
    swap = model.search_form
    if swap is None:
        return
    model.search_form = None
    for name, row in swap.rows.items():
        model.problem.addConstraint(row, name)
    plan = model.objectives["plan"]
    for var, cost in swap.flow_costs.items():
        left = plan.pop(var, 0.0) - cost
        if abs(left) > 0:
            plan[var] = left
    for var, cost in swap.stock_costs.items():
        plan[var] = plan.get(var, 0.0) + cost
    model.problem.setObjective(model.objectives["service"] + plan)


def _keep(model: PlanModel, variables: list[pulp.LpVariable]) -> None:
    """Keep variables taken out of every row in KEPT_ROW (their sum >= 0, always true), in place
    of what it kept before."""
    model.problem._constraints.pop(KEPT_ROW, None)
    if variables:
        terms = pulp.LpAffineExpression((var, 1.0) for var in variables)
        row = pulp.LpConstraint(terms, pulp.LpConstraintGE, rhs=0.0)
        model.problem.addConstraint(row, KEPT_ROW)
