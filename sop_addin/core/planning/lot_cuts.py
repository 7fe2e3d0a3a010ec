"""(l,S) inequalities: cuts that tighten the lot-size MILP's LP relaxation.

With a setup binary y on a run x, the big-M row x <= M y lets the relaxation open a run by a
sliver (y = x / M), so its bound is weak. Barany, Van Roy and Wolsey's (l,S) inequalities are
valid for every lot-size plan and, for one item without capacity, give the convex hull: for a
month l and a set S of (routing, month u <= l) runs of one SKU,

    sum over (r, u) in S of  (yield_r x_ru - C(u, l) y_ru)  <=  stock_l,

where C(u, l) is what the SKU needs from u to l: its demand less its receipts. (Let k be the
first month of S with a run: what is made from k to l is sold in k..l, at most that demand, or
still in stock at l, less the stock it started from: with sites, at any of the SKU's sites or in
transit between them, sites.held_stock.) They hold with lost sales, which only lower what is
sold; a backlog product can ship earlier demand late, so it gets none.

A safety stock makes the plain form useless: the relaxation keeps the buffer, stock_l is the
target, and a run opened by a sliver passes every plain cut while its month sells less than
the buffer (the 400-product demo's runs). Two forms count the buffer (tests/test_lot_cuts.py):

- the stock a run starts from: at u-1 it is at least the target less what the plan reports
  below it, so month u may take the target off its need, C(u, l) = max(need(u, l) - target, 0),
  with below_safety[u-1] added on the right; month 0 takes off the opening stock;
- the stock it ends with: where the target holds at l, the right side may be what is held
  above it, stock_l + below_safety_l - target (never negative), with the target added to
  every month's need.

Each month of S takes whichever form its runs violate more (for the first open month k either
bound on the starting stock holds; the other months' terms are >= 0), and the cut the right
side that violates more. Separation is exact and greedy: for each l and u, S takes the runs
whose yield_r x_ru exceeds C(u, l) y_ru in the current relaxation, and month u when that beats
its below_safety term.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.lot_location import fully_covered
from sop_addin.core.planning.model_rows import add_row, lookup
from sop_addin.core.planning.sites import held_stock

MAX_ROUNDS = 40
MIN_VIOLATION = 1e-4  # relative to the SKU's demand over the horizon


Cover = tuple[float, float | None, pulp.LpVariable | None]


def add_lot_cover_cuts(
    model: PlanModel,
    solve_relaxation: Callable[[], bool],
    seconds: float | None = None,
    min_gain: float = 0.0,
    objective: pulp.LpAffineExpression | None = None,
    buffered: bool = True,
) -> int:
    """Add violated (l,S) cuts in rounds of LP relaxation and separation; return how many.

    Rounds stop when none is violated, after MAX_ROUNDS, once `seconds` have passed (each
    round solves the relaxation again), or when a round raised the bound by less than
    `min_gain` of it: on the 40-product demo the first five rounds gained 0.04% and the next
    seventeen 0.02% together, a bound no MIP gap of 1% notices.

    The relaxation is solved with `objective`, by default the whole objective (service plus
    plan), whatever the caller set: the cuts should sharpen the bound the cost stage proves
    its gap against. The caller's objective is set back after. `buffered`: the forms that
    count the buffer, the opening stock and receipts (else the plain cuts on demand only).
    """
    v, data = model.variables, model.data
    setup = v["setup"]
    if not setup or model.relax_lots:
        return 0
    problem = model.problem
    callers = problem.objective
    if objective is None:
        objective = model.objectives["service"] + model.objectives["plan"]
    problem.setObjective(objective)
    horizon = len(data.months)
    runs: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    tight = fully_covered(model)  # the facility-location form already holds every cut
    for sku, res, t in setup:
        if sku not in tight and not bool(data.products.at[sku, "backlog"]):
            runs[sku].append((res, t, float(data.routings.at[(sku, res), "yield"])))
    below = v["below_safety"] if buffered else {}
    covers = cover_needs(model, runs, buffered)
    demand = lookup(data.demand)
    scales = {sku: max(sum(demand[(sku, m)] for m in data.months), 1.0) for sku in runs}
    stock_at = held_stock(model)
    added = 0
    started = time.perf_counter()
    try:
        bound = None
        for _ in range(MAX_ROUNDS):
            if seconds is not None and time.perf_counter() - started > seconds:
                break
            if not solve_relaxation():
                break
            value = float(pulp.value(problem.objective) or 0.0)
            if bound is not None and value - bound <= min_gain * max(abs(value), 1.0):
                break
            bound = value
            found = 0
            for sku, items in runs.items():
                scale = scales[sku]
                for last in range(horizon):
                    held = stock_at[(sku, last)]
                    cut = _most_violated(model, sku, items, last, covers, held, below)
                    if cut is not None and cut[2] > MIN_VIOLATION * scale:
                        terms, rhs, _ = cut
                        add_row(
                            model, "Lot-cover", (sku, last, added), terms, pulp.LpConstraintLE, rhs
                        )
                        added += 1
                        found += 1
            if not found:
                break
    finally:
        problem.setObjective(callers)
    return added


def cover_needs(
    model: PlanModel,
    runs: dict[str, list[tuple[str, int, float]]],
    buffered: bool = True,
) -> dict[tuple[str, int, int], Cover]:
    """Per (sku, u, l): the need from u to l with the stock at u-1 taken as zero (at 0: the
    opening stock), and, where a safety stock holds at u-1, the need less its target with the
    below_safety variable that pays for it (else None, None). Not `buffered`: the demand from
    u to l alone, as the plain cuts have it."""
    data = model.data
    below = model.variables["below_safety"] if buffered else {}
    demand, receipts = lookup(data.demand), lookup(data.receipts if buffered else {})
    months, products = data.months, data.products
    covers: dict[tuple[str, int, int], Cover] = {}
    for sku in runs:
        need = [demand[(sku, m)] - receipts.get((sku, m), 0.0) for m in months]
        target = float(products.at[sku, "safety_stock"])
        for u in range(len(months)):
            kept = float(products.at[sku, "opening"]) if u == 0 and buffered else 0.0
            short = below.get((sku, u - 1)) if u > 0 else None
            total = 0.0
            for last in range(u, len(months)):
                total += need[last]
                less = total - target if short is not None else None
                covers[(sku, u, last)] = (total - kept, less, short)
    return covers


def _most_violated(
    model: PlanModel,
    sku: str,
    items: list[tuple[str, int, float]],
    last: int,
    covers: dict[tuple[str, int, int], Cover],
    held: list[tuple[pulp.LpVariable, float]],
    below: dict[tuple[str, int], pulp.LpVariable],
) -> tuple[list[tuple[pulp.LpVariable, float]], float, float] | None:
    """The most violated cover cut for month `last` (terms <= rhs), with its violation.

    Two right-hand sides: the stock held at l, or, where the buffer holds at l, what is held
    above the target (stock_l + below_safety_l - target, never negative), which adds the
    target to every month's need. A run at a sliver passes the first while stock sits at the
    buffer; the second makes it pay its setup.
    """
    level = sum(c * (var.varValue or 0.0) for var, c in held)
    stock_terms = [(var, -c) for var, c in held]
    best = None
    terms, excess = _violated_runs(model, sku, items, last, covers, 0.0)
    if terms:
        best = (terms + stock_terms, 0.0, excess - level)
    short = below.get((sku, last))
    if short is not None:
        target = float(model.data.products.at[sku, "safety_stock"])
        terms, excess = _violated_runs(model, sku, items, last, covers, target)
        violation = excess - (level + (short.varValue or 0.0) - target)
        if terms and (best is None or violation > best[2]):
            best = (terms + stock_terms + [(short, -1.0)], -target, violation)
    return best


def _violated_runs(
    model: PlanModel,
    sku: str,
    items: list[tuple[str, int, float]],
    last: int,
    covers: dict[tuple[str, int, int], Cover],
    extra: float,
) -> tuple[list[tuple[pulp.LpVariable, float]], float]:
    """The left-hand terms that violate most for month `last`, and their value: per month u,
    the runs made beyond their need plus `extra`, in whichever form of the need is smaller."""
    make, setup = model.variables["make"], model.variables["setup"]
    by_month: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for res, u, rate in items:
        if u <= last:
            by_month[u].append((res, rate))
    terms: list[tuple[pulp.LpVariable, float]] = []
    excess = 0.0
    for u, routes in by_month.items():
        plain, buffered, short = covers[(sku, u, last)]
        forms = [(plain, None)] if buffered is None else [(plain, None), (buffered, short)]
        best: tuple[float, list[tuple[pulp.LpVariable, float]]] = (0.0, [])
        for need, slack in forms:
            cover = max(need + extra, 0.0)
            chosen, gain = [], 0.0
            for res, rate in routes:
                x, y = make[(sku, res, u)], setup[(sku, res, u)]
                part = rate * (x.varValue or 0.0) - cover * (y.varValue or 0.0)
                if part > 1e-9:
                    chosen += [(x, rate), (y, -cover)]
                    gain += part
            if slack is not None and chosen:
                chosen.append((slack, -1.0))
                gain -= slack.varValue or 0.0
            if gain > best[0] + 1e-9:
                best = (gain, chosen)
        excess += best[0]
        terms += best[1]
    return terms, excess
