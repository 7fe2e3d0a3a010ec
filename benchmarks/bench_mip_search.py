"""Where the lot-size MILP's solve time goes: every solver call of the plan, logged.

Plans the demo company (`--seeds`: demo_inputs, last year's sales as the demand) or a planned
workbook (`--workbook`: its inputs and the demand `sop run` plans against, consensus or
forecast) `--repeats` times in this process, each time from freshly prepared data, with
mip_search.run_solver and the other planning modules' run_solver wrapped. Prints one JSON line
per plan: wall seconds of solve_plan, status, cost gap and bound, the unmet-demand value and
units, LP seconds and count, and each MIP call (who called it, seconds, HiGHS's words,
objective, bound). With `--calls` every call follows, one line each.

The time of HiGHS's root heuristics moves with roundoff (mip_search._search_in_attempts): run
several repeats and seeds before comparing.

Usage: python benchmarks/bench_mip_search.py [--skus 40] [--seeds 7 1 2 3] [--workbook X.xlsx]
           [--repeats 1] [--time-limit S] [--calls]
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from benchmarks.demo_inputs import demo_inputs
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning import (
    SolverOptions,
    cost_rounding,
    kept_start,
    mip_search,
    prepare_planning_data,
    relax_fix,
    solve_plan,
    solvers,
    stages,
)

MODULES = (stages, mip_search, kept_start, relax_fix, cost_rounding)  # they import run_solver


def logged_solver(calls: list[dict[str, Any]]) -> Callable[..., solvers.SolverRun]:
    """run_solver, appending each call (its callers, MIP or LP, what it found) to `calls`."""
    real = solvers.run_solver

    def run(problem: Any, options: SolverOptions, mip: bool, *args: Any, **kwargs: Any) -> Any:
        found = real(problem, options, mip, *args, **kwargs)
        callers = "/".join(frame.function for frame in inspect.stack()[1:4])
        calls.append(
            {
                "who": callers,
                "mip": mip,
                "seconds": round(found.seconds, 3),
                "reason": found.reason,
                "objective": found.objective,
                "bound": found.bound,
                "nodes": found.nodes,
            }
        )
        return found

    return run


def workbook_inputs(path: str) -> tuple[PlanInputs, pd.DataFrame]:
    """A workbook's inputs and the demand Run Plan plans against (actions/plan.py)."""
    from sop_addin.actions.plan_demand import plan_demand
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.tables import read_inputs

    port = FilePort.open(path)
    return read_inputs(port), plan_demand(port)


def plan_once(
    source: str,
    inputs: tuple[PlanInputs, pd.DataFrame],
    options: SolverOptions,
    calls: list[dict[str, Any]],
) -> dict[str, Any]:
    calls.clear()
    data = prepare_planning_data(*inputs)
    started = time.perf_counter()
    result = solve_plan(data, options)
    wall = time.perf_counter() - started
    report = result.report
    assert report is not None
    lps = [c for c in calls if not c["mip"]]
    return {
        "source": source,
        "wall": round(wall, 1),
        "status": report.status,
        "gap": report.mip_gap,
        "cost": report.objective,
        "bound": report.best_bound,
        "unmet_value": report.service,
        "unmet_units": round(float(result.balance["unmet"].sum()), 3),
        "reason": report.stop_reason,
        "lp_seconds": round(sum(c["seconds"] for c in lps), 1),
        "lps": len(lps),
        "mips": [
            [c["who"].split("/")[0], c["seconds"], c["reason"], c["objective"], c["bound"]]
            for c in calls
            if c["mip"]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="*", default=[7, 1, 2, 3])
    parser.add_argument("--workbook", action="append", default=[], help="a planned workbook")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--calls", action="store_true", help="print every solver call too")
    args = parser.parse_args()
    calls: list[dict[str, Any]] = []
    for module in MODULES:
        module.run_solver = logged_solver(calls)  # type: ignore[attr-defined]
    options = SolverOptions(time_limit=args.time_limit)
    sources = [(f"workbook {path}", lambda p=path: workbook_inputs(p)) for path in args.workbook]
    sources += [
        (f"demo {args.skus} seed {seed}", lambda s=seed: demo_inputs(args.skus, s))
        for seed in args.seeds
    ]
    for name, load in sources:
        for _ in range(args.repeats):
            print(json.dumps(plan_once(name, load(), options, calls)), flush=True)
            if args.calls:
                for call in calls:
                    print("   ", json.dumps(call))


if __name__ == "__main__":
    main()
