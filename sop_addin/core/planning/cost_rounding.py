"""The start rounded again, from a relaxation cut on its cost with the service held.

The first start (lot_start.py) is rounded from the relaxation of service x K + plan, cut while
that objective moves: its cut rounds stop once the service term, which the cuts hardly touch,
dwarfs what they add. With the service held, the relaxation is over cost alone, and there the
(l,S) cuts keep paying, their buffered forms most (lot_cuts.py): at 400 products seven rounds
raised its bound by 0.30%. Rounded again with those cuts, the relaxation opens fewer setups
where batching pays (1,145 of 1,512 against 1,317) and serves more: on the 400-SKU cycle
(bench_cycle.py) the plan is 1.25% above its bound against 1.79%, losing 9,806 units against
9,896, for 20-30 s more.

Used where no MIP search fits in the time (kept_start.start_as_plan): the plan kept is the
rounding when it serves more than the start, or as much for less (demand first).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.lot_cuts import add_lot_cover_cuts
from sop_addin.core.planning.lot_start import Start, relax_and_round
from sop_addin.core.planning.solvers import SolverOptions, mark_basis, run_solver
from sop_addin.core.planning.stages import (
    COST_BASIS,
    RELAXATION_BASIS,
    LevelBound,
    held_expression,
    hold_service,
    level_bound,
    release_service,
    service_weight,
)

COST_ROUNDING_SOLVES = 30.0  # time left, in cold relaxation solves, to cut and round again
COST_CUT_SHARE = 0.1  # of the time limit, for the rounds of cuts
COST_CUT_MIN_GAIN = 3e-4  # a round raising the cost bound by less ends the rounds
SERVES_MORE = 1e-7  # relative: a level of unmet demand this much lower serves more


@dataclass
class Rounding:
    """What rounding again gave: the cost bound at the start's level (None: not proven), and
    when the rounding is kept, its integers and the bound at the level it serves."""

    bound: LevelBound | None
    values: Start | None = None
    bound_at_level: LevelBound | None = None


def round_again(
    model: PlanModel,
    options: SolverOptions,
    seconds: float,
    start: Start,
    cost: float,
) -> Rounding:
    """Cut the cost relaxation (the plan's cost with the service held at the start's level)
    for at most `seconds`, round it again as the start was, and keep the rounding if its plan
    serves more than the start's, or as much for less than `cost` (the start's over service
    x K + plan, where it serves at most as much). The service row holds the kept plan's level
    after, else the level it held before: either way the bound holds for the plan kept, which
    serves at least that level.

    The rounding is priced as the start was, over service x K + plan (warm there: a fifth of a
    second a plan at 400 products, where the cost objective with the service held took 2-3 s).
    """
    problem, plan, service = model.problem, model.objectives["plan"], model.objectives["service"]
    held = model.held_level

    def cost_bound(mark: str | None = None) -> LevelBound | None:
        proven = run_solver(problem, options, mip=False, from_mark=mark).proven
        return level_bound(model) if proven else None

    def solve_cut() -> bool:
        return run_solver(problem, options, mip=False).feasible

    solved: list[bool] = []

    def solve_lp(limit: float | None) -> bool:
        # The first from the relaxation's basis (solvers.mark_basis; without one, in a new
        # model: from the start's basis the relaxation took 12 s at 400 products, cold 2 s);
        # the rounding's plans follow warm from it.
        first = not solved
        mark = RELAXATION_BASIS if first else None
        run = run_solver(problem, options, mip=False, time_limit=limit, fresh=first, from_mark=mark)
        solved.append(run.feasible if limit is None else run.proven)
        return solved[-1]

    add_lot_cover_cuts(model, solve_cut, seconds, min_gain=COST_CUT_MIN_GAIN, objective=plan)
    bound = cost_bound()
    mark_basis(problem, COST_BASIS)
    release_service(model)
    problem.setObjective(service_weight(model) * service + plan)
    rounded = relax_and_round(model, solve_lp)
    more = float(pulp.value(held_expression(model)) or 0.0)
    found = float(pulp.value(plan) or 0.0)
    problem.setObjective(plan)
    # `more` is at least the least unmet demand the rounding's integers reach (stage 1 finds
    # that): at or below the level held, its plan serves at least as much as the start's.
    tolerance = SERVES_MORE * max(1.0, abs(held))
    serves_more = more < held - tolerance
    if rounded is not None and (serves_more or (more <= held + tolerance and found < cost)):
        hold_service(model, min(more, held))
        # A new level: from the cost relaxation's basis, over the same objective (the dual
        # simplex: only the level held moved). Warm from the rounding's basis it took 20 s,
        # cold 19-21 s.
        at_level = cost_bound(COST_BASIS) if serves_more else bound
        if at_level is not None:
            return Rounding(bound, {**start, **rounded}, at_level)
    hold_service(model, held)
    return Rounding(bound)
