"""Lot sizing on the public Trigeiro-Thomas-McClain (1989) instances, through the product's model.

Each instance (the G and F sets of LOTSIZELIB's tr* family) is mapped onto the supply planning
model itself (planning/build.py, solved by planning/solve.py), not a separate model: one
resource R1 whose capacity is the instance's capacity every month; per item a routing with its
hours per unit, setup hours and setup cost, a holding cost per unit-month, zero opening stock
and all demand met (PlanningData.all_demand_met). The objective reported is the plan's setup
plus holding cost, the bound and gap the MIP's.

File format (plain text, numbers separated by blanks; reading stops at the first non-number):
"n T", the number of resources, the capacity per period, then one row per item "capacity per
unit, holding cost per unit-period, setup time, setup cost", then T rows of demand with one
column per item, split into blocks of 15 columns when n > 15 (all periods of items 1-15, then
all periods of items 16-30, ...).

Usage: python benchmarks/bench_lotsizing.py FILE.DAT... [--time-limit S] [--gap G] [--json]
Prints one line per file (JSON with --json): instance, objective, bound, gap, seconds, status,
and the known optimum and the distance to it where KNOWN_OPTIMA has one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.solve import SolveReport, solve_model
from sop_addin.core.planning.solvers import SolverOptions

BLOCK = 15  # demand columns per block in the files
RESOURCE = "R1"
# Published optima (LOTSIZELIB; proven with a facility-location model and HiGHS).
KNOWN_OPTIMA = {
    "G53": 74_634.0,
    "F1": 40_854.0,
    "F2": 39_734.0,
    "F3": 37_739.0,
    "F4": 33_897.0,
    "F5": 29_420.0,
}


@dataclass(frozen=True)
class Instance:
    """A capacitated lot-sizing instance with setup times: n items, T periods, one resource."""

    name: str
    capacity: float
    hours: np.ndarray  # per item: capacity used per unit
    holding: np.ndarray  # per item: cost per unit held a period
    setup_hours: np.ndarray  # per item
    setup_cost: np.ndarray  # per item
    demand: np.ndarray  # periods x items


def _numbers(text: str) -> list[float]:
    values = []
    for token in text.split():
        try:
            values.append(float(token))
        except ValueError:
            break  # trailing notes ("Bi hi su su ...") end the data
    return values


def read_instance(path: Path) -> Instance:
    """Read a TTM instance file (format in the module docstring); ValueError when malformed."""
    values = _numbers(path.read_text(errors="replace"))
    if len(values) < 4:
        msg = f"{path}: not a lot-sizing instance (fewer than 4 numbers before any text)"
        raise ValueError(msg)
    n, periods, resources = int(values[0]), int(values[1]), int(values[2])
    if resources != 1:
        msg = f"{path}: {resources} resources; only single-resource instances are supported"
        raise ValueError(msg)
    capacity = values[3]
    items = np.array(values[4 : 4 + 4 * n]).reshape(n, 4) if n else np.zeros((0, 4))
    rest = values[4 + 4 * n :]
    if len(items) != n or len(rest) < n * periods:
        msg = f"{path}: expected {n} item rows and {n * periods} demands, found fewer"
        raise ValueError(msg)
    demand = np.zeros((periods, n))
    at = 0
    for first in range(0, n, BLOCK):
        width = min(BLOCK, n - first)
        block = np.array(rest[at : at + periods * width]).reshape(periods, width)
        demand[:, first : first + width] = block
        at += periods * width
    return Instance(
        name=path.stem,
        capacity=capacity,
        hours=items[:, 0],
        holding=items[:, 1],
        setup_hours=items[:, 2],
        setup_cost=items[:, 3],
        demand=demand,
    )


def planning_data(instance: Instance) -> PlanningData:
    """The instance as the supply model's input: one resource, one routing per item."""
    periods, n = instance.demand.shape
    months = pd.date_range("2027-01-01", periods=periods, freq="MS")
    skus = [f"I{i + 1:02d}" for i in range(n)]
    demand = pd.Series(
        instance.demand.T.ravel(),
        index=pd.MultiIndex.from_product([skus, months], names=["sku", "month"]),
    )
    zero = np.zeros(n)
    products = pd.DataFrame(
        {
            "price": zero,
            "standard_cost": zero,
            "margin": zero,
            "priority": np.full(n, 3.0),
            "backlog": np.zeros(n, dtype=bool),
            "opening": zero,
            "unmet_penalty": zero,
            "backlog_penalty": zero,
            "safety_penalty": zero,
            "holding_cost": instance.holding,
            "site": "S1",
            "safety_stock": zero,
        },
        index=pd.Index(skus, name="sku"),
    )
    routings = pd.DataFrame(
        {
            "priority": 1,
            "hours_per_unit": instance.hours,
            "cost_per_unit": zero,
            "yield": 1.0,
            "site": "S1",
            "min_lot": zero,
            "lot_multiple": zero,
            "setup_hours": instance.setup_hours,
            "setup_cost": instance.setup_cost,
            "overtime_cost_per_unit": zero,
        },
        index=pd.MultiIndex.from_product([skus, [RESOURCE]], names=["sku", "resource"]),
    )
    capacity = pd.Series(
        instance.capacity,
        index=pd.MultiIndex.from_product([[RESOURCE], months], names=["resource", "month"]),
    )

    def empty(*names: str) -> pd.Series:
        index = pd.MultiIndex.from_tuples([], names=list(names))
        return pd.Series(dtype=float, index=index)

    materials = pd.DataFrame(
        columns=["unit_cost", "supplier", "lead_months", "moq", "opening", "holding_cost"]
    )
    return PlanningData(
        months=months,
        demand=demand,
        products=products,
        routings=routings,
        capacity=capacity,
        resource_sites=pd.Series({RESOURCE: "S1"}),
        receipts=empty("sku", "month"),
        materials=materials,
        bom=empty("sku", "material"),
        material_receipts=empty("material", "month"),
        supplier_limits=empty("supplier", "month"),
        carrying_rate=0.0,
        resources=pd.DataFrame(
            {"site": ["S1"], "efficiency": [1.0], "overtime_max": [0.0], "overtime_cost": [0.0]},
            index=pd.Index([RESOURCE], name="resource"),
        ),
        all_demand_met=True,
    )


def solve_instance(instance: Instance, options: SolverOptions) -> tuple[SolveReport, float]:
    """Build and solve the instance through the product's model; the report and wall seconds."""
    started = time.perf_counter()
    model = create_model(planning_data(instance))
    report = solve_model(model, options)
    return report, time.perf_counter() - started


def result_line(path: Path, options: SolverOptions) -> dict[str, object]:
    instance = read_instance(path)
    report, seconds = solve_instance(instance, options)
    line: dict[str, object] = {
        "instance": instance.name,
        "items": instance.demand.shape[1],
        "periods": instance.demand.shape[0],
        "objective": round(report.objective, 6),
        "bound": None if report.best_bound is None else round(report.best_bound, 6),
        "gap": report.mip_gap,
        "seconds": round(seconds, 2),
        "status": report.status,
    }
    known = KNOWN_OPTIMA.get(instance.name.upper())
    if known is not None:
        line["known_optimum"] = known
        line["above_optimum"] = round((report.objective - known) / known, 6)
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="TTM instance files (.DAT)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--gap", type=float, default=0.0, help="relative MIP gap to stop at")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    options = SolverOptions(time_limit=args.time_limit, mip_gap=args.gap)
    for path in args.files:
        try:
            line = result_line(path, options)
        except (OSError, ValueError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(line), flush=True)
        else:
            print("  ".join(f"{k}={v}" for k, v in line.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
