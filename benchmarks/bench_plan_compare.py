"""Compare the supply planner's build and solve time of two source trees in one run.

Each tree (the current one and --base, e.g. an unpacked `git archive` of the commit before a
change) plans bench_plan.py's synthetic companies with PuLP + HiGHS in a fresh process; the runs
alternate (base, new, base, new, ...) so load from other jobs falls on both alike. It prints the
median build and solve seconds per tree and size, the ratios new / base, and checks that both
trees reach the same objective (a change that adds only optional inputs must not move it).

Usage: python benchmarks/bench_plan_compare.py --base /tmp/base [--repeats 3] [--sizes ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ONE_RUN = """
import json, sys, time
sys.path.insert(0, {tree!r})
sys.path.insert(0, {tree!r} + "/benchmarks")
from bench_plan import company
from sop_addin.core.planning import SolverOptions
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.solve import solve_model
size, lots = {size!r}, {lots!r}
data = company(*size, lots=lots)
options = SolverOptions("highs", time_limit=120.0 if lots else None, mip_gap=0.01)
started = time.perf_counter()
model = create_model(data)
built = time.perf_counter()
report = solve_model(model, options)
solved = time.perf_counter()
objective = report.mip_objective if report.mip else report.objective
print(json.dumps({{"build": built - started, "solve": solved - built, "objective": objective}}))
"""


def run_once(tree: Path, size: tuple[int, int, int], lots: bool) -> dict[str, float]:
    """One plan in a fresh process; a failed run (e.g. no MILP plan in the time limit) is NaN."""
    code = ONE_RUN.format(tree=str(tree), size=size, lots=lots)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {tree.name} {size}: failed: {last[:120]}")
        return {"build": math.nan, "solve": math.nan, "objective": math.nan}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="The source tree to compare.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sizes",
        nargs="*",
        default=["50,18,10,lp", "500,18,50,lp", "200,18,20,milp"],
        help="products,periods,resources,lp|milp",
    )
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "new": HERE}
    print(f"{'size':>22} {'tree':>5} {'build s':>8} {'solve s':>8} {'objective':>16}")
    for spec in args.sizes:
        *dims, kind = spec.split(",")
        size = tuple(int(x) for x in dims)
        found: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                found[name].append(run_once(tree, size, kind == "milp"))  # type: ignore[arg-type]
        medians = {}
        for name, runs in found.items():
            # A tree whose every run failed (no MILP plan in time) shows NaN, not a crash.
            builds = [r["build"] for r in runs if not math.isnan(r["build"])]
            solves = [r["solve"] for r in runs if not math.isnan(r["solve"])]
            build = statistics.median(builds) if builds else math.nan
            solve = statistics.median(solves) if solves else math.nan
            medians[name] = (build, solve)
            print(f"{spec:>22} {name:>5} {build:8.3f} {solve:8.3f} {runs[0]['objective']:16.4f}")
        (b0, s0), (b1, s1) = medians["base"], medians["new"]
        objectives = [found["base"][0]["objective"], found["new"][0]["objective"]]
        same = abs(objectives[0] - objectives[1]) <= 1e-6 * max(1.0, abs(objectives[0]))
        print(
            f"{spec:>22} ratio new/base: build {b1 / b0:.2f}x, solve {s1 / s0:.2f}x, "
            f"total {(b1 + s1) / (b0 + s0):.2f}x; same objective: {same}"
        )


if __name__ == "__main__":
    main()
