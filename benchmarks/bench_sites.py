"""Benchmark sites and lanes: the demo company planned with its Regions and Lanes (stock per
SKU and site, transfers along lanes) against the same company without them (stock pooled per
SKU, as before sites existed).

For each variant: data preparation, model build and solve seconds, model size, units moved and
units unmet. Runs alternate (pooled, sites, pooled, sites, ...) so load from other jobs falls
on both alike; the medians and the ratios sites / pooled are printed. Demand is last year's
sales by calendar month (no forecast: the planner alone is timed). LP by default (lot rules
relaxed, as `sop run --lp`); --milp solves the lot-size MILP with a time limit.

Usage: python benchmarks/bench_sites.py [--skus 400] [--repeats 3] [--milp] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from benchmarks.demo_inputs import demo_inputs
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning import SolverOptions, prepare_planning_data
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.sites import transfer_units
from sop_addin.core.planning.solve import solve_model
from sop_addin.core.planning.tables import product_balance


def pooled(inputs: PlanInputs) -> PlanInputs:
    """The same company without Regions and Lanes."""
    tables = {k: v.iloc[0:0] if k in ("Regions", "Lanes") else v for k, v in inputs.tables.items()}
    return PlanInputs(settings=inputs.settings, tables=tables)


def plan_once(inputs: PlanInputs, demand: pd.DataFrame, options: SolverOptions) -> dict:
    started = time.perf_counter()
    data = prepare_planning_data(inputs, demand)
    prepared = time.perf_counter()
    model = create_model(data, relax_lots=options.relax_lots)
    built = time.perf_counter()
    report = solve_model(model, options)
    solved = time.perf_counter()
    balance = product_balance(model)
    return {
        "prepare": prepared - started,
        "build": built - prepared,
        "solve": solved - built,
        "variables": model.problem.numVariables(),
        "constraints": model.problem.numConstraints(),
        "moved": sum(transfer_units(model).values()),
        "unmet": float(balance["unmet"].sum()),
        "objective": report.objective,
        "status": report.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--milp", action="store_true", help="Lot rules on (a MILP).")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    inputs, demand = demo_inputs(args.skus)
    variants = {"pooled": pooled(inputs), "sites": inputs}
    options = SolverOptions(
        "highs", relax_lots=not args.milp, time_limit=args.time_limit if args.milp else None
    )
    found: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, variant in variants.items():
            found[name].append(plan_once(variant, demand, options))
    kind = "MILP" if args.milp else "LP"
    print(f"demo company, {args.skus} SKUs, {kind}, {args.repeats} repeats (medians)")
    print(
        f"{'variant':>8} {'prepare s':>10} {'build s':>8} {'solve s':>8} {'vars':>8} "
        f"{'rows':>8} {'moved':>10} {'unmet':>10} {'status':>22}"
    )
    medians = {}
    for name, runs in found.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("prepare", "build", "solve")}
        medians[name] = med
        r = runs[0]
        print(
            f"{name:>8} {med['prepare']:10.3f} {med['build']:8.3f} {med['solve']:8.3f} "
            f"{r['variables']:8d} {r['constraints']:8d} {r['moved']:10.0f} {r['unmet']:10.1f} "
            f"{r['status']:>22}"
        )
    base, new = medians["pooled"], medians["sites"]
    ratios = ", ".join(f"{k} {new[k] / base[k]:.2f}x" for k in ("prepare", "build", "solve"))
    total = sum(new.values()) / sum(base.values())
    print(f"ratio sites / pooled: {ratios}, total {total:.2f}x")


if __name__ == "__main__":
    main()
