"""A feasible lot-size plan from the LP relaxation, to start the MILP search from.

Without setup costs the LP relaxation simply ignores the lot rules, so its bound is weak and
the solvers' own heuristics take long to find any plan (HiGHS found none in 20 s on the
200-product benchmark). Rounding the relaxation is made feasible by only ever closing runs
and orders or cutting quantities, never forcing new ones: less output is always feasible in
this elastic model (the shortfall becomes lost sales or backlog), so each step keeps a plan.

Rounding every small quantity the relaxation makes up to a legal lot makes far too much: the
relaxation buys and makes a sliver in most months, and an order or run of at least the MOQ or
the minimum lot in each of them left the 40-product demo's start 4.7% above the bound. So
orders and runs are first consolidated (``consolidated``): going through the months, a
quantity the surplus of earlier rounded-up lots still covers is not ordered or made again.

1. Solve the LP relaxation.
2. Orders: consolidated, and, the other way, kept open wherever the relaxation buys; closing
   the smallest while a supplier's open MOQs exceed its monthly limit. Whichever of the two
   the LP solves to the lower objective (unmet demand weighted first) is kept.
3. Runs and lot counts, from that plan: consolidated runs in whole legal lots, with the months
   first grouped by setup and holding cost (Wagner-Whitin on the relaxation's quantities: at
   400 products the ungrouped start paid 4x the relaxation's setup cost) or not; or a run
   opens wherever the plan makes anything and lot counts round up; or, until purchases can
   arrive, runs are rounded to the nearest legal lot, consolidated after (the best of the
   four), each first cut back to the hours its months have (run_fit.py); if
   none fits (forcing more output earlier can still break materials), a
   run opens where the plan makes at least half the smallest legal run and counts round to
   the nearest; failing that, a run opens only where the plan already makes the smallest
   legal run and counts round down, which always fits. The LP solved with these fixed is the
   start; the solver takes it from there.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable

import pulp

from sop_addin.core.planning.build import LegalRuns, PlanModel, legal_runs
from sop_addin.core.planning.run_fit import fit_to_capacity
from sop_addin.core.planning.second_sources import round_source_orders
from sop_addin.core.planning.shifts import round_shifts

INTEGER_KINDS = ("setup", "lots", "order", "source_order", "shifts")

Start = dict[pulp.LpVariable, float]
# Solves the loaded problem as an LP within a time limit (None: none); True when its plan is
# feasible (within a limit: solved to optimality in it).
SolveLP = Callable[[float | None], bool]
CANDIDATE_FACTOR = 2.0  # a candidate's LP after the first feasible one gets 2x its seconds
CANDIDATE_LEAST = 1.0  # ... or this many seconds (a tiny LP under load)


def _value(var: pulp.LpVariable) -> float:
    return float(var.varValue or 0.0)


def _fix(var: pulp.LpVariable, value: float) -> None:
    var.lowBound = var.upBound = value


def consolidated(quantities: list[float], legal: LegalRuns) -> list[float]:
    """Legal lots, month by month, that cover the quantities without repeating a lot: a month
    the surplus of earlier lots still covers gets none (0); any other gets the smallest legal
    lot covering what the surplus leaves."""
    lots, surplus = [], 0.0
    for quantity in quantities:
        if quantity <= 1e-6 or surplus >= quantity - 1e-6:
            surplus = max(surplus - quantity, 0.0)
            lots.append(0.0)
            continue
        lot = legal.up(quantity - surplus)
        surplus += lot - quantity
        lots.append(lot)
    return lots


def grouped_runs(
    quantities: list[float], legal: LegalRuns, setup_cost: float, holding: float
) -> list[float]:
    """Legal lots that cover the quantities with the months grouped as Wagner and Whitin's
    recursion finds cheapest for a setup cost and a holding cost per unit-month (no capacity:
    the LP then fits the quantities), each group's run the smallest legal lot covering what
    earlier lots' surplus leaves of it.
    """
    horizon = len(quantities)
    best = [0.0] + [math.inf] * horizon
    first = [0] * (horizon + 1)  # the month of the run that covers up to k - 1
    for k in range(1, horizon + 1):
        for j in range(k):
            if quantities[j] <= 1e-6 and any(q > 1e-6 for q in quantities[j:k]):
                continue  # a run sits in a month that needs one
            carried = sum((u - j) * quantities[u] for u in range(j, k))
            needed = setup_cost if any(q > 1e-6 for q in quantities[j:k]) else 0.0
            cost = best[j] + needed + holding * carried
            if cost < best[k]:
                best[k], first[k] = cost, j
    groups = []
    k = horizon
    while k > 0:
        groups.append((first[k], k))
        k = first[k]
    merged = [0.0] * horizon
    for j, k in groups:
        merged[j] = sum(quantities[j:k])
    return consolidated(merged, legal)


def relax_and_round(
    model: PlanModel, solve_lp: SolveLP, hurry: Callable[[], bool] = lambda: False
) -> Start | None:
    """Integer values of a feasible plan near the LP relaxation, or None if none was found.

    The model's integer variables get their bounds back; their values are the start. Once
    `hurry` says so, the first candidate of each step that fits is taken without trying the
    others (each is an LP: 3-30 s at 2000 products).
    """
    v = model.variables
    saved = {var: (var.lowBound, var.upBound) for kind in INTEGER_KINDS for var in v[kind].values()}
    start: Start = {}
    try:
        if not solve_lp(None):
            return None
        # Whole shifts (rounded up) and second-source orders (open where the relaxation buys
        # the MOQ) keep the relaxation's plan feasible; they stay fixed from here on.
        for var, value in {**round_shifts(model), **round_source_orders(model)}.items():
            start[var] = value
            _fix(var, value)
        # 2. Orders, within each supplier's monthly limit: consolidated, or wherever the
        # relaxation buys (closing a purchase can lose the sales its material makes: measured,
        # 10x the relaxation's unmet demand at 400 SKUs), whichever plans better.
        if v["order"]:
            bought = {key: _value(v["buy"][key]) for key in v["order"]}
            orders = [_order_values(model, bought, c) for c in (True, False)]
            chosen = _best(model, solve_lp, start, orders, hurry)
            if chosen is None:
                return None
            start.update(chosen)
        # 3. Runs and lot counts, from that plan.
        made = {key: _value(var) for key, var in v["make"].items()}

        def up(x: float) -> float:
            return float(math.ceil(x - 2e-9))  # x carries +1e-9 (see _round_runs)

        spread = _consolidated_runs(model, made, grouped=False)
        tries = [
            [
                # First, as the one taken in a hurry: it planned best at 400 and 2000 products
                # (at 2000 the grouped runs and those rounded up did not fit, and the runs
                # spread as consolidated scored 5.6% worse over service x K + cost).
                *_until_purchases_arrive(model, _round_runs(model, made, 0.5, round), spread),
                _consolidated_runs(model, made, grouped=True),
                spread,
                _round_runs(model, made, 0.0, up),
            ],
            [_round_runs(model, made, 0.5, round)],
            [_round_runs(model, made, 1.0, math.floor)],
        ]
        for candidates in tries:
            # Cut back to the hours each month has (run_fit.py): whole lots can ask for more.
            candidates = [fit_to_capacity(model, values, made) for values in candidates]
            chosen = _best(model, solve_lp, start, candidates, hurry)
            if chosen is not None:
                start.update(chosen)
                return start
        return None
    finally:
        for var, (low, high) in saved.items():
            var.lowBound, var.upBound = low, high


def _until_purchases_arrive(model: PlanModel, early: Start, late: Start) -> list[Start]:
    """Runs from `early` in the months before any purchase can arrive (the longest material
    lead time), from `late` after; none without lead times.

    Until purchases arrive, the material a run uses is what is in stock or on order: a run
    consolidated ahead takes it from the other products that need it then. At 400 products
    the consolidated start lost 7,387 units against the relaxation's 6,293, nearly all in
    the first two months and on products without lot rules; runs rounded to the nearest
    legal lot there, consolidated after, lost 7,023 (weighted objective 0.7% lower).
    """
    materials = model.data.materials
    months = int(materials["lead_months"].max()) if len(materials) else 0
    if months <= 0:
        return []
    v = model.variables
    month_of = {var: key[-1] for kind in ("setup", "lots") for key, var in v[kind].items()}
    return [{var: (early if month_of[var] < months else late)[var] for var in late}]


def _best(
    model: PlanModel,
    solve_lp: SolveLP,
    fixed: Start,
    candidates: list[Start],
    hurry: Callable[[], bool],
) -> Start | None:
    """The candidate values whose LP (with them and `fixed` fixed) has the lowest objective,
    or the first feasible once `hurry` says so; None when no candidate's LP is feasible. The
    winner's LP solution is the one loaded.

    The first feasible candidate's LP takes what it takes; each after it gets CANDIDATE_FACTOR
    times that (a candidate whose LP crawls is left): at 2000 products one ran for minutes,
    warm from the candidate before it, where the first took 10 s."""
    best: tuple[float, int] | None = None
    last = -1  # the candidate whose LP was solved last
    limit: float | None = None
    for i, values in enumerate(candidates):
        if best is not None and hurry():
            break
        last = i
        started = time.perf_counter()
        if _solves(model, solve_lp, {**fixed, **values}, limit):
            objective = float(pulp.value(model.problem.objective) or 0.0)
            if best is None or objective < best[0] - 1e-9 * max(1.0, abs(objective)):
                best = (objective, i)
            if limit is None:
                limit = max(CANDIDATE_LEAST, CANDIDATE_FACTOR * (time.perf_counter() - started))
    if best is None:
        return None
    if best[1] != last:  # load the winner's plan again
        _solves(model, solve_lp, {**fixed, **candidates[best[1]]})
    return candidates[best[1]]


def _solves(model: PlanModel, solve_lp: SolveLP, values: Start, limit: float | None = None) -> bool:
    for var, value in values.items():
        _fix(var, value)
    return solve_lp(limit)


def _order_values(model: PlanModel, bought: dict[tuple[str, int], float], merge: bool) -> Start:
    """Open (1) or closed (0) per order: consolidated with `merge`, else open wherever the
    relaxation buys; then the smallest closed while a supplier's open MOQs exceed its limit."""
    data, orders = model.data, model.variables["order"]
    materials = data.materials
    is_open: dict[tuple[str, int], bool] = {key: bought[key] > 1e-6 for key in orders}
    if merge:
        by_material: dict[str, list[int]] = defaultdict(list)
        for material, t in orders:
            by_material[material].append(t)
        for material, months in by_material.items():
            months.sort()
            legal = LegalRuns(float(materials.at[material, "moq"]), 0.0)
            lots = consolidated([bought[(material, t)] for t in months], legal)
            for t, lot in zip(months, lots, strict=True):
                is_open[(material, t)] = lot > 0
    limits = {k: float(x) for k, x in data.supplier_limits.items()}
    wanted: dict[tuple[str, int], list[tuple[float, str]]] = defaultdict(list)
    for (material, t), opened in is_open.items():
        if opened:
            supplier = str(materials.at[material, "supplier"])
            wanted[(supplier, t)].append((bought[(material, t)], material))
    values = dict.fromkeys(orders.values(), 0.0)
    for (supplier, t), buys in wanted.items():
        room = limits.get((supplier, data.months[t]), 0.0)
        for _bought, material in sorted(buys, reverse=True):
            moq = float(materials.at[material, "moq"])
            if moq <= room:
                room -= moq
                values[orders[(material, t)]] = 1.0
    return values


def _consolidated_runs(
    model: PlanModel, made: dict[tuple[str, str, int], float], grouped: bool
) -> Start:
    """Setups and lot counts of consolidated runs (see `consolidated`) per routing, the months
    first grouped by setup and holding cost with `grouped` (see `grouped_runs`)."""
    v, data = model.variables, model.data
    routes = data.routings
    values: Start = {}
    horizon = len(data.months)
    for sku, res in {(s, r) for s, r, _t in (*v["setup"], *v["lots"])}:
        route = routes.loc[(sku, res)]
        quantities = [made[(sku, res, t)] for t in range(horizon)]
        if grouped:
            holding = float(data.products.at[sku, "holding_cost"])
            cost = float(route["setup_cost"])
            lots = grouped_runs(quantities, legal_runs(route), cost, holding)
        else:
            lots = consolidated(quantities, legal_runs(route))
        size = float(route["lot_multiple"])
        for t, lot in enumerate(lots):
            if (sku, res, t) in v["setup"]:
                values[v["setup"][(sku, res, t)]] = 1.0 if lot > 0 else 0.0
            if (sku, res, t) in v["lots"]:
                values[v["lots"][(sku, res, t)]] = float(round(lot / size))
    return values


def _round_runs(
    model: PlanModel,
    made: dict[tuple[str, str, int], float],
    share: float,
    rounding: Callable[[float], float],
) -> Start:
    """Open a run where the plan makes at least `share` of the minimum lot; round lot counts."""
    v, routes = model.variables, model.data.routings
    values: Start = {}
    for (sku, res, t), var in v["setup"].items():
        # The smallest legal run, not the minimum lot: with a lot multiple it can be more.
        smallest = legal_runs(routes.loc[(sku, res)]).smallest
        quantity = made[(sku, res, t)]
        values[var] = 1.0 if quantity > 1e-6 and quantity >= share * smallest - 1e-6 else 0.0
    for (sku, res, t), var in v["lots"].items():
        size = float(routes.at[(sku, res), "lot_multiple"])
        count = float(rounding(made[(sku, res, t)] / size + 1e-9))
        setup = v["setup"].get((sku, res, t))
        # A closed run makes nothing; an open one whose whole lots miss its minimum closes.
        if setup is not None and (
            not values[setup] or count * size < float(routes.at[(sku, res), "min_lot"])
        ):
            count, values[setup] = 0.0, 0.0
        values[var] = count
    return values
