"""One-integer moves: a kept start improved a setup, lot count or order at a time.

Where no MIP search fits in the time (kept_start.py, at 400 products and more), the rounded
start is the plan, and the final LPs re-solve it demand first with its integers fixed. Those
integers were rounded from service x K + cost, which cannot price serving a sale a month sooner
(build.SOONER against a buffer): held to the exact level, the plan drains buffers for it where
other setups and lots would serve it cheaper. A MIP over a window of months
around them did not help: HiGHS's root cut rounds alone took 40-60 s on a window of one to
three months at 400 products, and found nothing.

So the integers move one at a time, each move priced by the LP with every other integer
fixed and the level of unmet demand held (from the plan's own basis: about 0.3 s at 400
products). A move is kept when that LP costs less: the plan serves at least as much and
costs less. Which moves to price first comes from the LP's reduced costs: a fixed integer's
reduced cost is the rate at which the LP's cost moves with it, and the LP's cost is convex in
it, so one unit up or down gains at most that rate (its optimistic gain). After a pass the
prices are taken again from the new plan. On the 400-SKU demo company (last year's sales as
demand; solve_plan, 120 s limit), the first round kept 9 moves in 17 s and took 312,000
(0.46%) off the plan at its level (mostly a lot fewer in the first month); those integers also
serve more, which costs more: the plan written went from 1.45% to 1.24% above its bound,
serving 210 units more for 89,000 less (the solve took 60 s against 31 s). With the 7 s the
kept start now gives them (kept_start.MOVES_SOLVES), that data gets one move (the best: a
month's setup closed, 190,000 off), since the first-ranked moves' LPs are the slow ones (a
timeout of 3 s, an infeasible 1.2 s); the 400-SKU cycle's data keeps nearly all the units.
"""

from __future__ import annotations

import math
import time

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.lot_start import Start
from sop_addin.core.planning.solvers import SolverOptions, mark_basis, run_solver
from sop_addin.core.planning.stages import fix_integers_then, solve_held

GAIN_TOLERANCE = 1e-6  # relative: a move must take at least this share off the plan's cost
PASSES = 3  # the prices are taken again at most this often
MOVES_BASIS = "moves"  # the basis of the plan the moves end with (solvers.mark_basis)


def improve_by_moves(
    model: PlanModel,
    options: SolverOptions,
    start: Start,
    seconds: float,
    good_enough: float = -math.inf,
    move_seconds: float | None = None,
) -> tuple[Start, float | None, int]:
    """Integers at least as good as `start`, moved one at a time for at most `seconds` (the
    module docstring), with the level of unmet demand held as it is now, until the plan costs
    at most `good_enough` (within the gap asked of its bound). A move whose LP takes more than
    `move_seconds` is left: mostly one that cannot hold the level (at 400 products such LPs
    took 1-6 s to say so, a move that can 0.2-0.3 s). Returns the integers, their plan's cost
    (None: the start's own LP was not solved) and the moves kept. The integers get their
    bounds back; the objective is the plan's after."""
    problem, plan = model.problem, model.objectives["plan"]
    problem.setObjective(plan)
    deadline = time.perf_counter() + seconds
    values = dict(start)
    bounds = {var: (var.lowBound, var.upBound) for var in start}  # each move's limits
    kept = 0
    cost: float | None = None

    def priced(limit: float | None = None, mark: str | None = None) -> bool:
        run = solve_held(
            model,
            lambda: run_solver(problem, options, mip=False, time_limit=limit, from_mark=mark),
        )
        return run.proven

    def search() -> None:
        nonlocal kept, cost
        if not priced():
            return
        mark_basis(problem, MOVES_BASIS)
        cost = base = float(pulp.value(plan) or 0.0)
        for _ in range(PASSES):
            moves = _ranked_moves(values, bounds, GAIN_TOLERANCE * max(1.0, abs(base)))
            found = 0
            for _gain, var, value in moves:
                if time.perf_counter() >= deadline or base <= good_enough:
                    return
                before = values[var]
                var.lowBound = var.upBound = value
                # From the plan's basis: a move's LP stopped half-way leaves none to go on from.
                now = (
                    float(pulp.value(plan) or 0.0)
                    if priced(move_seconds, MOVES_BASIS)
                    else math.inf
                )
                if now < base - GAIN_TOLERANCE * max(1.0, abs(base)):
                    values[var] = value
                    cost = base = now
                    mark_basis(problem, MOVES_BASIS)
                    found += 1
                    kept += 1
                else:
                    var.lowBound = var.upBound = before
            if not found or time.perf_counter() >= deadline:
                return
            # The prices of the plan the pass ended with (a rejected move's LP is loaded).
            if not priced(None, MOVES_BASIS):
                return

    fix_integers_then(model, values, search)  # gives every integer its bounds back
    return values, cost, kept


def _ranked_moves(
    values: Start,
    bounds: dict[pulp.LpVariable, tuple[float | None, float | None]],
    least: float,
) -> list[tuple[float, pulp.LpVariable, float]]:
    """Each integer one unit up or down within its bounds, with its optimistic gain (from the
    loaded LP's reduced cost), the largest first; gains under `least` left out."""
    moves = []
    for var, value in values.items():
        rate = getattr(var, "dj", None)
        if rate is None or getattr(var, "index", None) is None:
            continue  # in no row: moving it changes nothing
        low, high = bounds[var]
        if -rate > least and (high is None or value + 1 <= high):
            moves.append((-rate, var, value + 1.0))
        if rate > least and (low is None or value - 1 >= low):
            moves.append((rate, var, value - 1.0))
    moves.sort(key=lambda move: -move[0])
    return moves
