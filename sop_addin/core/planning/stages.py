"""The lexicographic stages on one PuLP problem: a level of unmet demand held, both stages
solved as LPs, the unmet demand a set of fixed integers reaches, and the shadow prices.

Stage 1 minimises the weighted unmet demand ("service"), stage 2 the buffers and cost ("plan")
with stage 1's level held by one row (SERVICE_ROW). solve.py runs them for an LP; mip_search.py
holds the level a MIP's setups reach and fixes its integers before they run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.lot_location import drop_lot_location_rows
from sop_addin.core.planning.lot_start import INTEGER_KINDS
from sop_addin.core.planning.solvers import (
    SolverError,
    SolverOptions,
    SolverRun,
    forget_warm,
    has_warm_lp,
    run_solver,
)

SERVICE_ROW = "service_level"  # PuLP turns "-" in a name into "_"
# Bases set aside for later LPs (solvers.mark_basis): the LP relaxation's, over service x K +
# plan, and the cost relaxation's, over plan with a level held (cost_rounding.py).
RELAXATION_BASIS, COST_BASIS = "relaxation", "cost relaxation"
MAX_SERVICE_WEIGHT = 1e4
HOLD_LOOSER = 1e-6  # relative: how much looser a held level that the LP cannot reach is held


def require(run: SolverRun, what: str, mip: bool) -> None:
    if run.feasible:
        return
    msg = f"the solver {run.name} found no proven-feasible plan ({what}: {run.reason}); no plan "
    msg += "was written"
    if mip:
        msg += ": raise --time-limit or --gap, or plan with --lp (lot rules relaxed)"
    raise SolverError(msg)


def held_expression(model: PlanModel) -> pulp.LpAffineExpression:
    """What stage 2 holds at stage 1's value: the weighted unmet demand, without the cost of
    the shifts stage 1 weighed against it (shifts.py)."""
    return model.objectives.get("held", model.objectives["service"])


def service_weight(model: PlanModel) -> float:
    """How much the MIP's one objective multiplies unmet demand by: enough that a unit of
    the least valued demand outweighs a unit below the dearest buffer, itself weighted above
    making a unit on any routing, overtime included (data.py); capped at 1e4 so the cost
    part keeps its precision."""
    weights = [w for w in held_expression(model).values() if w > 0]
    buffer = model.data.products["safety_penalty"]
    if not weights or buffer.empty:
        return 1.0
    # A unit served from the buffer may leave it short for every month after.
    months = len(model.data.months)
    needed = months * float(buffer.max()) / min(weights)
    return float(min(max(1.0, needed), MAX_SERVICE_WEIGHT))


def hold_service(model: PlanModel, level: float) -> None:
    """Stage 2's row: weighted unmet demand at most stage 1's value (plus a tolerance)."""
    release_service(model)
    model.held_level = level
    # Roundoff room only: stage 2 spends all of it on buffers and cost, so it must stay below
    # what serving a unit a month sooner weighs (build.SOONER x a unit's weight, ~1e-5).
    slack = 1e-7 + 1e-12 * abs(level)
    if model.loose_hold:  # solve_held found the level out of the LP's reach once
        slack += HOLD_LOOSER * max(1.0, abs(level))
    model.problem.addConstraint(held_expression(model) <= level + slack, SERVICE_ROW)


def solve_held(model: PlanModel, solve: Callable[[], SolverRun]) -> SolverRun:
    """Solve; when that fails with a level of unmet demand held, hold it a millionth looser
    and solve again (once).

    The level, held to roundoff, can be out of reach of the solver's own tolerances (hours
    near zero, 1e-9 working days; at 400 products HiGHS ended "Unknown" with 4 rows 235 units
    infeasible, cold or warm, at 1e-9 and 1e-7 looser, and solved it at 1e-6). A model that
    needed it once holds every later level that much looser (PlanModel.loose_hold): each
    failed solve cost 4-8 s there."""
    run = solve()
    row = rows_of(model.problem).get(SERVICE_ROW)
    if run.feasible or row is None or model.loose_hold:
        return run
    model.loose_hold = True
    hold_service(model, model.held_level)  # the same level, now with the looser slack
    # Cold: warm from where the failed solve stopped took 17 s at 400 products, cold 4-5 s.
    forget_warm(model.problem)
    second = solve()
    return replace(second, seconds=run.seconds + second.seconds)


def rows_of(problem: pulp.LpProblem) -> dict[str, pulp.LpConstraint]:
    # PuLP 3.3 deprecates the dict view of problem.constraints; its own adapters read this.
    return problem._constraints


def release_service(model: PlanModel) -> None:
    rows_of(model.problem).pop(SERVICE_ROW, None)


def integer_values(model: PlanModel) -> dict[pulp.LpVariable, float]:
    return {
        var: float(round(var.varValue or 0.0))
        for kind in INTEGER_KINDS
        for var in model.variables.get(kind, {}).values()
    }


def fix_integers(model: PlanModel, values: dict[pulp.LpVariable, float]) -> None:
    """Fix every setup, lot count and order binary, making the model an LP."""
    for var, value in values.items():
        var.cat = pulp.LpContinuous
        var.lowBound = var.upBound = value


def fix_integers_then(
    model: PlanModel, values: dict[pulp.LpVariable, float] | None, action: Callable[[], None]
) -> None:
    """Run action with the integers fixed at values, then give them their bounds back."""
    saved = {var: (var.lowBound, var.upBound) for var in (values or {})}
    try:
        for var, value in (values or {}).items():
            var.lowBound = var.upBound = value
        action()
    finally:
        for var, (low, high) in saved.items():
            var.lowBound, var.upBound = low, high


def fixed_lp(
    model: PlanModel,
    options: SolverOptions,
    values: dict[pulp.LpVariable, float],
    time_limit: float | None,
) -> SolverRun:
    """The LP with the integers fixed at values (their bounds given back after; the
    solution stays loaded)."""
    runs: list[SolverRun] = []

    def solve() -> SolverRun:
        return run_solver(model.problem, options, mip=False, time_limit=time_limit)

    fix_integers_then(model, values, lambda: runs.append(solve_held(model, solve)))
    return runs[0]


def lp_service(model: PlanModel, options: SolverOptions) -> float:
    """The least unmet demand's value with the integers as they are bound now (an LP): the
    held part of stage 1's objective (without the shift cost, constant with shifts fixed).
    Not capped by the time limit: the level held must be one a plan reaches."""
    model.problem.setObjective(model.objectives["service"])
    run = run_solver(model.problem, options, mip=False)
    require(run, "serving demand, LP", mip=False)
    return float(pulp.value(held_expression(model)) or 0.0)


def fixed_lp_service(
    model: PlanModel, options: SolverOptions, values: dict[pulp.LpVariable, float]
) -> float:
    """lp_service with the integers fixed at values (their bounds given back after)."""
    found: list[float] = []
    fix_integers_then(model, values, lambda: found.append(lp_service(model, options)))
    return found[0]


@dataclass(frozen=True)
class LevelBound:
    """A cost bound proven with a level of unmet demand held, and that row's shadow price.

    The least cost is convex in the level held, and the bound LP's duals stay feasible when
    only that level moves, so every plan serving more (a lower level) costs at least
    value + price x (level - lower) (weak duality): a bound at a new level without solving
    the LP again (at 400 products that LP took 8 s, from any basis or cold)."""

    value: float
    level: float  # the held row's right-hand side
    price: float  # cost per unit of weighted unmet demand served more (>= 0)

    def at(self, level: float) -> float:
        """The bound for every plan whose held row's right-hand side is `level`."""
        if not self.price:  # also with no level held (inf), where 0 x inf is no number
            return self.value
        return self.value + self.price * max(0.0, self.level - level)


def held_rhs(model: PlanModel) -> float:
    """The held row's right-hand side (the level plus its roundoff room); inf when none."""
    row = rows_of(model.problem).get(SERVICE_ROW)
    return math.inf if row is None else float(row.getUb())


def level_bound(model: PlanModel) -> LevelBound:
    """The LP just solved over the plan's cost with a level held, as a LevelBound (no row
    held: no price, no level)."""
    row = rows_of(model.problem).get(SERVICE_ROW)
    price = 0.0 if row is None else max(0.0, -float(row.pi or 0.0))  # <= row of a min: pi <= 0
    value = float(pulp.value(model.objectives["plan"]) or 0.0)
    return LevelBound(value, held_rhs(model), price)


def duals(problem: pulp.LpProblem) -> dict[str, float]:
    return {name: float(c.pi or 0.0) for name, c in rows_of(problem).items()}


def add_duals(model: PlanModel, first: dict[str, float]) -> None:
    """Shadow prices in the objective's order: a row that limits serving demand is priced by
    stage 1's dual (the lost-sales value one more unit of it serves); any other row by stage
    2's (the buffer penalty and cost it saves)."""
    model.service_priced.clear()
    for name, constraint in rows_of(model.problem).items():
        served = first.get(name, 0.0)
        if abs(served) > 1e-9:
            constraint.pi = served
            model.service_priced.add(name)


def lp_stages(
    model: PlanModel, options: SolverOptions, fresh: bool = False
) -> tuple[SolverRun, float]:
    """Both stages as LPs (integrality ignored); stage 2's solution and summed duals stay.

    After a MILP search these are the LPs the plan is written from: the caller's time limit
    (an LP's own, without lot rules) is the only one, since a plan stopped half-way is none.
    With `fresh` they start in a new HiGHS model, as the LP path does: after the search, with
    the integers fixed and the lot rows dropped, the weighted whole presolves and solves cold
    in 0.4 s at 400 products and stage 1 follows warm in 0.2 s, where stage 1 warm from the
    search's model took 19-27 s (at 2000 products, more than 13 minutes).
    """
    if fresh:
        forget_warm(model.problem)
    first: dict[str, float] = {}
    level, seconds = 0.0, 0.0
    if model.objectives["service"]:
        release_service(model)
        if options.solver == "highs" and not has_warm_lp(model.problem):
            # Cold, the unmet demand alone is a degenerate LP for the dual simplex (18 s at
            # 400 products); the weighted whole solves cold in 1-2 s, and stage 1 then re-solves
            # warm from its basis (solvers.HiGHSBulk) in a fraction of a second.
            model.problem.setObjective(weighted_whole(model))
            seconds += run_solver(model.problem, options, mip=False).seconds
        run, level, first = stage_1(model, options)
        seconds += run.seconds
        hold_service(model, level)
    run = stage_2(model, options, model.objectives["plan"])
    add_duals(model, first)
    return replace(run, seconds=seconds + run.seconds), level


def weighted_whole(model: PlanModel) -> pulp.LpAffineExpression:
    """Service x K + plan (service_weight): one objective that serves demand first."""
    return service_weight(model) * model.objectives["service"] + model.objectives["plan"]


def stage_1(model: PlanModel, options: SolverOptions) -> tuple[SolverRun, float, dict[str, float]]:
    """The least unmet demand (an LP, no level held): the run, the level to hold and the
    rows' duals (the prices of the rows that limit serving demand)."""
    model.problem.setObjective(model.objectives["service"])
    run = run_solver(model.problem, options, mip=False)
    require(run, "serving demand, LP", mip=False)
    return run, float(pulp.value(held_expression(model)) or 0.0), duals(model.problem)


def stage_2(
    model: PlanModel,
    options: SolverOptions,
    objective: pulp.LpAffineExpression,
    mark: str | None = None,
) -> SolverRun:
    """Buffers and cost with stage 1's level held (an LP), over `objective`, from the basis
    set aside under `mark` if any (solvers.mark_basis); the problem's objective is the plan's
    after."""
    problem = model.problem
    problem.setObjective(objective)
    # From stage 1's basis, which meets the level held (solvers.run_solver's `follow`).
    run = solve_held(
        model, lambda: run_solver(problem, options, mip=False, follow=True, from_mark=mark)
    )
    problem.setObjective(model.objectives["plan"])
    require(run, "buffers and cost, LP", mip=False)
    return run


def drop_redundant_rows(model: PlanModel) -> None:
    """With every integer fixed, the cuts and the caps of open runs only repeat what capacity
    and demand already bound; dropped, they cannot take the shadow price that explains a
    shortfall from the capacity row that causes it. A closed run's row stays: its price is
    what the lot rule costs."""
    rows = rows_of(model.problem)
    setup = model.variables["setup"]
    for kind in ("Lot-cover", "Lot-setup"):
        kept = {}
        for key, row in model.constraints.get(kind, {}).items():
            closed = kind == "Lot-setup" and key in setup and setup[key].upBound == 0
            if closed:
                kept[key] = row
            else:
                rows.pop(row.name, None)
        if kind in model.constraints:
            model.constraints[kind] = kept
    drop_lot_location_rows(model)
