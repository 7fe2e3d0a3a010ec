"""The lot-size MILP's search, demand first: cuts, a rounded start, the two MIP stages.

See solve.py's docstring for the order of the searches and why; this module runs them on the
model, leaving every integer fixed at the plan found so that the final LPs (stages.py) make
the plan written.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.fix_optimize import fix_and_optimize
from sop_addin.core.planning.kept_start import STAGE_1_SHARE, start_as_plan
from sop_addin.core.planning.lot_cuts import add_lot_cover_cuts
from sop_addin.core.planning.lot_location import substitute_stock
from sop_addin.core.planning.lot_start import relax_and_round
from sop_addin.core.planning.relax_fix import start_without_rounding
from sop_addin.core.planning.shifts import round_shifts
from sop_addin.core.planning.solvers import (
    MIP_TIME_LIMIT,
    SolverOptions,
    SolverRun,
    mark_basis,
    relative_gap,
    run_solver,
    within_gap,
)
from sop_addin.core.planning.stages import (
    RELAXATION_BASIS,
    drop_redundant_rows,
    fix_integers,
    fixed_lp,
    fixed_lp_service,
    held_expression,
    hold_service,
    integer_values,
    require,
    service_weight,
)

RESEARCH_ROUNDS = 3  # stage 2 again when its integers let the plan serve more
FIRST_SEARCH_SHARE = 0.5  # of the time limit, for the search over weighted service + cost
SERVICE_SEARCH_GAP = 0.02  # that search runs when the start's unmet demand is further above
CUT_TIME_SHARE = 0.1  # of the time limit, for rounds of (l,S) cuts
MIP_ROOT_FACTOR = 300.0  # time a MIP search needs, in cold solves of its relaxation (Clock)
SMALL_MIP = 1000  # integer variables: a MIP this small always gets its search (40 products: 579)
CUT_MIN_GAIN = 0.01  # of the gap asked: a cut round raising the bound less ends the rounds
SEARCH_ATTEMPTS = 3  # stage 2's MIP search, started again at most this often (_search_in_attempts)
STOPPED_BY_LIMIT = ("Time limit reached", "Interrupted by user")  # HiGHS's words
NEAR_GAP = 2.0  # x the gap asked: an attempt this close is followed by more than one other
SERVICE_TOLERANCE = 1e-7  # relative: unmet demand this close to its bound is the least
SERVICE_SEARCH_SHARE = 0.1  # of the time limit, at most, for the search over unmet demand alone
# The start's rounding takes the first candidate that fits once the time left holds fewer cold
# relaxations than this: the cost bound's LP (kept_start.BOUND_SHARE), stage 1 and the final
# LPs still to come (at 2000 products each candidate's LP took 4-13 s, the relaxation 11 s).
HURRY_SOLVES = 6.0
FIX_OPTIMIZE_SHARE = 0.3  # of the time left, for fix-and-optimize (_fixed_and_optimized)
# Fix-and-optimize goes before a single search (no gap asked) on a horizon this long at most.
# On the TTM instances (60 s, two at a time) it took the 15-period ones with long changeovers
# from up to 1.1% above their optimum to within 0.22% (G43-G50), and proved the 12- and
# 24-item ones sooner (G51-G60: 4-47 s against 7-59 s in README's earlier runs); on the
# 30-period 12-item ones HiGHS's search did better without it (G66-G70 ended 0.01-0.16%
# higher with it, run the same way).
FIX_FIRST_MONTHS = 18


class Clock:
    """Seconds left of the caller's time limit (None: no limit), and whether a MIP search
    still has time to pass its root."""

    def __init__(self, limit: float | None, integers: int | None = None) -> None:
        self.limit = limit
        self.started = time.perf_counter()
        self.relaxation_seconds = 0.0  # the first (cold) solve of the LP relaxation
        self.integers = integers  # the model's integer variables, if known

    def saw_relaxation(self, seconds: float) -> None:
        if not self.relaxation_seconds:
            self.relaxation_seconds = seconds

    def room_for_mip(self, share: float = 1.0) -> bool:
        """A MIP search is worth starting only when the time left (until `share` of the
        limit) is MIP_ROOT_FACTOR times the relaxation's cold solve. Measured on the demo:
        at 40 products the relaxation solves in 0.15-0.2 s and the search took 13-28 s
        (70-180 solves) to bring the plan from 1.5% to 0.4-0.9% above the bound; at 400 it
        solves in 0.8-3.8 s and the search found nothing better than the start in 60-190 s
        (the bound from 2.0% to 1.5% below the start, no better plan; it overran its limit by
        70 s, busy where HiGHS checks neither its limit nor its callback). A search that
        cannot get there only spends the time: 150 solves let it start at 400 products on
        a quiet machine."""
        if self.integers is not None and self.integers <= SMALL_MIP:
            # A small MIP's relaxation solves in hundredths of a second, and its wall time is
            # then PuLP's and the machine's: a 3-product test case measured 0.2 s once, under
            # load, and lost the search that makes its plan optimal.
            return True
        return self.room_for(MIP_ROOT_FACTOR, share)

    def room_for(self, solves: float, share: float = 1.0) -> bool:
        """Whether the time left (until `share` of the limit) holds that many cold solves of
        the LP relaxation."""
        left = self.left(share, floor=0.0)
        return left is None or left >= solves * self.relaxation_seconds

    def left(self, share: float = 1.0, floor: float = 1.0) -> float | None:
        """Seconds until `share` of the limit has passed, at least `floor`."""
        if self.limit is None:
            return None
        return max(self.limit * share - (time.perf_counter() - self.started), floor)


def mip_search(
    model: PlanModel, options: SolverOptions, clock: Clock
) -> tuple[SolverRun, float, float, tuple[SolverRun, float] | None]:
    """The MIP search, from cut and rounded relaxations: over service x K + plan, then over
    plan with the service those setups give held; every integer is then fixed at the
    solution. Returns stage 2's run, K, a lower bound on unmet demand's value, and, when the
    start was kept without a search, the final LPs already solved (as stages.lp_stages
    returns them; None: they are still to solve)."""
    problem = model.problem
    substitute_stock(model)  # the same plans in a form HiGHS searches faster (lot_location.py)
    weight = service_weight(model)
    service, plan = model.objectives["service"], model.objectives["plan"]

    def solve_relaxation() -> bool:
        run = run_solver(problem, options, mip=False, time_limit=clock.left())
        clock.saw_relaxation(run.seconds)
        return run.feasible

    def solve_start_lp(limit: float | None) -> bool:
        # The start is the plan written when no search runs or finds one: its LPs are not
        # cut short by the time limit (at 2000 products the cut rounds and two cold solves of
        # the relaxation outlasted the 120 s limit; cut to 1 s, no start was found), only by
        # the rounding's own `limit` on a candidate after the first (lot_start._best).
        run = run_solver(problem, options, mip=False, time_limit=limit)
        if limit is not None:
            return run.proven
        if pending_bound and run.proven:
            # The first is the relaxation, finished past the time limit: the least unmet
            # demand warm from it (2.7 s at 2000 products), then its plan again, to round
            # (its basis given back: no pivot).
            pending_bound.clear()
            objective = problem.objective
            problem.setObjective(service)
            limit = max(clock.left(floor=0.0) or 0.0, STAGE_1_SHARE * clock.relaxation_seconds)
            if relaxation_bound(limit):
                service_bound[0] = float(pulp.value(service) or 0.0)
            problem.setObjective(objective)
            run = run_solver(problem, options, mip=False)
        return run.feasible

    def relaxation_bound(limit: float | None) -> bool:
        # Only an LP optimum bounds the MIP: a point stopped by the time limit does not.
        return run_solver(problem, options, mip=False, time_limit=limit).proven

    problem.setObjective(weight * service + plan)
    add_lot_cover_cuts(
        model,
        solve_relaxation,
        CUT_TIME_SHARE * (clock.limit or MIP_TIME_LIMIT),
        min_gain=CUT_MIN_GAIN * options.mip_gap,
        # The plain forms only: with the buffered ones in its model, stage 2's MIP search
        # took 108 s instead of 17-23 s on the 40-product benchmark (they are stage 2's when no
        # search fits, cost_rounding.py).
        buffered=False,
    )
    # The first search stops at the asked relative gap, or sooner when what is left to gain is
    # nine tenths of the asked share of the relaxation's cost: it only has to find setups that
    # serve well; the cost gap is stage 2's.
    relaxed = solve_relaxation()
    if relaxed:
        mark_basis(problem, RELAXATION_BASIS)  # the cost bound and rounding start from it
    cost = float(pulp.value(plan) or 0.0) if relaxed else 0.0
    gap_abs = max(0.9 * options.mip_gap * abs(cost), 1e-6)
    # What no plan can beat: the relaxation's least unmet demand (the cuts tighten it too);
    # when the time limit stopped the relaxation, once the start's first LP has finished it.
    service_bound = [0.0]
    pending_bound = [bool(service) and not relaxed]
    if service and relaxed:
        problem.setObjective(service)
        if relaxation_bound(clock.left()):
            service_bound[0] = float(pulp.value(service) or 0.0)
    problem.setObjective(weight * service + plan)
    # Short of time, the first candidate rounding that fits is the start: each costs an LP.
    start = relax_and_round(model, solve_start_lp, hurry=lambda: not clock.room_for(HURRY_SOLVES))
    start = start_without_rounding(model, options, clock, start)  # relax-and-fix (relax_fix.py)
    if start is not None and not clock.room_for_mip():
        # Neither search fits in the time left (at 400 products and more): the start is the
        # plan, bounded by one LP relaxation.
        reason = (
            f"MIP search skipped: {clock.left(floor=0.0) or 0:.0f} s left, under "
            f"{MIP_ROOT_FACTOR:g}x the LP relaxation's {clock.relaxation_seconds:.1f} s its "
            "root needs; the start's plan kept"
        )
        kept, final = start_as_plan(model, options, clock, start, reason)
        return kept, weight, service_bound[0], final
    # The start's plan is loaded: how close does it come to the least unmet demand?
    served = start is not None and _serves_nearly_all(
        float(pulp.value(service) or 0.0), service_bound[0]
    )
    if service and not served and clock.room_for_mip(FIRST_SEARCH_SHARE):  # the first search
        first = run_solver(
            problem,
            options,
            mip=True,
            start=start,
            gap_abs=gap_abs,
            time_limit=clock.left(FIRST_SEARCH_SHARE),
        )
        if not first.feasible and start is None:
            require(first, "lot sizes", mip=True)
        if first.feasible:
            start = integer_values(model)
    if service:
        # Hold the most service those setups can give (an LP with them fixed: the search's
        # own incumbent may serve less to save cost); the rounded relaxation is a plan too.
        level = fixed_lp_service(model, options, start or {})
        if start is not None:
            start, service_bound[0], level = _least_unmet(
                model, options, clock, start, service_bound[0], level
            )
        hold_service(model, level)
    # Stage 2: cost with that service held; its bound is a true bound on cost at that service.
    problem.setObjective(plan)
    start, run, lp_bound = _stage_2_start(model, options, clock, start)
    if run is None:
        run = _stage_2_search(model, options, clock, start, lp_bound)
    if service:
        run, start = _serve_what_stage_2_allows(model, options, clock, run, start)
    if lp_bound is not None and (run.bound is None or run.bound < lp_bound):
        run = replace(run, bound=lp_bound)  # the MIP stopped before its root passed the LP's
    if run.feasible:
        fix_integers(model, integer_values(model))
    elif start is None:
        require(run, "lot sizes", mip=True)
    else:
        # The first search's plan meets stage 2's rows: keep its setups if stage 2 found none.
        fix_integers(model, start)
        run = replace(run, reason=f"{run.reason}; the first search's setups kept")
    drop_redundant_rows(model)
    return run, weight, service_bound[0], None


def _least_unmet(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float],
    least: float,
    level: float,
) -> tuple[dict[pulp.LpVariable, float], float, float]:
    """Stage 1 as a MIP: the least unmet demand over the setups, from the start's integers
    (whose plan serving most, at `level`, is loaded), within the first search's share of the
    time and SERVICE_SEARCH_SHARE of the limit. Returns the integers that serve most, the
    highest proven bound on the unmet demand (the relaxation's `least`, or the search's) and
    the level those integers reach.

    The first search weighs unmet demand K times a unit of cost (service_weight), which puts
    a unit lost above a unit below a buffer for the whole horizon; with lot sizes a unit more
    served can take a whole lot from another product's buffer, and there the weighted optimum
    loses a sale to keep the buffer. In random two-product cases (three or four months, lot
    rules, changeovers, MOQs, safety stocks) 11 of 300 plans solved with no gap asked served
    less than the lexicographic optimum (one lost 1.8 units that one lot fewer of another
    product's buffer would have made room for). Searching the unmet demand alone from there
    finds the most service the setups can give; stage 2 then prices it. Skipped when the
    start's level is already proven least, or no MIP search fits. It searches to the least
    (no relative gap), within a capped share: on a 12-product demo company (30 s limit) it once
    took 6 s, and stage 2's rounds then ran out of time (a 24% gap instead of 0.95%); capped
    at 3 s it proved its level the least in 2.8 s, and the plan came within the gap in 13 s.
    """
    problem = model.problem
    service = model.objectives["service"]
    tolerance = SERVICE_TOLERANCE * max(1.0, abs(level))
    # `least` is a bound on stage 1's objective (the shift costs in it); compare like with like
    # as solve.py does: the start's plan is loaded, so its shift cost is known.
    shifts = float(pulp.value(service) or 0.0) - float(pulp.value(held_expression(model)) or 0.0)
    if level + shifts - least <= tolerance or not clock.room_for_mip(FIRST_SEARCH_SHARE):
        return start, least, level
    objective = problem.objective
    problem.setObjective(service)
    limit = clock.left(FIRST_SEARCH_SHARE)
    if limit is not None and clock.limit is not None:
        limit = min(limit, max(SERVICE_SEARCH_SHARE * clock.limit, 1.0))
    # To the least (no relative gap): lost sales are never inside the gap asked of cost.
    exact = replace(options, mip_gap=0.0)
    run = run_solver(problem, exact, mip=True, start=start, gap_abs=tolerance, time_limit=limit)
    problem.setObjective(objective)
    if run.bound is not None:
        least = max(least, run.bound)
    if run.feasible and run.objective is not None and run.objective < level + shifts - tolerance:
        start = integer_values(model)
        level = fixed_lp_service(model, options, start)
    return start, least, level


def _serves_nearly_all(unmet: float, least: float) -> bool:
    """The start's weighted unmet demand within SERVICE_SEARCH_GAP of the relaxation's least
    (a bound no plan beats): the first search is then skipped. At 400 products it spent 30 s
    and never improved on a start 1.7% above the bound; at 40, where the start was 11% above,
    it found a plan 0.5% above."""
    return unmet <= least * (1.0 + SERVICE_SEARCH_GAP) + 1e-6


def _stage_2_start(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float] | None,
) -> tuple[dict[pulp.LpVariable, float] | None, SolverRun | None, float | None]:
    """Stage 2's start, and stage 2's answer without a MIP search when it is proven in the gap.

    The start's shift counts came from an objective that weighs a shift's cost with the unmet
    demand (shifts.py), so it rarely has one; stage 2's relaxation adds shifts where they keep
    buffers (on the 40-product demo the start without them paid 380,000 more in buffer
    penalties). The start with the relaxation's shifts rounded up is tried too, and the cheaper
    is kept.

    The LP relaxation (the (l,S) cuts in it) bounds the cost of every plan serving as much;
    with the start's integers fixed, the LP gives that plan's cost. Within the gap asked of the
    bound, the start is the answer, proven: the MIP would only spend its presolve and root
    (30-40 s at 400 products) to say so. The start's plan is then left loaded. The bound is
    returned too (None unless the LP was solved to optimality): it stays a bound on the cost
    when the MIP stops without one, or when a later round holds more service.
    """
    if start is None:
        return None, None, None
    problem, plan = model.problem, model.objectives["plan"]
    relaxed = run_solver(problem, options, mip=False, time_limit=clock.left())
    if not relaxed.feasible:
        return start, None, None
    bound = float(pulp.value(plan) or 0.0)
    proven_bound = bound if relaxed.proven else None  # only an LP optimum is a bound
    candidates = [start]
    shifts = round_shifts(model)
    if any(start.get(var) != value for var, value in shifts.items()):
        candidates.append({**start, **shifts})
    best: tuple[float, int, SolverRun] | None = None
    for i, values in enumerate(candidates):
        run = fixed_lp(model, options, values, clock.left())
        objective = float(pulp.value(plan) or 0.0)
        if run.feasible and (best is None or objective < best[0]):
            best = (objective, i, run)
    if best is None:
        return start, None, proven_bound
    objective, i, run = best
    values = candidates[i]
    gap = relative_gap(objective, min(bound, objective))
    if not relaxed.proven or not within_gap(gap, options.mip_gap):  # only an LP optimum is a bound
        return values, None, proven_bound
    if i != len(candidates) - 1:  # load the plan found again
        fixed_lp(model, options, values, clock.left())
    reason = f"start within {100 * gap:.3f}% of the LP bound: no MIP search needed"
    seconds = relaxed.seconds + run.seconds
    shortcut = replace(
        run, reason=reason, seconds=seconds, objective=objective, bound=bound, gap=gap
    )
    return values, shortcut, proven_bound


def _stage_2_search(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float] | None,
    lp_bound: float | None,
) -> SolverRun:
    """Stage 2's MIP from the start (in attempts, _search_in_attempts), or, when its root cannot
    finish in the time left (Clock.room_for_mip), the start's plan itself, bounded by the LP
    relaxation."""
    if start is None or clock.room_for_mip():
        return _search_in_attempts(model, options, clock, start, lp_bound)
    run = fixed_lp(model, options, start, None)
    require(run, "lot sizes, the start's plan", mip=False)
    objective = float(pulp.value(model.objectives["plan"]) or 0.0)
    gap = None if lp_bound is None else relative_gap(objective, min(lp_bound, objective))
    reason = (
        f"MIP search skipped: {clock.left() or 0:.0f} s left, under {MIP_ROOT_FACTOR:g}x the "
        f"LP relaxation's {clock.relaxation_seconds:.1f} s its root needs; the start's plan kept"
    )
    return replace(run, reason=reason, objective=objective, bound=lp_bound, gap=gap)


def _fixed_and_optimized(
    model: PlanModel, options: SolverOptions, clock: Clock, start: dict[pulp.LpVariable, float]
) -> tuple[dict[pulp.LpVariable, float], float, bool]:
    """The start improved by fix-and-optimize (fix_optimize.py) in FIX_OPTIMIZE_SHARE of the
    time left, its objective (inf: the start's LP failed, and the start is returned) and
    whether it is cheaper than the start."""
    if not fixed_lp(model, options, start, clock.left()).feasible:
        return start, math.inf, False
    cost = float(pulp.value(model.problem.objective) or 0.0)
    seconds = FIX_OPTIMIZE_SHARE * (clock.left(floor=0.0) or 0.0)
    values, found = fix_and_optimize(model, options, start, cost, seconds)
    return values, found, found < cost


def _search_in_attempts(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    start: dict[pulp.LpVariable, float] | None,
    lp_bound: float | None,
) -> SolverRun:
    """Stage 2's MIP search, started again from its best plan with another random seed when an
    attempt spent its share of the time in its root.

    HiGHS's root heuristics solve sub-MIPs, nested up to 12 deep, and how long they take turns
    on roundoff: on the 40-product demo one model took 12-15 s with five random seeds and 51 s
    with its default one. An attempt gets a third of the time left, the next half of what is
    then left, the last the rest; one stopped at its limit hands the best plan its sub-MIPs
    found to the next, and every attempt's bound holds, so the best plan is measured against
    the highest bound (and the LP's, `lp_bound`). An attempt that left its root has a tree to
    lose, and one far from the gap (over NEAR_GAP times it) needs more than another seed's
    heuristics: the next attempt is then the last. Measured with bench_mip_search.py: the
    `make demo` workbook's search took 36 s instead of 51 s, within the gap either way; the
    demo company's seeds 2 and 3 (last year's sales as demand), "Feasible, not proven" at
    1.11% and 1.01% after 121 s, came within the gap (0.39%, 1.00%) in 90 s; seed 1 stays
    about 4.5% above its bound either way. Without a time limit, with CBC, or asked to prove
    the optimum (no gap: a proof needs the tree an attempt would lose; TTM's G59 took 41 s in
    attempts against 24 s in one search) there is one search.

    Fix-and-optimize (fix_optimize.py) improves the plan the next attempt starts from; before a
    single search with a time limit, it improves the start on horizons of FIX_FIRST_MONTHS at
    most.
    """
    problem = model.problem
    searches = options.solver == "highs" and clock.limit is not None and options.mip_gap > 0
    attempts = SEARCH_ATTEMPTS if searches else 1
    bound = -math.inf if lp_bound is None else lp_bound
    best: tuple[float, SolverRun, dict[pulp.LpVariable, float]] | None = None
    runs: list[SolverRun] = []
    improved = 0  # plans fix-and-optimize made cheaper
    short = len(model.data.months) <= FIX_FIRST_MONTHS
    if attempts == 1 and start is not None and clock.limit is not None and short:
        start, _, better = _fixed_and_optimized(model, options, clock, start)
        improved += better
    while len(runs) < attempts:
        left = clock.left()
        limit = None if left is None else left / (attempts - len(runs))
        seed = len(runs) or None  # the first with HiGHS's default seed
        run = run_solver(problem, options, mip=True, start=start, time_limit=limit, seed=seed)
        runs.append(run)
        bound = max(bound, -math.inf if run.bound is None else run.bound)
        found = math.inf if run.objective is None or not run.feasible else run.objective
        if found < (math.inf if best is None else best[0]):
            best = (found, run, integer_values(model))
            start = best[2]
        if run.proven or run.reason not in STOPPED_BY_LIMIT:
            break
        gap = math.inf if best is None else relative_gap(best[0], min(bound, best[0]))
        if gap <= options.mip_gap:
            break
        if (run.nodes or 0) > 1 or gap > NEAR_GAP * options.mip_gap:
            attempts = min(attempts, len(runs) + 1)  # the next is the last: it gets the rest
        if best is not None and len(runs) < attempts:  # the next starts from the best, improved
            values, cost, better = _fixed_and_optimized(model, options, clock, best[2])
            if better and cost < best[0]:
                best = (cost, replace(run, objective=cost), values)
                improved += 1
            start = best[2]
    seconds = sum(run.seconds for run in runs)
    if best is None:
        return replace(runs[-1], seconds=seconds)
    objective, run, values = best
    if run is not runs[-1]:
        fixed_lp(model, options, values, None)  # the best plan loaded again
    reason = run.reason
    if len(runs) > 1:
        reason += f" ({len(runs)} searches, each from the best plan with its own random seed)"
    if improved:
        reason += f"; fix-and-optimize made {improved} of its starts cheaper"
    if bound == -math.inf:
        return replace(run, seconds=seconds, reason=reason)
    gap = relative_gap(objective, min(bound, objective))
    return replace(run, seconds=seconds, reason=reason, bound=bound, gap=gap)


def _serve_what_stage_2_allows(
    model: PlanModel,
    options: SolverOptions,
    clock: Clock,
    run: SolverRun,
    start: dict[pulp.LpVariable, float] | None,
) -> tuple[SolverRun, dict[pulp.LpVariable, float] | None]:
    """Stage 2 again while its integers let the plan serve more than the level held.

    Stage 2 may change setups and shifts (a shift bought instead of overtime, shifts.py) and
    so make room to serve demand sooner; the final LPs then serve it, at a cost (buffers) the
    stage-2 bound did not cover. Holding the new level and searching again from those
    integers (a plan meeting it) keeps the bound about the plan written."""
    for _ in range(RESEARCH_ROUNDS):
        if not run.feasible:
            break
        values = integer_values(model)
        # Against the level asked, not the plan's own: a level held looser (stages.solve_held)
        # lets the plan's sit up to a millionth above it, and the LP's least is the level.
        held = min(float(pulp.value(held_expression(model)) or 0.0), model.held_level)
        found = fixed_lp_service(model, options, values)
        if found >= held - 1e-8 * max(1.0, abs(held)):
            break
        hold_service(model, found)
        model.problem.setObjective(model.objectives["plan"])
        start, shortcut, bound = _stage_2_start(model, options, clock, values)
        run = shortcut or _stage_2_search(model, options, clock, start, bound)
    return run, start
