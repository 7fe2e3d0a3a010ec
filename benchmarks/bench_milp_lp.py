"""Benchmark the lot-size MILP against the LP relaxation (``--lp``) on the same data, in one run.

The demo company at ``--skus`` products is planned against last year's sales by month, first
as the MILP (the default path, its time limit ``--time-limit``, default 120 s), then with the
lot rules relaxed. Printed, one JSON line each: status, SolverReport's reason, seconds of
solve_plan, cost (buffers and cost), its bound and gap, the unmet-demand value and its gap, and
the unmet units; then the ratios MILP / LP of solve seconds, unmet units and cost. Without
``sop`` around it: the forecast, workbook and Monte Carlo of the cycle are bench_cycle.py's.

Usage: python benchmarks/bench_milp_lp.py [--skus 2000] [--time-limit S]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.demo_inputs import demo_inputs
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan


def run(skus: int, relax_lots: bool, time_limit: float | None) -> dict[str, object]:
    data = prepare_planning_data(*demo_inputs(skus))
    started = time.perf_counter()
    result = solve_plan(data, SolverOptions(relax_lots=relax_lots, time_limit=time_limit))
    seconds = time.perf_counter() - started
    report = result.report
    assert report is not None
    return {
        "skus": skus,
        "path": "lp" if relax_lots else "milp",
        "status": report.status,
        "reason": report.stop_reason,
        "seconds": round(seconds, 1),
        "cost": report.objective,
        "bound": report.best_bound,
        "gap": report.mip_gap,
        "unmet_value": report.service,
        "unmet_value_gap": report.service_gap,
        "unmet_units": float(result.balance["unmet"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    milp = run(args.skus, False, args.time_limit)
    print(json.dumps(milp), flush=True)
    lp = run(args.skus, True, None)
    print(json.dumps(lp), flush=True)

    def ratio(key: str) -> float:
        return round(float(milp[key]) / float(lp[key]), 3)  # type: ignore[arg-type]

    ratios = {"x_seconds": ratio("seconds"), "x_unmet_units": ratio("unmet_units")}
    print(json.dumps({"skus": args.skus, **ratios, "x_cost": ratio("cost")}))


if __name__ == "__main__":
    main()
