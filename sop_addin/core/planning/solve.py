"""Solve the plan model demand first, then buffers and cost, and collect the Supply tables.

The solve is lexicographic over the model's objective parts (build.py):

1. "service": minimise the weighted unmet demand (margin x priority per unit lost or late).
2. "plan": with the service held at that value (plus the solvers' roundoff, 1e-7), minimise
   buffer shortfall, weighted above any cost of making a unit, and then cost.

An LP (no lot rules, or --lp) is solved exactly so, as two LPs. A MILP (lot rules or
changeovers) is tightened by (l,S) cuts (lot_cuts.py; rounds end when one gains less than 1% of
the gap asked), started from its relaxation rounded into a feasible plan (lot_start.py: orders
and runs consolidated, lots grouped by setup and holding cost), and searched in two steps.
First, only when that start's unmet demand is more than 2% above the relaxation's least, over
service x K + cost, with K large enough that a unit of the least valued demand outweighs the
dearest buffer over the horizon (capped at 1e4), for at most half the time limit. Then over
the unmet demand alone from those setups, unless the relaxation proves their level the least
(with lot sizes one sale more can take a whole lot from another product's buffer, a trade K
does not price), to the least, for at most a tenth of the time limit. Then, with
the most service those setups can give held (an LP), over cost alone, for the rest of the time
and to the gap asked; that search is skipped when the start (also tried with the shifts the
cost stage's relaxation wants) is already within the gap of the LP relaxation's bound, which
the MIP would spend its presolve and root (30-40 s at 400 products) to prove; its start, and
the plan each of its attempts hands the next, are first improved by fix-and-optimize
(fix_optimize.py: windows of months as small MIPs, the other integers fixed). Every setup, lot
count and order is then fixed and the two stages are solved as LPs: that plan (never worse
than the MIP's) is the plan written. When no search fits in the time left (mip_search.Clock:
at 400 products and more) the start is the plan, improved one integer at a time while outside
the gap (integer_moves.py): its two stages are solved from the start's own basis and its cost
is bounded by one LP relaxation, which the time limit may cut short (then no bound is
reported). Two gaps are reported apart, so lost sales are never
inside the cost gap: the cost gap is stage 2's (its bound holds for every plan that serves as
much), and the unmet-demand gap is the value of unmet demand less the relaxation's least (a
bound no plan beats; a MILP seldom proves it zero).

The same LP is solved many times over (cut rounds, the rounding, the levels held, the fixed
re-solves): solvers.HiGHSBulk re-solves it warm in the HiGHS model the problem keeps per
objective. The LPs of the searches stop at the time left; the ones the plan is written from
(the levels held and the final two) do not, since a plan stopped half-way is none.

Shadow prices are the final LPs' duals: for a row that limits serving demand, stage 1's (the
lost-sales value one more unit of it would serve: margin x priority weight + 1 a unit); for any
other row, stage 2's (the buffer penalty and cost one more unit saves).

A run that ends without a solution the solver proved feasible raises SolverError: nothing is
written. The status says "Optimal" only for a proven optimum, "Within the gap" when the plan
written is within the gap asked of a proven bound (even when the solver's time ran out first).
A sale the solution loses to solver tolerance while stock is kept is shipped from that stock
(stock_noise.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.explain import bottlenecks, constraint_price, shortfalls, slack_report
from sop_addin.core.planning.lot_start import INTEGER_KINDS
from sop_addin.core.planning.mip_search import Clock, mip_search
from sop_addin.core.planning.second_sources import second_source_purchases
from sop_addin.core.planning.shifts import shift_columns
from sop_addin.core.planning.sites import transfer_plan
from sop_addin.core.planning.solvers import (
    DEFAULT_SOLVER,
    MIP_TIME_LIMIT,
    PROVEN_OPTIMAL_GAP,
    SOLVERS,
    SolverError,
    SolverOptions,
    forget_warm,
    package_version,
    relative_gap,
    within_gap,
)
from sop_addin.core.planning.stages import lp_stages
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
        limit = options.time_limit if options.time_limit is not None else MIP_TIME_LIMIT
        clock = Clock(limit, integers=sum(len(model.variables.get(k, {})) for k in INTEGER_KINDS))
        search = mip_search(model, options, clock)
        duals_from = "LPs with setups and lot counts fixed at the MIP solution"
    # The start kept without a search (at 400 products and more) has its final LPs solved
    # already (mip_search.start_as_plan); after a search they start cold (see lp_stages).
    if search is not None and search[3] is not None:
        final, service = search[3]
    else:
        final, service = lp_stages(model, options, fresh=mip)
    forget_warm(model.problem)
    objective = float(pulp.value(model.objectives["plan"]) or 0.0)
    if search is None:
        status, solution = _status(final.proven, [])
        mip_objective = gap = bound = service_gap = None
        reason, seconds = final.reason, final.seconds
    else:
        run, _weight, service_bound, _kept = search
        # The bound is on stage 1's objective (shift costs included): compare like with like.
        stage1 = float(pulp.value(model.objectives["service"]) or 0.0)
        service_gap = max(stage1 - service_bound, 0.0)
        mip_objective, bound = run.objective, run.bound
        # Stage 2's bound holds for every plan serving at least as much: the cost gap, with
        # lost sales outside it.
        gap = None if bound is None else relative_gap(objective, min(bound, objective))
        # The bound is a proven one (the solver's, or the LP relaxation's) even when the
        # solver's time ran out first: a plan within the gap of it is proven within the gap
        # (HiGHS, busy in its root cut loop, was seen to run 98 s on past a 0.4% gap asked to
        # stop at 1%).
        proven = gap is not None and within_gap(gap, options.mip_gap)
        status, solution = _status(proven, [gap, service_gap / max(1.0, abs(stage1))])
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
        report = round_to_whole_units(model, report, lambda: lp_stages(model, options))
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
