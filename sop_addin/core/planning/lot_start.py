"""A feasible lot-size plan from the LP relaxation, to start the MILP search from.

Without setup costs the LP relaxation simply ignores the lot rules, so its bound is weak and
the solvers' own heuristics take long to find any plan (HiGHS found none in 20 s on the
200-product benchmark). Rounding the relaxation is made feasible by only ever closing runs
and orders or cutting quantities, never forcing new ones: less output is always feasible in
this elastic model (the shortfall becomes lost sales or backlog), so each step keeps a plan.

1. Solve the LP relaxation.
2. Orders: keep a purchase open wherever the relaxation buys, closing the smallest while a
   supplier's open MOQs exceed its monthly limit; solve the LP again.
3. Runs and lot counts, from that plan: first a run opens wherever the plan makes anything and
   lot counts round up; if that does not fit (forcing more output or changeover hours can
   break capacity or materials), a run opens where the plan makes at least half the smallest
   legal run and counts round to the nearest; failing that, a run opens only where the plan
   already makes the smallest legal run and counts round down, which always fits. The LP
   solved with these fixed is the start; the solver takes it from there.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import pulp

from sop_addin.core.planning.build import PlanModel, legal_runs
from sop_addin.core.planning.second_sources import round_source_orders
from sop_addin.core.planning.shifts import round_shifts

INTEGER_KINDS = ("setup", "lots", "order", "source_order", "shifts")


def _value(var: pulp.LpVariable) -> float:
    return float(var.varValue or 0.0)


def _fix(var: pulp.LpVariable, value: float) -> None:
    var.lowBound = var.upBound = value


def relax_and_round(
    model: PlanModel, solve_lp: Callable[[], bool]
) -> dict[pulp.LpVariable, float] | None:
    """Integer values of a feasible plan near the LP relaxation, or None if none was found.

    The model's integer variables get their bounds back; their values are the start.
    """
    v, data = model.variables, model.data
    saved = {var: (var.lowBound, var.upBound) for kind in INTEGER_KINDS for var in v[kind].values()}
    start: dict[pulp.LpVariable, float] = {}
    try:
        if not solve_lp():
            return None
        # Whole shifts (rounded up) and second-source orders (open where the relaxation buys
        # the MOQ) keep the relaxation's plan feasible; they stay fixed from here on.
        for var, value in {**round_shifts(model), **round_source_orders(model)}.items():
            start[var] = value
            _fix(var, value)
        # 2. Orders, within each supplier's monthly limit.
        materials = data.materials
        limits = {k: float(x) for k, x in data.supplier_limits.items()}
        wanted: dict[tuple[str, int], list[tuple[float, str]]] = defaultdict(list)
        for (material, t), var in v["order"].items():
            bought = _value(v["buy"][(material, t)])
            moq = float(materials.at[material, "moq"])
            # Any purchase the relaxation makes stays open: closing one loses the sales its
            # material would make (measured: 10x the relaxation's unmet demand at 400 SKUs).
            if bought > 1e-6:
                wanted[(str(materials.at[material, "supplier"]), t)].append((bought, material))
            start[var] = 0.0
        for (supplier, t), orders in wanted.items():
            room = limits.get((supplier, data.months[t]), 0.0)
            for _bought, material in sorted(orders, reverse=True):
                moq = float(materials.at[material, "moq"])
                if moq <= room:
                    room -= moq
                    start[v["order"][(material, t)]] = 1.0
        for var in v["order"].values():
            _fix(var, start[var])
        if v["order"] and not solve_lp():
            return None
        # 3. Runs and lot counts, from that plan: first rounded to the nearest (more output,
        # which may not fit), then, if that plan is infeasible, only down (which always fits).
        made = {key: _value(var) for key, var in v["make"].items()}

        def up(x: float) -> float:
            return float(math.ceil(x - 2e-9))  # x carries +1e-9 (see _round_runs)

        for share, rounding in ((0.0, up), (0.5, round), (1.0, math.floor)):
            _round_runs(model, made, start, share, rounding)
            for var in list(v["setup"].values()) + list(v["lots"].values()):
                _fix(var, start[var])
            if solve_lp():
                return start
        return None
    finally:
        for var, (low, high) in saved.items():
            var.lowBound, var.upBound = low, high


def _round_runs(
    model: PlanModel,
    made: dict[tuple[str, str, int], float],
    start: dict[pulp.LpVariable, float],
    share: float,
    rounding: Callable[[float], float],
) -> None:
    """Open a run where the plan makes at least `share` of the minimum lot; round lot counts."""
    v, routes = model.variables, model.data.routings
    for (sku, res, t), var in v["setup"].items():
        # The smallest legal run, not the minimum lot: with a lot multiple it can be more.
        smallest = legal_runs(routes.loc[(sku, res)]).smallest
        quantity = made[(sku, res, t)]
        start[var] = 1.0 if quantity > 1e-6 and quantity >= share * smallest - 1e-6 else 0.0
    for (sku, res, t), var in v["lots"].items():
        size = float(routes.at[(sku, res), "lot_multiple"])
        count = float(rounding(made[(sku, res, t)] / size + 1e-9))
        setup = v["setup"].get((sku, res, t))
        # A closed run makes nothing; an open one whose whole lots miss its minimum closes.
        if setup is not None and (
            not start[setup] or count * size < float(routes.at[(sku, res), "min_lot"])
        ):
            count, start[setup] = 0.0, 0.0
        start[var] = count
