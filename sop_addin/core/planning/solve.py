"""Solve the plan model demand first, then buffers and cost, and collect the Supply tables.

The solve is lexicographic over the model's objective parts (build.py):

1. "service": minimise the weighted unmet demand (margin x priority per unit lost or late).
2. "plan": with the service held at that value (plus the solvers' roundoff, 1e-7), minimise
   buffer shortfall, weighted above any cost of making a unit, and then cost.

An LP (no lot rules, or --lp) is solved exactly so, as two LPs. A MILP (lot rules or
changeovers) is tightened by (l,S) cuts (lot_cuts.py), started from its relaxation rounded into
a feasible plan (lot_start.py), and searched in two steps: first over service x K + cost, with
K large enough that a unit of the least valued demand outweighs the dearest buffer over the
horizon (capped at 1e4), for at most half the time limit; then, with the most service those
setups can give held (an LP), over cost alone, for the rest of the time and to the gap asked.
Every setup, lot count and order is then fixed and the two stages are solved as LPs: that plan
(never worse than the MIP's) is the plan written. Two gaps are reported apart, so lost sales
are never inside the cost gap: the cost gap is stage 2's (its bound holds for every plan that
serves as much), and the unmet-demand gap is the value of unmet demand less the relaxation's
least (a bound no plan beats; a MILP seldom proves it zero).

Shadow prices are the final LPs' duals: for a row that limits serving demand, stage 1's (the
lost-sales value one more unit of it would serve: margin x priority weight + 1 a unit); for any
other row, stage 2's (the buffer penalty and cost one more unit saves).

A run that ends without a solution the solver proved feasible raises SolverError: nothing is
written. The status says "Optimal" only for a proven optimum.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.explain import bottlenecks, constraint_price, shortfalls, slack_report
from sop_addin.core.planning.lot_cuts import add_lot_cover_cuts
from sop_addin.core.planning.lot_start import INTEGER_KINDS, relax_and_round
from sop_addin.core.planning.second_sources import second_source_purchases
from sop_addin.core.planning.shifts import round_shifts, shift_columns
from sop_addin.core.planning.sites import transfer_plan
from sop_addin.core.planning.solvers import (
    DEFAULT_SOLVER,
    MIP_TIME_LIMIT,
    PROVEN_OPTIMAL_GAP,
    SOLVERS,
    SolverError,
    SolverOptions,
    SolverRun,
    package_version,
    relative_gap,
    run_solver,
)
from sop_addin.core.planning.stock_noise import ship_kept_stock
from sop_addin.core.planning.substitutes import substitutions, with_substitute_notes
from sop_addin.core.planning.tables import (
    capacity_use,
    product_balance,
    production_plan,
    purchase_plan,
)
from sop_addin.core.planning.whole_units import WholeUnits, round_to_whole_units

__all__ = [
    "DEFAULT_SOLVER",
    "SOLVERS",
    "PlanResult",
    "SolveReport",
    "SolverError",
    "SolverOptions",
    "solve_model",
    "solve_plan",
]

MAX_SERVICE_WEIGHT = 1e4
RESEARCH_ROUNDS = 3  # stage 2 again when its integers let the plan serve more
FIRST_SEARCH_SHARE = 0.5  # of the time limit, for the search over weighted service + cost
SERVICE_SEARCH_GAP = 0.02  # that search runs when the start's unmet demand is further above
CUT_TIME_SHARE = 0.1  # of the time limit, for rounds of (l,S) cuts
CUT_MIN_GAIN = 0.01  # of the gap asked: a cut round raising the bound less ends the rounds
SERVICE_ROW = "service_level"  # PuLP turns "-" in a name into "_"
STATUS_OPTIMAL = "Optimal"
STATUS_WITHIN_GAP = "Within the gap"
STATUS_NOT_PROVEN = "Feasible, not proven"


@dataclass(frozen=True)
class SolveReport:
    """How the solve ended: always reported, whatever it was.

    Attributes:
        solver: the solver and its version.
        status: "Optimal" (proven), "Within the gap" (proven within the gaps asked) or
            "Feasible, not proven" (stopped at the time limit with a feasible plan).
        solution: the same in a sentence, with the gaps.
        stop_reason: the solver's own words for how the last MIP (or LP) stage stopped.
        objective: the written plan's buffer-shortfall penalty plus cost.
        service: the written plan's weighted unmet demand (stage 1's objective).
        mip: whether lot rules made it a MILP.
        mip_objective: stage 2's MIP objective (buffers and cost), before the LP re-solve.
        mip_gap: stage 2's relative gap on buffers and cost.
        best_bound: stage 2's best bound.
        service_gap: stage 1's absolute gap on weighted unmet demand (MILP only).
        duals_from: which LPs the shadow prices come from.
        seconds: solver time.
        whole_units: what rounding the plan to whole packs did and cost (None: not rounded).
    """

    solver: str
    status: str
    solution: str
    stop_reason: str
    objective: float
    mip: bool
    mip_objective: float | None
    mip_gap: float | None
    best_bound: float | None
    duals_from: str
    seconds: float
    service: float = 0.0
    service_gap: float | None = None
    whole_units: WholeUnits | None = None


@dataclass(frozen=True)
class PlanResult:
    """The supply plan and how it was obtained."""

    production: pd.DataFrame
    balance: pd.DataFrame
    purchases: pd.DataFrame
    capacity: pd.DataFrame
    status: str
    objective: float
    solver: str
    solver_version: str
    build_seconds: float
    solve_seconds: float
    variables: int
    constraints: int
    report: SolveReport | None = None
    safety_stock: pd.DataFrame = field(default_factory=pd.DataFrame)
    shortfalls: pd.DataFrame = field(default_factory=pd.DataFrame)
    bottlenecks: pd.DataFrame = field(default_factory=pd.DataFrame)
    slacks: pd.DataFrame = field(default_factory=pd.DataFrame)
    solver_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    integer_variables: int = 0
    substitutions: pd.DataFrame = field(default_factory=pd.DataFrame)
    transfers: pd.DataFrame = field(default_factory=pd.DataFrame)


class _Clock:
    """Seconds left of the caller's time limit (None: no limit)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.started = time.perf_counter()

    def left(self, share: float = 1.0, floor: float = 1.0) -> float | None:
        """Seconds until `share` of the limit has passed, at least `floor`."""
        if self.limit is None:
            return None
        return max(self.limit * share - (time.perf_counter() - self.started), floor)


def _require(run: SolverRun, what: str, mip: bool) -> None:
    if run.feasible:
        return
    msg = f"the solver {run.name} found no proven-feasible plan ({what}: {run.reason}); no plan "
    msg += "was written"
    if mip:
        msg += ": raise --time-limit or --gap, or plan with --lp (lot rules relaxed)"
    raise SolverError(msg)


def _held(model: PlanModel) -> pulp.LpAffineExpression:
    """What stage 2 holds at stage 1's value: the weighted unmet demand, without the cost of
    the shifts stage 1 weighed against it (shifts.py)."""
    return model.objectives.get("held", model.objectives["service"])


def _hold_service(model: PlanModel, level: float) -> None:
    """Stage 2's row: weighted unmet demand at most stage 1's value (plus a tolerance)."""
    _release_service(model)
    # Roundoff room only: stage 2 spends all of it on buffers and cost, so it must stay below
    # what serving a unit a month sooner weighs (build.SOONER x a unit's weight, ~1e-5).
    slack = 1e-7 + 1e-12 * abs(level)
    model.problem.addConstraint(_held(model) <= level + slack, SERVICE_ROW)


def _rows(problem: pulp.LpProblem) -> dict[str, pulp.LpConstraint]:
    # PuLP 3.3 deprecates the dict view of problem.constraints; its own adapters read this.
    return problem._constraints


def _release_service(model: PlanModel) -> None:
    _rows(model.problem).pop(SERVICE_ROW, None)


def _integer_values(model: PlanModel) -> dict[pulp.LpVariable, float]:
    return {
        var: float(round(var.varValue or 0.0))
        for kind in INTEGER_KINDS
        for var in model.variables.get(kind, {}).values()
    }


def _fix_integers(model: PlanModel, values: dict[pulp.LpVariable, float]) -> None:
    """Fix every setup, lot count and order binary, making the model an LP."""
    for var, value in values.items():
        var.cat = pulp.LpContinuous
        var.lowBound = var.upBound = value


def _drop_redundant_rows(model: PlanModel) -> None:
    """With every integer fixed, the cuts and the caps of open runs only repeat what capacity
    and demand already bound; dropped, they cannot take the shadow price that explains a
    shortfall from the capacity row that causes it. A closed run's row stays: its price is
    what the lot rule costs."""
    rows = _rows(model.problem)
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


def _duals(problem: pulp.LpProblem) -> dict[str, float]:
    return {name: float(c.pi or 0.0) for name, c in _rows(problem).items()}


def _add_duals(model: PlanModel, first: dict[str, float]) -> None:
    """Shadow prices in the objective's order: a row that limits serving demand is priced by
    stage 1's dual (the lost-sales value one more unit of it serves); any other row by stage
    2's (the buffer penalty and cost it saves)."""
    model.service_priced.clear()
    for name, constraint in _rows(model.problem).items():
        served = first.get(name, 0.0)
        if abs(served) > 1e-9:
            constraint.pi = served
            model.service_priced.add(name)


def _lp_stages(model: PlanModel, options: SolverOptions) -> tuple[SolverRun, float]:
    """Both stages as LPs (integrality ignored); stage 2's solution and summed duals stay.

    After a MILP search these are the LPs the plan is written from: the caller's time limit
    (an LP's own, without lot rules) is the only one, since a plan stopped half-way is none.
    """
    problem = model.problem
    has_service = bool(model.objectives["service"])
    first: dict[str, float] = {}
    level = 0.0
    seconds = 0.0
    if has_service:
        _release_service(model)
        problem.setObjective(model.objectives["service"])
        run = run_solver(problem, options, mip=False)
        seconds += run.seconds
        _require(run, "serving demand, LP", mip=False)
        level = float(pulp.value(_held(model)) or 0.0)
        first = _duals(problem)
        _hold_service(model, level)
    problem.setObjective(model.objectives["plan"])
    run = run_solver(problem, options, mip=False)
    seconds += run.seconds
    if not run.feasible and has_service:
        # Stage 1's level, held to roundoff, can be out of reach of the solver's own
        # tolerances (e.g. hours near zero, 1e-9 working days): hold it a millionth looser.
        _hold_service(model, level + 1e-6 * max(1.0, abs(level)))
        run = run_solver(problem, options, mip=False)
        seconds += run.seconds
    _require(run, "buffers and cost, LP", mip=False)
    _add_duals(model, first)
    return replace(run, seconds=seconds), level


def service_weight(model: PlanModel) -> float:
    """How much the MIP's one objective multiplies unmet demand by: enough that a unit of
    the least valued demand outweighs a unit below the dearest buffer, itself weighted above
    making a unit on any routing, overtime included (data.py); capped at 1e4 so the cost
    part keeps its precision."""
    weights = [w for w in _held(model).values() if w > 0]
    buffer = model.data.products["safety_penalty"]
    if not weights or buffer.empty:
        return 1.0
    # A unit served from the buffer may leave it short for every month after.
    months = len(model.data.months)
    needed = months * float(buffer.max()) / min(weights)
    return float(min(max(1.0, needed), MAX_SERVICE_WEIGHT))


def _mip_search(
    model: PlanModel, options: SolverOptions, clock: _Clock
) -> tuple[SolverRun, float, float]:
    """The MIP search, from cut and rounded relaxations: over service x K + plan, then over
    plan with the service those setups give held; every integer is then fixed at the
    solution. Returns stage 2's run, K and a lower bound on unmet demand's value."""
    problem = model.problem
    weight = service_weight(model)
    service, plan = model.objectives["service"], model.objectives["plan"]

    def solve_relaxation() -> bool:
        return run_solver(problem, options, mip=False, time_limit=clock.left()).feasible

    def relaxation_bound() -> bool:
        # Only an LP optimum bounds the MIP: a point stopped by the time limit does not.
        return run_solver(problem, options, mip=False, time_limit=clock.left()).proven

    problem.setObjective(weight * service + plan)
    add_lot_cover_cuts(
        model,
        solve_relaxation,
        CUT_TIME_SHARE * (clock.limit or MIP_TIME_LIMIT),
        min_gain=CUT_MIN_GAIN * options.mip_gap,
    )
    # The first search stops at the asked relative gap, or sooner when what is left to gain is
    # nine tenths of the asked share of the relaxation's cost: it only has to find setups that
    # serve well; the cost gap is stage 2's.
    cost = float(pulp.value(plan) or 0.0) if solve_relaxation() else 0.0
    gap_abs = max(0.9 * options.mip_gap * abs(cost), 1e-6)
    # What no plan can beat: the relaxation's least unmet demand (the cuts tighten it too).
    service_bound = 0.0
    if service:
        problem.setObjective(service)
        if relaxation_bound():
            service_bound = float(pulp.value(service) or 0.0)
    problem.setObjective(weight * service + plan)
    start = relax_and_round(model, solve_relaxation)
    # The start's plan is loaded: how close does it come to the least unmet demand?
    served = start is not None and _serves_nearly_all(
        float(pulp.value(service) or 0.0), service_bound
    )
    if service and not served:  # the first search
        first = run_solver(
            problem,
            options,
            mip=True,
            start=start,
            gap_abs=gap_abs,
            time_limit=clock.left(FIRST_SEARCH_SHARE),
        )
        if not first.feasible and start is None:
            _require(first, "lot sizes", mip=True)
        if first.feasible:
            start = _integer_values(model)
    if service:
        # Hold the most service those setups can give (an LP with them fixed: the search's
        # own incumbent may serve less to save cost); the rounded relaxation is a plan too.
        level: list[float] = []
        _fix_integers_then(model, start, lambda: level.append(_lp_service(model, options)))
        _hold_service(model, level[0])
    # Stage 2: cost with that service held; its bound is a true bound on cost at that service.
    problem.setObjective(plan)
    start, run = _stage_2_start(model, options, clock, start)
    if run is None:
        run = run_solver(problem, options, mip=True, start=start, time_limit=clock.left())
    if service:
        run, start = _serve_what_stage_2_allows(model, options, clock, run, start)
    if run.feasible:
        _fix_integers(model, _integer_values(model))
    elif start is None:
        _require(run, "lot sizes", mip=True)
    else:
        # The first search's plan meets stage 2's rows: keep its setups if stage 2 found none.
        _fix_integers(model, start)
        run = replace(run, reason=f"{run.reason}; the first search's setups kept")
    _drop_redundant_rows(model)
    return run, weight, service_bound


def _serves_nearly_all(unmet: float, least: float) -> bool:
    """The start's weighted unmet demand within SERVICE_SEARCH_GAP of the relaxation's least
    (a bound no plan beats): the first search is then skipped. At 400 products it spent 30 s
    and never improved on a start 1.7% above the bound; at 40, where the start was 11% above,
    it found a plan 0.5% above."""
    return unmet <= least * (1.0 + SERVICE_SEARCH_GAP) + 1e-6


def _stage_2_start(
    model: PlanModel,
    options: SolverOptions,
    clock: _Clock,
    start: dict[pulp.LpVariable, float] | None,
) -> tuple[dict[pulp.LpVariable, float] | None, SolverRun | None]:
    """Stage 2's start, and stage 2's answer without a MIP search when it is proven in the gap.

    The start's shift counts came from an objective that weighs a shift's cost with the unmet
    demand (shifts.py), so it rarely has one; stage 2's relaxation adds shifts where they keep
    buffers (on the 40-product demo the start without them paid 380,000 more in buffer
    penalties). The start with the relaxation's shifts rounded up is tried too, and the cheaper
    is kept.

    The LP relaxation (the (l,S) cuts in it) bounds the cost of every plan serving as much;
    with the start's integers fixed, the LP gives that plan's cost. Within the gap asked of the
    bound, the start is the answer, proven: the MIP would only spend its presolve and root
    (30-40 s at 400 products) to say so. The start's plan is then left loaded.
    """
    if start is None:
        return None, None
    problem, plan = model.problem, model.objectives["plan"]
    relaxed = run_solver(problem, options, mip=False, time_limit=clock.left())
    if not relaxed.feasible:
        return start, None
    bound = float(pulp.value(plan) or 0.0)
    candidates = [start]
    shifts = round_shifts(model)
    if any(start.get(var) != value for var, value in shifts.items()):
        candidates.append({**start, **shifts})
    best: tuple[float, int, SolverRun] | None = None
    for i, values in enumerate(candidates):
        run = _fixed_lp(model, options, values, clock.left())
        objective = float(pulp.value(plan) or 0.0)
        if run.feasible and (best is None or objective < best[0]):
            best = (objective, i, run)
    if best is None:
        return start, None
    objective, i, run = best
    values = candidates[i]
    gap = relative_gap(objective, min(bound, objective))
    if not relaxed.proven or gap > options.mip_gap + 1e-9:  # only an LP optimum is a bound
        return values, None
    if i != len(candidates) - 1:  # load the plan found again
        _fixed_lp(model, options, values, clock.left())
    reason = f"start within {100 * gap:.3f}% of the LP bound: no MIP search needed"
    seconds = relaxed.seconds + run.seconds
    shortcut = replace(
        run, reason=reason, seconds=seconds, objective=objective, bound=bound, gap=gap
    )
    return values, shortcut


def _serve_what_stage_2_allows(
    model: PlanModel,
    options: SolverOptions,
    clock: _Clock,
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
        values = _integer_values(model)
        held = float(pulp.value(_held(model)) or 0.0)
        found = _fixed_lp_service(model, options, values)
        if found >= held - 1e-8 * max(1.0, abs(held)):
            break
        _hold_service(model, found)
        model.problem.setObjective(model.objectives["plan"])
        start, shortcut = _stage_2_start(model, options, clock, values)
        run = shortcut or run_solver(
            model.problem, options, mip=True, start=start, time_limit=clock.left()
        )
    return run, start


def _fixed_lp(
    model: PlanModel,
    options: SolverOptions,
    values: dict[pulp.LpVariable, float],
    time_limit: float | None,
) -> SolverRun:
    """The LP with the integers fixed at values (their bounds given back after; the
    solution stays loaded)."""
    runs: list[SolverRun] = []
    _fix_integers_then(
        model,
        values,
        lambda: runs.append(run_solver(model.problem, options, mip=False, time_limit=time_limit)),
    )
    return runs[0]


def _fixed_lp_service(
    model: PlanModel, options: SolverOptions, values: dict[pulp.LpVariable, float]
) -> float:
    """_lp_service with the integers fixed at values (their bounds given back after)."""
    found: list[float] = []
    _fix_integers_then(model, values, lambda: found.append(_lp_service(model, options)))
    return found[0]


def _lp_service(model: PlanModel, options: SolverOptions) -> float:
    """The least unmet demand's value with the integers as they are bound now (an LP): the
    held part of stage 1's objective (without the shift cost, constant with shifts fixed).
    Not capped by the time limit: the level held must be one a plan reaches."""
    model.problem.setObjective(model.objectives["service"])
    run = run_solver(model.problem, options, mip=False)
    _require(run, "serving demand, LP", mip=False)
    return float(pulp.value(_held(model)) or 0.0)


def _fix_integers_then(
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


def _status(proven: bool, gaps: list[float | None]) -> tuple[str, str]:
    """Optimal only for a proof: an LP's optimum, or a MIP proven with no gap left."""
    if proven:
        if all((g or 0.0) <= PROVEN_OPTIMAL_GAP for g in gaps):
            return STATUS_OPTIMAL, "Optimal Solution Found"
        return STATUS_WITHIN_GAP, "Optimal within the gap asked (proven)"
    return STATUS_NOT_PROVEN, "Feasible plan, stopped before the gap was proven"


def solve_model(model: PlanModel, options: SolverOptions) -> SolveReport:
    """Solve the model demand first, then buffers and cost (see the module docstring)."""
    mip = model.is_mip
    search = None
    duals_from = "LP relaxation of the lot rules" if model.relax_lots else "LP"
    if mip:
        clock = _Clock(options.time_limit if options.time_limit is not None else MIP_TIME_LIMIT)
        search = _mip_search(model, options, clock)
        duals_from = "LPs with setups and lot counts fixed at the MIP solution"
    final, service = _lp_stages(model, options)
    objective = float(pulp.value(model.objectives["plan"]) or 0.0)
    if search is None:
        status, solution = _status(final.proven, [])
        mip_objective = gap = bound = service_gap = None
        reason, seconds = final.reason, final.seconds
    else:
        run, _weight, service_bound = search
        # The bound is on stage 1's objective (shift costs included): compare like with like.
        stage1 = float(pulp.value(model.objectives["service"]) or 0.0)
        service_gap = max(stage1 - service_bound, 0.0)
        mip_objective, bound = run.objective, run.bound
        # Stage 2's bound holds for every plan serving at least as much: the cost gap, with
        # lost sales outside it.
        gap = None if bound is None else relative_gap(objective, min(bound, objective))
        # The bound is the solver's proven bound even when its time ran out first: a plan
        # within the gap of it is proven within the gap (HiGHS, busy in its root cut loop,
        # was seen to run 98 s on past a 0.4% gap asked to stop at 1%).
        proven = run.feasible and gap is not None and gap <= options.mip_gap + 1e-9
        status, solution = _status(proven, [gap, service_gap])
        reason, seconds = run.reason, run.seconds + final.seconds
    return SolveReport(
        solver=final.name,
        status=status,
        solution=solution,
        stop_reason=reason,
        objective=objective,
        mip=mip,
        mip_objective=mip_objective,
        mip_gap=gap,
        best_bound=bound,
        duals_from=duals_from,
        seconds=seconds,
        service=service,
        service_gap=service_gap,
    )


def solve_plan(data: PlanningData, options: SolverOptions | None = None) -> PlanResult:
    """Build and solve the model; raise SolverError when there is no proven-feasible plan."""
    options = options or SolverOptions()
    started = time.perf_counter()
    model = create_model(data, relax_lots=options.relax_lots)
    built = time.perf_counter()
    integers = sum(1 for var in model.problem.variables() if var.cat == pulp.LpInteger)
    report = solve_model(model, options)
    if options.whole_units:
        report = round_to_whole_units(model, report, lambda: _lp_stages(model, options))
    ship_kept_stock(model)
    solved = time.perf_counter()
    capacity = shift_columns(model, capacity_use(model))
    used = substitutions(model, lambda kind, key: constraint_price(model, kind, key))
    result = PlanResult(
        production=production_plan(model),
        balance=product_balance(model),
        purchases=with_substitute_notes(second_source_purchases(model, purchase_plan(model)), used),
        capacity=capacity,
        status=report.status,
        objective=report.objective,
        solver=report.solver,
        solver_version=package_version("highspy" if "HiGHS" in report.solver else "pulp"),
        build_seconds=built - started,
        solve_seconds=solved - built,
        variables=model.problem.numVariables(),
        constraints=model.problem.numConstraints(),
        report=report,
        safety_stock=data.safety.copy(),
        shortfalls=shortfalls(model),
        bottlenecks=bottlenecks(model, capacity),
        slacks=slack_report(model),
        integer_variables=integers,
        substitutions=used,
        transfers=transfer_plan(model),
    )
    return _with_solver_table(result, options)


def _with_solver_table(result: PlanResult, options: SolverOptions) -> PlanResult:
    # Only what the same inputs reproduce: a repeated run writes the same workbook (timings go
    # to the run's summary instead).
    report = result.report
    assert report is not None

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.3f}%"

    def number(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}"

    rows = [
        ("solver", report.solver),
        ("status", report.status),
        ("solution", report.solution),
        ("solver says", report.stop_reason),
        ("objective order", "1. unmet demand (margin x priority), 2. buffers, then cost"),
        ("unmet demand value", number(report.service)),
        ("unmet demand gap", number(report.service_gap) if report.mip else "0 (LP)"),
        ("objective", number(report.objective)),
        ("problem", "MILP (lot rules)" if report.mip else "LP"),
        ("MIP objective", number(report.mip_objective)),
        ("MIP gap", pct(report.mip_gap) if report.mip else "0 (LP)"),
        ("MIP gap asked", pct(options.mip_gap) if report.mip else "n/a"),
        ("best bound", number(report.best_bound)),
        ("shadow prices from", report.duals_from),
        ("variables", str(result.variables)),
        ("integer variables", str(result.integer_variables)),
        ("constraints", str(result.constraints)),
        ("time limit", "none" if options.time_limit is None else f"{options.time_limit:g} s"),
    ]
    rows += report.whole_units.rows() if report.whole_units else [("whole units", "off")]
    table = pd.DataFrame(rows, columns=["figure", "value"])
    return replace(result, solver_table=table)
