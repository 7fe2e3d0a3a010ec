"""Solve the plan model and turn the solution into the Supply tab's tables.

Solvers: HiGHS (highspy) and CBC (bundled with PuLP), both through PuLP. HiGHS is the default
and runs its dual simplex for LPs: on this model benchmarks/bench_plan.py measured it 2-3.6x
faster than HiGHS's interior point (which other production-planning LPs favoured) and ahead of
CBC at every size; a basic solution also gives the duals the explanations need. For a
MILP (lot rules present), the MIP is solved to the gap asked for, then the LP with every setup
and lot count fixed at the MIP's values is solved again: its duals are the shadow prices the
explanations quote, and its plan (never worse than the MIP's incumbent) is the plan written.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData

EPS = 1e-6  # below this a solver value is numerical noise
REPORT_EPS = 5e-6  # below this a reported quantity (often a difference of values) is noise
SOLVERS = ("highs", "cbc")
DEFAULT_SOLVER = "highs"  # fastest (with its simplex) on every size of bench_plan.py
HIGHS_METHODS = ("ipm", "simplex", "choose")
# A lot-size MILP can search for hours; without a limit from the caller it stops here and
# reports the gap it proved (the LP path has no default limit: it always finishes).
MIP_TIME_LIMIT = 120.0


class SolverError(RuntimeError):
    """The solver could not produce a plan (not available, or no solution in time)."""


@dataclass(frozen=True)
class SolverOptions:
    """Which solver to use, how long it may take and how exact a MILP answer must be.

    Attributes:
        solver: "highs" or "cbc".
        time_limit: seconds for each solver call (None: no limit for an LP, MIP_TIME_LIMIT for
            a MILP).
        mip_gap: relative MIP gap at which the search stops (0.01 = within 1% of the optimum).
        relax_lots: solve the LP relaxation of the lot rules (fast; lot rules not enforced).
        highs_method: HiGHS's LP algorithm: "ipm" (interior point), "simplex" or "choose".
    """

    solver: str = DEFAULT_SOLVER
    time_limit: float | None = None
    mip_gap: float = 0.01
    relax_lots: bool = False
    highs_method: str = "simplex"


@dataclass(frozen=True)
class SolveReport:
    """How the solver ended: always reported, whatever it was."""

    solver: str
    status: str  # PuLP's status
    solution: str  # what the numbers are: optimal, feasible (not proven), ...
    stop_reason: str  # the solver's own words
    objective: float
    mip: bool
    mip_objective: float | None
    mip_gap: float | None
    best_bound: float | None
    duals_from: str
    seconds: float


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


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class _HiGHSWithStart(pulp.HiGHS):
    """PuLP's HiGHS, handing the MIP a partial start (integer values) before it runs.

    HiGHS completes a partial start by fixing those integers and solving the LP; a start it
    cannot complete is dropped, so a poor start costs a moment and never a wrong answer.
    """

    start: dict[pulp.LpVariable, float] | None = None

    def callSolver(self, lp: pulp.LpProblem) -> None:  # PuLP's method name
        if self.start:
            # PuLP numbers only the variables the model uses: a setup or order binary whose
            # run is closed (big-M 0) sits in no constraint and has no index to start from.
            items = [
                (var.index, value)
                for var, value in self.start.items()
                if getattr(var, "index", None) is not None
            ]
            if items:
                index = np.array([i for i, _ in items], dtype=np.int32)
                values = np.array([v for _, v in items], dtype=np.float64)
                lp.solverModel.setSolution(len(items), index, values)
        lp.solverModel.run()


def make_solver(
    options: SolverOptions,
    mip: bool,
    log_path: Path | None = None,
    start: dict[pulp.LpVariable, float] | None = None,
) -> tuple[pulp.LpSolver, str]:
    """A PuLP solver object for the options; HiGHS falls back to CBC when highspy is missing."""
    name = options.solver.lower()
    if name == "highs":
        params: dict[str, Any] = {}
        if not mip:
            if options.highs_method not in HIGHS_METHODS:
                msg = (
                    f"unknown HiGHS method {options.highs_method!r}; choose one of {HIGHS_METHODS}"
                )
                raise SolverError(msg)
            params["solver"] = options.highs_method
        solver = _HiGHSWithStart(
            msg=False, timeLimit=options.time_limit, gapRel=options.mip_gap, mip=mip, **params
        )
        solver.start = start if mip else None
        if solver.available():
            return solver, f"HiGHS {_package_version('highspy')}"
        name = "cbc"  # highspy missing: CBC ships inside PuLP
    if name == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 warns that the bundled CBC moves to an extra in PuLP 4 (Python >= 3.12).
            warnings.simplefilter("ignore", DeprecationWarning)
            cbc = pulp.PULP_CBC_CMD(
                msg=False,
                warmStart=bool(start) and mip,
                timeLimit=options.time_limit,
                gapRel=options.mip_gap if mip else None,
                mip=mip,
                logPath=str(log_path) if log_path else None,
            )
        return cbc, f"CBC (PuLP {pulp.__version__})"
    msg = f"unknown solver {options.solver!r}; choose one of {', '.join(SOLVERS)}"
    raise SolverError(msg)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the solver's own banner (HiGHS prints it from C++ before msg=False applies)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (e.g. inside Excel): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _value(var: pulp.LpVariable) -> float:
    value = var.varValue
    return 0.0 if value is None or abs(value) < EPS else float(value)


def _clean(value: float) -> float:
    """A reported quantity without solver noise (CBC leaves e.g. -4e-6 in a difference)."""
    return 0.0 if abs(value) < REPORT_EPS else float(value)


_CBC_FIGURES = {
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.M),
    "bound": re.compile(r"^Lower bound:\s+(\S+)", re.M),
    "gap": re.compile(r"^Gap:\s+(\S+)", re.M),
    "result": re.compile(r"^Result - (.+)$", re.M),
}


def _cbc_log(path: Path) -> dict[str, str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    found = {k: rx.search(text) for k, rx in _CBC_FIGURES.items()}
    return {k: m.group(1).strip() for k, m in found.items() if m}


def _float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def run_solver(
    model: PlanModel,
    options: SolverOptions,
    mip: bool,
    start: dict[pulp.LpVariable, float] | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Solve once; return PuLP's status, the solution status and the solver's own figures."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver, solver_name = make_solver(options, mip, log_path, start)
        started = time.perf_counter()
        with warnings.catch_warnings(), _quiet_stdout():
            warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3.3's notices about PuLP 4
            model.problem.solve(solver)
        figures: dict[str, Any] = {"seconds": time.perf_counter() - started, "name": solver_name}
        problem = model.problem
        if "HiGHS" in solver_name:
            highs = problem.solverModel
            figures["reason"] = highs.modelStatusToString(highs.getModelStatus())
            if mip:
                info = highs.getInfo()
                figures["gap"] = float(info.mip_gap)
                figures["bound"] = float(info.mip_dual_bound)
        else:
            cbc = _cbc_log(log_path)
            figures["reason"] = cbc.get("result", pulp.LpStatus[problem.status])
            if mip:
                # CBC's own "Gap:" line is not always its final relative gap: compute it the
                # way HiGHS does, |objective - bound| / |objective|.
                objective, bound = _float(cbc.get("objective")), _float(cbc.get("bound"))
                if bound is None and cbc.get("result") == "Optimal solution found":
                    bound = objective  # search completed: proven optimal, no bound printed
                figures["bound"] = bound
                if objective is not None and bound is not None:
                    figures["gap"] = abs(objective - bound) / max(abs(objective), 1e-9)
    return pulp.LpStatus[problem.status], pulp.LpSolution[problem.sol_status], figures


def _fix_integers(model: PlanModel) -> None:
    """Fix every setup, lot count and order binary at its MIP value, making the model an LP."""
    for kind in ("setup", "lots", "order"):
        for var in model.variables.get(kind, {}).values():
            value = float(round(var.varValue or 0.0))
            var.cat = pulp.LpContinuous
            var.lowBound = var.upBound = value


def _solve_lp(model: PlanModel, options: SolverOptions) -> bool:
    """Solve the model as an LP (integrality ignored); True when it has a solution."""
    run_solver(model, options, mip=False)
    return _solution_usable(model.problem)


def _solution_usable(problem: pulp.LpProblem) -> bool:
    return problem.status == pulp.LpStatusOptimal and problem.sol_status in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    )


def solve_model(model: PlanModel, options: SolverOptions) -> SolveReport:
    """Solve the model; for a MILP, re-solve the LP with integers fixed to get duals."""
    mip = model.is_mip
    if mip and options.time_limit is None:
        options = replace(options, time_limit=MIP_TIME_LIMIT)
    start = None
    if mip:
        # Both solvers take long to find any plan on lot-size models: start them from the LP
        # relaxation rounded into a feasible plan (see lot_start.py).
        from sop_addin.core.planning.lot_start import relax_and_round

        start = relax_and_round(model, lambda: _solve_lp(model, options))
    status, solution, figures = run_solver(model, options, mip, start)
    solver_name = figures["name"]
    # The model is elastic (unmet demand, buffer, storage and capacity shortfalls are slack),
    # so anything but a solution means the solver stopped early or failed, never that the
    # plan is impossible.
    if not _solution_usable(model.problem):
        msg = (
            f"the solver {solver_name} returned status {status!r} ({figures['reason']}); "
            "no plan was written"
        )
        if mip:
            msg += ": raise --time-limit or --gap, or plan with --lp (lot rules relaxed)"
        raise SolverError(msg)
    seconds = figures["seconds"]
    mip_objective = gap = bound = None
    duals_from = "LP relaxation of the lot rules" if model.relax_lots else "LP"
    if mip:
        mip_objective = float(pulp.value(model.problem.objective) or 0.0)
        gap, bound = figures.get("gap"), figures.get("bound")
        if solution == pulp.LpSolution[pulp.LpSolutionOptimal] and gap is not None:
            solution = "Optimal within the gap" if gap > 1e-9 else solution
        _fix_integers(model)
        lp_status, _, lp_figures = run_solver(model, options, mip=False)
        seconds += lp_figures["seconds"]
        if not _solution_usable(model.problem):
            msg = f"re-solving the LP with lots fixed ended with {lp_status!r}; no plan was written"
            raise SolverError(msg)
        duals_from = "LP with setups and lot counts fixed at the MIP solution"
    return SolveReport(
        solver=solver_name,
        status=status,
        solution=solution,
        stop_reason=str(figures["reason"]),
        objective=float(pulp.value(model.problem.objective) or 0.0),
        mip=mip,
        mip_objective=mip_objective,
        mip_gap=gap,
        best_bound=bound,
        duals_from=duals_from,
        seconds=seconds,
    )


def solve_plan(data: PlanningData, options: SolverOptions | None = None) -> PlanResult:
    """Build and solve the model; raise SolverError when there is no usable solution."""
    from sop_addin.core.planning.explain import bottlenecks, shortfalls, slack_report

    options = options or SolverOptions()
    started = time.perf_counter()
    model = create_model(data, relax_lots=options.relax_lots)
    built = time.perf_counter()
    integers = sum(
        1 for var in model.problem.variables() if var.cat == pulp.LpInteger
    )  # before any fixing
    report = solve_model(model, options)
    solved = time.perf_counter()
    capacity = capacity_use(model)
    result = PlanResult(
        production=production_plan(model),
        balance=product_balance(model),
        purchases=purchase_plan(model),
        capacity=capacity,
        status=report.status,
        objective=report.objective,
        solver=report.solver,
        solver_version=_package_version("highspy" if "HiGHS" in report.solver else "pulp"),
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
    )
    return _with_solver_table(result, options)


def _with_solver_table(result: PlanResult, options: SolverOptions) -> PlanResult:
    # Only what the same inputs reproduce: a repeated run writes the same workbook (timings go
    # to the run's summary instead).
    report = result.report
    assert report is not None

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.3f}%"

    rows = [
        ("solver", report.solver),
        ("status", report.status),
        ("solution", report.solution),
        ("solver says", report.stop_reason),
        ("objective", f"{report.objective:.2f}"),
        ("problem", "MILP (lot rules)" if report.mip else "LP"),
        (
            "MIP objective",
            "n/a" if report.mip_objective is None else f"{report.mip_objective:.2f}",
        ),
        ("MIP gap", pct(report.mip_gap) if report.mip else "0 (LP)"),
        ("MIP gap asked", pct(options.mip_gap) if report.mip else "n/a"),
        ("best bound", "n/a" if report.best_bound is None else f"{report.best_bound:.2f}"),
        ("shadow prices from", report.duals_from),
        ("variables", str(result.variables)),
        ("integer variables", str(result.integer_variables)),
        ("constraints", str(result.constraints)),
        ("time limit", "none" if options.time_limit is None else f"{options.time_limit:g} s"),
    ]
    table = pd.DataFrame(rows, columns=["figure", "value"])
    return replace(result, solver_table=table)


# -- solution tables ------------------------------------------------------------------------


def production_plan(model: PlanModel) -> pd.DataFrame:
    data = model.data
    rows = []
    for (sku, res, t), var in model.variables["make"].items():
        qty = _value(var)
        if qty:
            route = data.routings.loc[(sku, res)]
            rows.append(
                {
                    "sku": sku,
                    "resource": res,
                    "site": route["site"],
                    "month": data.months[t],
                    "quantity": qty,
                    "good_quantity": qty * float(route["yield"]),
                    "hours": qty * float(route["hours_per_unit"]),
                }
            )
    columns = ["sku", "resource", "site", "month", "quantity", "good_quantity", "hours"]
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["sku", "month", "resource"], ignore_index=True
    )


def product_balance(model: PlanModel) -> pd.DataFrame:
    """Per SKU and month: supply, demand served, lost and owed, closing stock."""
    data = model.data
    v = model.variables
    good: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in v["make"].items():
        good[(sku, t)] = good.get((sku, t), 0.0) + _value(var) * float(
            data.routings.at[(sku, res), "yield"]
        )
    demand = {k: float(x) for k, x in data.demand.items()}
    receipts = {k: float(x) for k, x in data.receipts.items()}
    rows = []
    for sku, product in data.products.iterrows():
        opening, owed_before = float(product["opening"]), 0.0
        for t, month in enumerate(data.months):
            wanted = demand[(sku, month)]
            lost_var, owed_var = v["lost"].get((sku, t)), v["backlog"].get((sku, t))
            lost = min(_value(lost_var), wanted) if lost_var is not None else 0.0
            owed = _value(owed_var) if owed_var is not None else 0.0
            # Shipped = this month's demand plus what was owed, less what is owed or lost now;
            # a fall in the backlog is the catch-up of earlier months' demand.
            served = _clean(wanted + owed_before - owed - lost)
            caught_up = _clean(max(owed_before - owed, 0.0))
            below = v["below_safety"].get((sku, t))
            closing = _value(v["stock"][(sku, t)])
            rows.append(
                {
                    "sku": sku,
                    "month": month,
                    "opening": opening,
                    "production": good.get((sku, t), 0.0),
                    "receipts": receipts.get((sku, month), 0.0),
                    "demand": wanted,
                    "served": served,
                    "backlog_served": caught_up,
                    # This month's demand not shipped this month: lost, or newly owed. Never
                    # negative: demand = served - backlog_served + unmet in every month.
                    "unmet": _clean(lost + max(owed - owed_before, 0.0)),
                    "closing": closing,
                    "safety_stock": float(product["safety_stock"]) if below is not None else 0.0,
                    "below_safety_stock": _value(below) if below is not None else 0.0,
                    "backlog": owed,
                    "lost": lost + (owed if t == len(data.months) - 1 else 0.0),
                }
            )
            opening, owed_before = closing, owed
    return pd.DataFrame(rows)


def purchase_plan(model: PlanModel) -> pd.DataFrame:
    data = model.data
    rows = []
    for (material, t), var in model.variables["buy"].items():
        qty = _value(var)
        if qty:
            row = data.materials.loc[material]
            rows.append(
                {
                    "material": material,
                    "supplier": row["supplier"],
                    "order_month": data.months[t],
                    "arrival_month": data.months[t + int(row["lead_months"])],
                    "quantity": qty,
                    "cost": qty * float(row["unit_cost"]),
                }
            )
    columns = ["material", "supplier", "order_month", "arrival_month", "quantity", "cost"]
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["material", "order_month"], ignore_index=True
    )


def shadow_price(constraint: pulp.LpConstraint | None) -> float:
    """Cost saved by one more unit of the constraint's right-hand side (a minimisation dual)."""
    if constraint is None or constraint.pi is None:
        return 0.0
    value = -float(constraint.pi)
    return 0.0 if abs(value) < EPS else value


def required_hours(data: PlanningData) -> dict[tuple[str, pd.Timestamp], float]:
    """Rough-cut load: hours each month's demand needs on its SKU's primary routing."""
    routes = data.routings.reset_index().sort_values(["sku", "priority", "resource"])
    primary = routes.drop_duplicates("sku").set_index("sku")
    per_unit = primary["hours_per_unit"] / primary["yield"]
    load: dict[tuple[str, pd.Timestamp], float] = {}
    for (sku, month), qty in data.demand.items():
        if sku in primary.index and qty > 0:
            key = (str(primary.at[sku, "resource"]), month)
            load[key] = load.get(key, 0.0) + float(qty) * float(per_unit[sku])
    return load


def _utilisation(used: float, available: float, overtime_room: float) -> float:
    """Used over available hours; above 1 means overtime.

    A resource with no available hours that still works (all on overtime) reads as 1 plus the
    share of its overtime limit used, so it shows as overloaded, never as idle.
    """
    if available > 0:
        return used / available
    if used <= REPORT_EPS:
        return 0.0
    return 1.0 + (min(used / overtime_room, 1.0) if overtime_room > 0 else 1.0)


def capacity_use(model: PlanModel) -> pd.DataFrame:
    """Per resource and month: hours available, used (planned + firm), overtime, rough-cut load."""
    data = model.data
    v = model.variables
    used: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in v["make"].items():
        hours = _value(var) * float(data.routings.at[(sku, res), "hours_per_unit"])
        used[(res, t)] = used.get((res, t), 0.0) + hours
    firm = {k: float(x) for k, x in data.firm_hours.items()}
    load = required_hours(data)
    sites = data.resource_sites
    caps = model.constraints.get("Resource-capacity", {})
    resources = data.resources

    def overtime_room(res: str) -> float:
        if res not in resources.index:
            return 0.0
        return float(resources.at[res, "overtime_max"] * resources.at[res, "efficiency"])

    rows = []
    for (res, month), available in data.capacity.items():
        t = data.months.get_loc(month)
        overload = _value(v["overload"][(res, t)]) if (res, t) in v["overload"] else 0.0
        firm_hours = firm.get((res, month), 0.0)
        hours = used.get((res, t), 0.0) + firm_hours - overload
        rows.append(
            {
                "resource": res,
                "site": sites.get(res, ""),
                "month": month,
                "available_hours": float(available),
                "used_hours": hours,
                "utilisation": _utilisation(hours, float(available), overtime_room(res)),
                "overtime_hours": _value(v["overtime"][(res, t)])
                if (res, t) in v["overtime"]
                else 0.0,
                "required_hours": load.get((res, month), 0.0),
                "firm_hours": firm_hours,
                "overload_hours": overload,
                "shadow_price": shadow_price(caps.get((res, t))),
            }
        )
    return pd.DataFrame(rows)
