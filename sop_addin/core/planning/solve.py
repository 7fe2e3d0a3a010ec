"""Solve the plan model demand first, then buffers and cost, and collect the Supply tables.

The solve is lexicographic, in two stages over the model's objective parts (build.py):

1. "service": minimise the weighted unmet demand (margin x priority per unit lost or late), to
   proven optimality within a ten-thousandth of the least valued unit.
2. "plan": with the service held at that value (plus the solver's feasibility tolerance),
   minimise buffer shortfall, weighted above any cost of making a unit, and then cost.

So the MIP gap asked for (--gap) is taken on cost alone: lost sales are never inside it. For a
MILP (lot rules or changeovers present) both stages start from a feasible plan rounded from the
LP relaxation (lot_start.py) after (l,S) cuts tightened it (lot_cuts.py); then every setup and
lot count is fixed at the stage-2 solution and both stages are solved again as LPs, and the
second LP's plan (never worse than the MIP's) is the plan written. Their duals are the shadow
prices the explanations quote: for a row that limits serving demand, stage 1's (the lost-sales
value one more unit of it would serve: margin x priority weight + 1 a unit); for any other
row, stage 2's (the buffer penalty and cost one more unit saves).

A run that ends without a solution the solver proved feasible raises SolverError: nothing is
written. The status says "Optimal" only for a proven optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.explain import bottlenecks, constraint_price, shortfalls, slack_report
from sop_addin.core.planning.lot_cuts import add_lot_cover_cuts
from sop_addin.core.planning.lot_start import INTEGER_KINDS, relax_and_round
from sop_addin.core.planning.second_sources import second_source_purchases
from sop_addin.core.planning.shifts import shift_columns
from sop_addin.core.planning.solvers import (
    DEFAULT_SOLVER,
    MIP_TIME_LIMIT,
    PROVEN_OPTIMAL_GAP,
    SOLVERS,
    SolverError,
    SolverOptions,
    SolverRun,
    package_version,
    run_solver,
)
from sop_addin.core.planning.substitutes import substitutions, with_substitute_notes
from sop_addin.core.planning.tables import (
    capacity_use,
    product_balance,
    production_plan,
    purchase_plan,
)

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

SERVICE_ROW = "service_level"  # PuLP turns "-" in a name into "_"
# Stage 1 of a MILP may use at most this share of the time limit; stage 2 has the rest.
SERVICE_TIME_SHARE = 0.5
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


class _Clock:
    """Seconds left of the caller's time limit (None: no limit)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.started = time.perf_counter()

    def left(self, share: float = 1.0) -> float | None:
        if self.limit is None:
            return None
        return max(self.limit * share - (time.perf_counter() - self.started), 1.0)


def _require(run: SolverRun, what: str, mip: bool) -> None:
    if run.feasible:
        return
    msg = f"the solver {run.name} found no proven-feasible plan ({what}: {run.reason}); no plan "
    msg += "was written"
    if mip:
        msg += ": raise --time-limit or --gap, or plan with --lp (lot rules relaxed)"
    raise SolverError(msg)


def _service_tolerance(model: PlanModel) -> float:
    """Stage 1's absolute gap: a ten-thousandth of the least valued unit of service."""
    weights = [w for w in model.objectives["service"].values() if w > 0]
    return 1e-4 * min(weights) if weights else 1e-6


def _held(model: PlanModel) -> pulp.LpAffineExpression:
    """What stage 2 holds at stage 1's value: the weighted unmet demand, without the cost of
    the shifts stage 1 weighed against it (shifts.py)."""
    return model.objectives.get("held", model.objectives["service"])


def _hold_service(model: PlanModel, level: float) -> None:
    """Stage 2's row: weighted unmet demand at most stage 1's value (plus a tolerance)."""
    _release_service(model)
    # Roundoff room only: stage 2 spends all of it on cost, so it must stay far below a unit.
    slack = 1e-9 * max(1.0, abs(level))
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
    """Both stages as LPs (integrality ignored); stage 2's solution and summed duals stay."""
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
    _require(run, "buffers and cost, LP", mip=False)
    _add_duals(model, first)
    return replace(run, seconds=seconds), level


def _mip_stages(model: PlanModel, options: SolverOptions) -> tuple[SolverRun, SolverRun | None]:
    """Stage 1 and stage 2 as MIPs; returns their runs (stage 1 None when nothing to serve)."""
    problem = model.problem
    clock = _Clock(options.time_limit if options.time_limit is not None else MIP_TIME_LIMIT)
    has_service = bool(model.objectives["service"])

    def solve_relaxation() -> bool:
        return run_solver(problem, options, mip=False).feasible

    problem.setObjective(model.objectives["service"] if has_service else model.objectives["plan"])
    add_lot_cover_cuts(model, solve_relaxation)
    start = relax_and_round(model, solve_relaxation)
    first: SolverRun | None = None
    if has_service:
        first = run_solver(
            problem,
            options,
            mip=True,
            start=start,
            gap_abs=_service_tolerance(model),
            time_limit=clock.left(SERVICE_TIME_SHARE),
        )
        _require(first, "serving demand", mip=True)
        _hold_service(model, float(pulp.value(_held(model)) or 0.0))
        start = _integer_values(model)
        problem.setObjective(model.objectives["plan"])
    second = run_solver(problem, options, mip=True, start=start, time_limit=clock.left())
    if not second.feasible and start is not None:
        # Stage 1's plan meets stage 2's rows: keep its setups if the search found nothing.
        _fix_integers(model, start)
        second = replace(second, reason=f"{second.reason}; stage 1's setups kept")
    elif not second.feasible:
        _require(second, "buffers and cost", mip=True)
    else:
        _fix_integers(model, _integer_values(model))
    _drop_redundant_rows(model)
    return second, first


def _status(runs: list[SolverRun]) -> tuple[str, str]:
    """Optimal only when every stage was proven optimal (an LP: solved to optimality)."""
    if all(r.proven for r in runs):
        if all((r.gap or 0.0) <= PROVEN_OPTIMAL_GAP for r in runs):
            return STATUS_OPTIMAL, "Optimal Solution Found"
        return STATUS_WITHIN_GAP, "Optimal within the gap asked (proven)"
    return STATUS_NOT_PROVEN, "Feasible plan, stopped before the gap was proven"


def solve_model(model: PlanModel, options: SolverOptions) -> SolveReport:
    """Solve the model lexicographically (see the module docstring)."""
    mip = model.is_mip
    seconds = 0.0
    runs: list[SolverRun] = []
    mip_objective = gap = bound = None
    service_gap: float | None = None
    if mip:
        second, first = _mip_stages(model, options)
        runs = [r for r in (first, second) if r is not None]
        seconds += sum(r.seconds for r in runs)
        mip_objective, gap, bound = second.objective, second.gap, second.bound
        if first is not None and first.objective is not None and first.bound is not None:
            service_gap = first.objective - first.bound
        duals_from = "LPs with setups and lot counts fixed at the MIP solution"
    else:
        duals_from = "LP relaxation of the lot rules" if model.relax_lots else "LP"
    final, service = _lp_stages(model, options)
    seconds += final.seconds
    status, solution = _status([*runs, final])
    last = runs[-1] if runs else final
    return SolveReport(
        solver=final.name,
        status=status,
        solution=solution,
        stop_reason=last.reason,
        objective=float(pulp.value(model.objectives["plan"]) or 0.0),
        mip=mip,
        mip_objective=mip_objective,
        mip_gap=gap,
        best_bound=bound,
        duals_from=duals_from,
        seconds=seconds,
        service=service,
        service_gap=None if service_gap is None else max(service_gap, 0.0),
    )


def solve_plan(data: PlanningData, options: SolverOptions | None = None) -> PlanResult:
    """Build and solve the model; raise SolverError when there is no proven-feasible plan."""
    options = options or SolverOptions()
    started = time.perf_counter()
    model = create_model(data, relax_lots=options.relax_lots)
    built = time.perf_counter()
    integers = sum(1 for var in model.problem.variables() if var.cat == pulp.LpInteger)
    report = solve_model(model, options)
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
    table = pd.DataFrame(rows, columns=["figure", "value"])
    return replace(result, solver_table=table)
