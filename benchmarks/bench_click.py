"""Time from a ribbon click to its first status-bar message, before and after lazy actions.

A click runs `python -c "import sop_addin.excel.ribbon as r; r.on_action(tag)"` in a new
Python (RunPython without the UDF server). Until the first status message ("S&OP:
starting") the planner sees nothing, so what matters is what Python imports before it:
xlwings, the ribbon module and what `on_action` needs. Each measurement is a fresh process
(the operating system's file cache warm, as on the second click of a day); the figure is
measured inside the process, from before `import xlwings` to the moment the ribbon could
set the status bar, plus the whole process's wall time and peak memory.

`--baseline DIR` is a source tree of the version before (e.g. `git archive 6605947 | tar -x
-C /tmp/base`), where the ribbon module imported every action eagerly.

    .venv/bin/python benchmarks/bench_click.py --baseline /tmp/base [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What a click imports before its first status message (on_action's own imports included).
CHILD = """
import json, resource, sys, time
start = time.perf_counter()
import xlwings
xlwings_seconds = time.perf_counter() - start
import sop_addin.excel.ribbon
try:
    import sop_addin.excel.busy, sop_addin.workbook.xlwings_port
except ImportError:  # the version before had no click lock
    import sop_addin.workbook.xlwings_port
seconds = time.perf_counter() - start
heavy = [m for m in ("pandas", "pulp", "scipy.stats", "statsmodels") if m in sys.modules]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "xlwings": xlwings_seconds, "rss_mb": rss,
                  "heavy": heavy, "modules": len(sys.modules)}))
"""


def measure(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    done = subprocess.run(  # cwd: `python -c` puts the current folder first on sys.path
        [sys.executable, "-c", CHILD], env=env, cwd=tree, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    result["wall"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="source tree of the version before")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    trees = {"after (lazy)": ROOT}
    if args.baseline:
        trees = {"before (eager)": args.baseline, **trees}
    medians = {}
    for name, tree in trees.items():
        measure(tree)  # warm the file cache and the .pyc files of the tree
        runs = [measure(tree) for _ in range(args.repeats)]
        first = statistics.median(r["seconds"] for r in runs)
        ours = statistics.median(r["seconds"] - r["xlwings"] for r in runs)
        medians[name] = ours
        print(
            f"{name:15s} to first status: median {first:.2f} s, of which xlwings "
            f"{statistics.median(r['xlwings'] for r in runs):.2f} s and sop-addin {ours:.2f} s "
            f"(min {min(r['seconds'] for r in runs):.2f}, "
            f"max {max(r['seconds'] for r in runs):.2f}); "
            f"process wall {statistics.median(r['wall'] for r in runs):.2f} s; "
            f"peak {statistics.median(r['rss_mb'] for r in runs):.0f} MB; "
            f"{runs[0]['modules']} modules; heavy: {', '.join(runs[0]['heavy']) or 'none'}"
        )
    if len(medians) == 2:
        before, after = medians.values()
        print(f"sop-addin's part, before/after: {before / after:.1f}x")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")


if __name__ == "__main__":
    main()
