"""Benchmark scenarios and risk: scenarios evaluated per minute, Monte Carlo draws per second.

On the demo company at each size: the demo's own scenarios (demand +10% in a region, a
supplier 14 days late, lead times doubled, a resource 30% down, a price cut) plus the base
are each re-planned and re-valued (plan -> finance), timed end to end; then the Monte Carlo
of the base plan is timed. The forecast is computed once per size and not timed. Both the
MILP (lot sizes enforced, the default) and the LP relaxation are measured for scenarios.

Usage: python benchmarks/bench_scenarios.py [--sizes 40 400] [--draws 2000] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sop_addin.core.demo_company import generate_demo
from sop_addin.core.forecasting import forecast_demand
from sop_addin.core.planning import SolverOptions
from sop_addin.core.risk import RiskOptions, monte_carlo
from sop_addin.core.scenarios import run_scenarios, scenario_names
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 400])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=60.0, help="Seconds per solve.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sop-bench-scenarios-"))
    print(f"sop-addin scenarios and risk benchmark, {os.cpu_count()} cores")
    header = (
        f"{'SKUs':>5} {'mode':>5} {'plans':>5} {'seconds':>8} {'scen/min':>9} "
        f"{'draws':>6} {'MC s':>6} {'draws/s':>9}"
    )
    print(header)
    for skus in options.sizes:
        path = create_workbook(work / f"demo_{skus}.xlsx", generate_demo(skus=skus))
        inputs = read_inputs(FilePort.open(path))
        forecast = forecast_demand(
            inputs["SalesHistory"], inputs["Products"], inputs.months, jobs=options.jobs
        ).forecast
        demand = forecast.rename(columns={"forecast": "quantity"})[
            ["sku", "month", "quantity", "lo80", "hi80"]
        ]
        table = inputs["Scenarios"]
        plans = len(scenario_names(table)) + 1
        mc_figures = ""
        for mode, relax in (("MILP", False), ("LP", True)):
            solver = SolverOptions(time_limit=options.time_limit, relax_lots=relax)
            started = time.perf_counter()
            _, outcomes = run_scenarios(inputs, demand, table, solver)
            seconds = time.perf_counter() - started
            if not mc_figures:
                balance = outcomes["base"].plan.balance
                monte_carlo(inputs, balance, forecast, RiskOptions(draws=50))  # warm up
                started = time.perf_counter()
                monte_carlo(inputs, balance, forecast, RiskOptions(draws=options.draws))
                mc_seconds = time.perf_counter() - started
                mc_figures = (
                    f"{options.draws:>6} {mc_seconds:>6.2f} {options.draws / mc_seconds:>9,.0f}"
                )
            print(
                f"{skus:>5} {mode:>5} {plans:>5} {seconds:>8.1f} {60 * plans / seconds:>9.1f} "
                f"{mc_figures if mode == 'MILP' else ''}",
                flush=True,
            )


if __name__ == "__main__":
    main()
