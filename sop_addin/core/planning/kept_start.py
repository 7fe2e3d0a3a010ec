"""The start kept as the plan: when no MIP search fits in the time left (mip_search.Clock, at
400 products and more), the start's own LPs finish it.

See start_as_plan for the order of the LPs and why each starts where it does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.cost_rounding import (
    COST_CUT_SHARE,
    COST_ROUNDING_SOLVES,
    SERVES_MORE,
    round_again,
)
from sop_addin.core.planning.integer_moves import MOVES_BASIS, improve_by_moves
from sop_addin.core.planning.solvers import (
    MIP_TIME_LIMIT,
    SolverOptions,
    SolverRun,
    relative_gap,
    run_solver,
    within_gap,
)
from sop_addin.core.planning.stages import (
    RELAXATION_BASIS,
    LevelBound,
    add_duals,
    drop_redundant_rows,
    duals,
    fix_integers,
    fix_integers_then,
    held_expression,
    held_rhs,
    hold_service,
    level_bound,
    require,
    stage_2,
    weighted_whole,
)

if TYPE_CHECKING:  # mip_search.py calls this module: a runtime import would be circular
    from sop_addin.core.planning.mip_search import Clock

# Stage 1 of a start kept as the plan gets at least this share of the relaxation's cold solve
# (warm from the start's basis it took 0.04-0.5 s at 400 products and 2.9 s at 2000, or
# crawled for minutes): out of time, the plan is the weighted whole's (start_as_plan).
STAGE_1_SHARE = 0.5
# The cost bound's LP gets at least this many of the relaxation's cold solves: at 2000
# products it took 49.5 s against a cold relaxation of 12.9 s (one relaxation's time was
# not enough: no bound, no gap to report).
BOUND_SHARE = 4.0
# The moves (integer_moves.py) leave the final LPs this many of the relaxation's cold solves:
# at 400 products stage 1, the bound at its level and the final LPs took 8-15 s, 10-20 times it.
MOVES_RESERVE = 20.0
# The moves get this many of the relaxation's cold solves (7-8 s at 400 products), so that
# they buy the same moves on a slower machine, and cost the cycle the same share of its time
# (bench_cycle.py: 1.38x the --lp wall with 7.2 s, 1.49x with 9.6 s, 1.65x with 18 s) ...
MOVES_SOLVES = 12.0
MOVES_AT_LEAST = 2.0  # ... or this many seconds (a tiny model's relaxation takes hundredths)
MOVES_SHARE = 0.15  # ... and at most this share of the time limit
MOVE_LP_SOLVES = 5.0  # a move's LP gets this many of the relaxation's cold solves (1 s at least)
ROUND_SOLVES = 10.0  # a round of moves starts with at least this many of them left


def start_as_plan(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float],
    reason: str,
) -> tuple[SolverRun, tuple[SolverRun, float]]:
    """The start's plan as the answer: its final LPs, and the cost bound of the LP relaxation
    when that is solved in time (the time left, at least BOUND_SHARE cold relaxations).

    The start's plan is loaded, solved over service x K + plan with its integers fixed, and
    every LP after starts from that basis (solvers.HiGHSBulk keeps it per objective): stage 1
    (the unmet demand is a part of that objective; before the lot rows are dropped: after,
    it took 19-36 s at 400 products and more than 13 minutes at 2000), then, with the rows
    dropped, stage 2 over the weighted whole (the same plans are optimal with the unmet
    demand held: stages.weighted_whole; over cost alone it starts cold, and at 2000 products
    each cold solve of this model took minutes). The bound holds stage 1's level: every plan
    serving as much costs no less; its LP starts from the LP relaxation's basis, set aside
    before the start's LPs (solvers.mark_basis). The LPs a search would hold levels and price
    candidates with (212 s at 2000 products) are not needed for one plan. When the start is
    outside the gap and the time left holds COST_ROUNDING_SOLVES cold relaxations, the cost
    relaxation is cut and rounded again first (cost_rounding.round_again); a rounding kept
    gets stage 1 again, and the bound at its level. Then, while outside the gap, its integers
    move one at a time (_moved, integer_moves.py).

    Returns the run to report (its reason: `reason` and what became of the bound and stage 1)
    and the final LPs' run and level.
    """
    problem, plan = model.problem, model.objectives["plan"]
    # The start's plan is loaded (lot_start.relax_and_round): a weighted optimum with its
    # integers fixed, so its cost is the least at the level it serves.
    cost = float(pulp.value(plan) or 0.0)
    stage, seconds = _stage_1(model, options, clock, start)
    problem.setObjective(plan)
    limit = max(clock.left(floor=0.0) or 0.0, BOUND_SHARE * clock.relaxation_seconds)
    # From the relaxation's basis (solvers.mark_basis), feasible here, by the primal simplex;
    # without one, cold in a model of its own. From the start's basis (setups fixed, another
    # objective) it took 13 s at 400 products, cold 2-3 s; at 2000 cold 50 s (110 s on a
    # slower machine, stopped by its limit: no bound).
    relaxed = run_solver(
        problem, options, mip=False, time_limit=limit, fresh=True, from_mark=RELAXATION_BASIS
    )
    at_level = level_bound(model) if relaxed.proven else None
    outside = at_level is not None and not within_gap(
        relative_gap(cost, min(at_level.value, cost)), options.mip_gap
    )
    if at_level is not None and outside and clock.room_for(COST_ROUNDING_SOLVES):
        seconds_cut = COST_CUT_SHARE * (clock.limit or MIP_TIME_LIMIT)
        rounding = round_again(model, options, seconds_cut, start, cost)
        if rounding.bound is not None and rounding.bound.value > at_level.value:
            at_level = rounding.bound  # the cuts only raise it
        if rounding.values is not None and rounding.bound_at_level is not None:
            at_level = rounding.bound_at_level
            reason = reason.replace("the start's plan kept", "the relaxation cut and rounded again")
            stage, more = _stage_1(model, options, clock, rounding.values)
            seconds += more
    final_mark = None  # the final LPs start from the start's basis given back
    if at_level is not None:
        moved, more, moves = _moved(model, options, clock, stage, at_level)
        if moves:
            stage, seconds = moved, seconds + more
            reason += f"; {moves} of its integers moved one at a time"
            # From the moves' last plan instead (the start's basis took 10 s from there).
            final_mark = MOVES_BASIS
    # The bound at the level the plan's integers serve (held now: _stage_1).
    bound = None if at_level is None else at_level.at(held_rhs(model))
    fix_integers(model, stage.values)
    drop_redundant_rows(model)
    whole = weighted_whole(model) if model.objectives["service"] else plan
    final = stage_2(model, options, whole, final_mark)
    add_duals(model, stage.prices)
    if bound is None:
        reason += f" (no cost bound: the LP relaxation stopped: {relaxed.reason})"
    reason += stage.note
    kept = replace(relaxed, reason=reason, feasible=True, proven=False, objective=None, bound=bound)
    return kept, (replace(final, seconds=seconds + final.seconds), stage.level)


@dataclass
class Stage1:
    """The integers of a plan, the least unmet demand they allow (the level held), stage 1's
    prices and a note for SolverReport (_stage_1)."""

    values: dict[pulp.LpVariable, float]
    level: float
    prices: dict[str, float]
    note: str


def _moved(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    stage_1: Stage1,
    bound: LevelBound,
) -> tuple[Stage1, float, int]:
    """The plan's integers moved one at a time (integer_moves.py), for MOVES_SOLVES cold
    relaxations (MOVES_SHARE of the time limit at most) and never into the last
    MOVES_RESERVE (the final LPs'), until the plan is within the gap asked of its bound.

    The moves hold the level of unmet demand; the integers they keep may serve more (a lot
    fewer in one month can free the capacity another product lacked), so stage 1 runs again
    over them, from the moves' last basis, and the moves go on at the new level: serving more
    costs more, and they bring that cost down. The cost bound at a lower level comes from the
    bound's LP at the first level and its shadow price (stages.LevelBound), not a new LP.
    Returns the moved plan's stage 1, the seconds of its LPs and how many moves were kept."""
    moves, seconds = 0, 0.0
    left = clock.left(floor=0.0)
    budget = min(
        MOVES_SHARE * (clock.limit or MIP_TIME_LIMIT),
        max(MOVES_AT_LEAST, MOVES_SOLVES * clock.relaxation_seconds),
    )
    if left is not None:
        budget = min(budget, left - MOVES_RESERVE * clock.relaxation_seconds)
    deadline = time.perf_counter() + budget
    # A round starts only with time for its first LP and a few moves (at 400 products a round
    # started with 4 s left spent them on its first LP).
    least = max(1.0, ROUND_SOLVES * clock.relaxation_seconds)
    while deadline - time.perf_counter() >= least:
        at_level = bound.at(held_rhs(model))
        values, _, kept = improve_by_moves(
            model,
            options,
            stage_1.values,
            deadline - time.perf_counter(),
            at_level / (1.0 - options.mip_gap) if options.mip_gap < 1.0 else math.inf,
            max(1.0, MOVE_LP_SOLVES * clock.relaxation_seconds),  # under load a tiny LP too
        )
        if not kept:
            break
        moves += kept
        held = stage_1.level
        stage_1, more = _stage_1(model, options, clock, values, MOVES_BASIS)
        seconds += more
        if stage_1.level >= held - SERVES_MORE * max(1.0, abs(held)):
            break  # the same level: the moves' plan is the plan, at their cost
    return stage_1, seconds, moves


def _stage_1(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float],
    mark: str | None = None,
) -> tuple[Stage1, float]:
    """Stage 1 with the start's integers fixed, from its basis (or the one set aside under
    `mark`), within STAGE_1_SHARE of the relaxation's cold solve at least; its level held.
    Returns the Stage1 (its note for SolverReport says when it ran out of time: the weighted
    whole's plan is then the level, and every price is stage 2's) and the seconds."""
    problem = model.problem
    if not model.objectives["service"]:
        return Stage1(start, 0.0, {}, ""), 0.0
    runs: list[SolverRun] = []

    def solve(
        objective: pulp.LpAffineExpression, limit: float | None, mark: str | None = None
    ) -> None:
        problem.setObjective(objective)
        fix_integers_then(
            model,
            start,
            lambda: runs.append(
                run_solver(problem, options, mip=False, time_limit=limit, from_mark=mark)
            ),
        )

    first: dict[str, float] = {}
    note = ""
    limit = max(clock.left(floor=0.0) or 0.0, STAGE_1_SHARE * clock.relaxation_seconds)
    solve(model.objectives["service"], limit, mark)
    if runs[-1].proven:
        first = duals(problem)
    else:
        # The weighted whole's plan again (its basis given back: no pivot), at the level
        # it serves; the prices are then all stage 2's.
        solve(weighted_whole(model), None)
        require(runs[-1], "serving demand, LP", mip=False)
        note = f"; unmet demand held where service x K + cost left it ({runs[0].reason})"
    level = float(pulp.value(held_expression(model)) or 0.0)
    hold_service(model, level)
    return Stage1(start, level, first, note), sum(run.seconds for run in runs)
