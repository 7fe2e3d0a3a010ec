"""Solve the plan model and turn the solution into the Supply tab's tables."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import pulp

from sop_addin.core.planning.build import PlanModel, create_model
from sop_addin.core.planning.data import PlanningData

EPS = 1e-6  # below this a solver value is numerical noise
SOLVERS = ("highs", "cbc")


class SolverError(RuntimeError):
    """The solver could not produce a plan (not available, or no solution in time)."""


@dataclass(frozen=True)
class SolverOptions:
    """Which solver to use and how long it may take."""

    solver: str = "highs"
    time_limit: float | None = None


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


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _solver(options: SolverOptions) -> tuple[pulp.LpSolver, str]:
    name = options.solver.lower()
    if name == "highs":
        solver = pulp.HiGHS(msg=False, timeLimit=options.time_limit)
        if solver.available():
            return solver, f"HiGHS {_package_version('highspy')}"
        name = "cbc"  # highspy missing: CBC ships inside PuLP
    if name == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 warns that the bundled CBC moves to an extra in PuLP 4 (Python >= 3.12).
            warnings.simplefilter("ignore", DeprecationWarning)
            cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=options.time_limit)
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


def solve_plan(data: PlanningData, options: SolverOptions | None = None) -> PlanResult:
    """Build and solve the LP; raise SolverError when there is no usable solution."""
    options = options or SolverOptions()
    started = time.perf_counter()
    model = create_model(data)
    built = time.perf_counter()
    solver, solver_name = _solver(options)
    with warnings.catch_warnings(), _quiet_stdout():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3.3's notices about PuLP 4
        model.problem.solve(solver)
    solved = time.perf_counter()
    status = pulp.LpStatus[model.problem.status]
    # The model is elastic (unmet demand and buffer shortfalls are slack), so anything but an
    # optimal solution means the solver stopped early or failed, not that the plan is impossible.
    if model.problem.status != pulp.LpStatusOptimal:
        msg = f"the solver {solver_name} returned status {status!r}; no plan was written"
        raise SolverError(msg)
    return PlanResult(
        production=_production(model),
        balance=_balance(model),
        purchases=_purchases(model),
        capacity=_capacity(model),
        status=status,
        objective=float(pulp.value(model.problem.objective) or 0.0),
        solver=solver_name,
        solver_version=_package_version("highspy" if "HiGHS" in solver_name else "pulp"),
        build_seconds=built - started,
        solve_seconds=solved - built,
        variables=model.problem.numVariables(),
        constraints=model.problem.numConstraints(),
    )


def _production(model: PlanModel) -> pd.DataFrame:
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


def _balance(model: PlanModel) -> pd.DataFrame:
    data = model.data
    v = model.variables
    good: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in v["make"].items():
        good[(sku, t)] = good.get((sku, t), 0.0) + _value(var) * float(
            data.routings.at[(sku, res), "yield"]
        )
    rows = []
    for sku, product in data.products.iterrows():
        opening = float(product["opening"])
        for t, month in enumerate(data.months):
            demand = float(data.demand[(sku, month)])
            unmet = min(_value(v["unmet"][(sku, t)]), demand)
            closing = _value(v["stock"][(sku, t)])
            below = v["below_safety"].get((sku, t))
            rows.append(
                {
                    "sku": sku,
                    "month": month,
                    "opening": opening,
                    "production": good.get((sku, t), 0.0),
                    "receipts": float(data.receipts.get((sku, month), 0.0)),
                    "demand": demand,
                    "served": demand - unmet,
                    "unmet": unmet,
                    "closing": closing,
                    "safety_stock": float(product["safety_stock"]),
                    "below_safety_stock": _value(below) if below is not None else 0.0,
                }
            )
            opening = closing
    return pd.DataFrame(rows)


def _purchases(model: PlanModel) -> pd.DataFrame:
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


def _capacity(model: PlanModel) -> pd.DataFrame:
    data = model.data
    used: dict[tuple[str, int], float] = {}
    for (sku, res, t), var in model.variables["make"].items():
        hours = _value(var) * float(data.routings.at[(sku, res), "hours_per_unit"])
        used[(res, t)] = used.get((res, t), 0.0) + hours
    sites = data.resource_sites
    rows = []
    for (res, month), available in data.capacity.items():
        t = data.months.get_loc(month)
        hours = used.get((res, t), 0.0)
        rows.append(
            {
                "resource": res,
                "site": sites.get(res, ""),
                "month": month,
                "available_hours": float(available),
                "used_hours": hours,
                "utilisation": hours / available if available > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)
