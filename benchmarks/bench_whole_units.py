"""Benchmark the whole-units step (core/planning/whole_units.py): what rounding production and
purchases to whole packs costs in time and in plan value.

The demo company (pack sizes on valves and controls, bags and rolls for kg and m materials) is
planned against last year's sales by month, with the lot rules relaxed (``--lp``) unless
``--mip`` is given, once with whole units and once with the solver's fractions; each run
``--repeat`` times, the fastest kept (a shared machine's load moves). Printed: the model's
build and solve (both LP stages, or the MILP search and its LPs), the rounding step alone (the
choice of packs, then both LP stages again) and its ratio to build + solve; the whole
solve_plan (tables and explanations included) with and without; and what rounding did (values
rounded, kept, objective and unmet demand before and after).

Usage: python benchmarks/bench_whole_units.py [--skus 400] [--repeat 2] [--mip] [--time-limit S]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.demo_inputs import demo_inputs
from sop_addin.core.planning import PlanResult, SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.solve import solve_model
from sop_addin.core.planning.stages import lp_stages
from sop_addin.core.planning.whole_units import round_to_whole_units


def demo_data(skus: int) -> PlanningData:
    """The demo company planned against last year's sales, month by month."""
    return prepare_planning_data(*demo_inputs(skus))


def timed(data: PlanningData, options: SolverOptions, repeat: int) -> tuple[float, PlanResult]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = solve_plan(data, options)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def step_times(data: PlanningData, options: SolverOptions, repeat: int) -> tuple[float, float]:
    """Fastest build + solve, and fastest rounding step (choice and LPs again), in seconds."""
    solve, rounding = float("inf"), float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        model = create_model(data, relax_lots=options.relax_lots)
        report = solve_model(model, options)
        solved = time.perf_counter()
        round_to_whole_units(model, report, lambda m=model: lp_stages(m, options))
        solve = min(solve, solved - started)
        rounding = min(rounding, time.perf_counter() - solved)
    return solve, rounding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--mip", action="store_true", help="enforce the lot rules (MILP)")
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    data = demo_data(args.skus)
    common = {"relax_lots": not args.mip, "time_limit": args.time_limit}
    solve_s, rounding_s = step_times(data, SolverOptions(**common), args.repeat)
    plain_s, plain = timed(data, SolverOptions(whole_units=False, **common), args.repeat)
    whole_s, whole = timed(data, SolverOptions(whole_units=True, **common), args.repeat)
    report = whole.report
    assert report is not None and report.whole_units is not None
    rounding = report.whole_units
    kind = "MILP" if args.mip else "LP (--lp)"
    print(f"demo company, {args.skus} SKUs, {len(data.months)} months, {kind}")
    print(f"  variables {plain.variables:,}, constraints {plain.constraints:,}")
    print(f"  model build + solve      {solve_s:7.2f} s")
    print(f"  rounding step            {rounding_s:7.2f} s   ({rounding_s / solve_s:.2f}x of it)")
    print(f"  ratio with / without     {(solve_s + rounding_s) / solve_s:7.2f}x")
    print(f"  solve_plan, fractional   {plain_s:7.2f} s (tables and explanations included)")
    print(f"  solve_plan, whole units  {whole_s:7.2f} s   ratio {whole_s / plain_s:.2f}x")
    print(f"  {rounding.note()}")
    cost = rounding.objective_after - rounding.objective_before
    share = cost / rounding.objective_before if rounding.objective_before else 0.0
    print(
        f"  objective (buffers and cost) {rounding.objective_before:,.2f} -> "
        f"{rounding.objective_after:,.2f} ({100 * share:+.3f}%)"
    )
    print(f"  unmet demand value {rounding.service_before:,.2f} -> {rounding.service_after:,.2f}")
    before, after = plain.balance["unmet"].sum(), whole.balance["unmet"].sum()
    lost, demand = after - before, plain.balance["demand"].sum()
    print(f"  unmet units {before:,.1f} -> {after:,.1f}")
    print(f"  ({lost:+,.1f} units, {100 * lost / demand:+.4f}% of {demand:,.0f} demanded)")


if __name__ == "__main__":
    main()
