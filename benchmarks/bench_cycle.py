"""Benchmark the headless cycle: wall time and peak memory of `sop demo` and `sop run`.

Runs each command in a fresh process on demo workbooks of 40, 400 and 2000 SKUs and prints
a table with the figures and ratios against the 40-SKU run (the machines are shared and
noisy, so compare ratios within one run). Each size also runs `sop run --lp` (lot rules
relaxed) on a copy of the same workbook: the MILP / LP ratios of wall time and unmet units
are the supply engine's cost of exact lot sizing (issue 14: at most 1.5x and 1.05x at 400).
Peak memory is the main process's maximum resident set; forecasting worker processes (with
--jobs > 1) are reported separately by `--jobs 1` runs where asked.

Usage: python benchmarks/bench_cycle.py [--sizes 40 400 2000] [--jobs N] [--out DIR] [--no-demo]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOP = [sys.executable, "-m", "sop_addin.cli"]


def measure(args: list[str]) -> tuple[float, float, str]:
    """Run a command; return wall seconds, peak RSS in MiB of that process, and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"command failed ({process.returncode}): {' '.join(args)}")
    return elapsed, usage.ru_maxrss / 1024, output  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 400, 2000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None, help="Keep the workbooks here.")
    parser.add_argument("--no-demo", action="store_true", help="Skip timing `sop demo`.")
    options = parser.parse_args()
    work = options.out or Path(tempfile.mkdtemp(prefix="sop-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = ["--jobs", str(options.jobs)]
    print(f"sop-addin cycle benchmark, {os.cpu_count()} cores, --jobs {options.jobs}, in {work}")
    rows = []
    for skus in options.sizes:
        demo_dir = work / f"demo_{skus}"
        wall_demo = rss_demo = float("nan")
        if not options.no_demo:
            wall_demo, rss_demo, _ = measure(
                [*SOP, "demo", "--out", str(demo_dir), "--skus", str(skus), "--json", *jobs]
            )
        fresh = work / f"new_{skus}.xlsx"
        measure([*SOP, "new", str(fresh), "--demo", "--skus", str(skus), "--force"])
        relaxed = work / f"new_{skus}_lp.xlsx"
        shutil.copyfile(fresh, relaxed)
        wall_run, rss_run, out = measure([*SOP, "run", str(fresh), "--json", *jobs])
        run_summary = json.loads(out)
        plan = run_summary["plan"]
        wall_lp, _, out = measure([*SOP, "run", str(relaxed), "--json", "--lp", *jobs])
        lp_plan = json.loads(out)["plan"]
        rows.append(
            {
                "skus": skus,
                "demo_s": wall_demo,
                "demo_mib": rss_demo,
                "run_s": wall_run,
                "run_mib": rss_run,
                "lp_vars": plan["variables"],
                "lp_build_s": plan["build_seconds"],
                "lp_solve_s": plan["solve_seconds"],
                "size_mb": fresh.stat().st_size / 1e6,
                "fill": run_summary["kpis"]["Fill rate"]["value"],
                "status": plan["status"],
                "gap": plan["mip_gap"],
                "lp_run_s": wall_lp,
                "unmet": plan["unmet_units"],
                "lp_unmet": lp_plan["unmet_units"],
                "lp_plan_s": lp_plan["build_seconds"] + lp_plan["solve_seconds"],
            }
        )
        print(
            f"  {skus} SKUs done: demo {wall_demo:.1f} s, run {wall_run:.1f} s, "
            f"run --lp {wall_lp:.1f} s",
            flush=True,
        )
    base = rows[0]
    header = (
        f"{'SKUs':>6} {'demo s':>8} {'demo MiB':>9} {'run s':>8} {'run MiB':>8} "
        f"{'x time':>7} {'LP vars':>8} {'build s':>8} {'solve s':>8} {'xlsx MB':>8} {'fill %':>7}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['skus']:>6} {r['demo_s']:>8.1f} {r['demo_mib']:>9.0f} {r['run_s']:>8.1f} "
            f"{r['run_mib']:>8.0f} {r['run_s'] / base['run_s']:>7.1f} {r['lp_vars']:>8} "
            f"{r['lp_build_s']:>8.2f} {r['lp_solve_s']:>8.2f} {r['size_mb']:>8.1f} "
            f"{r['fill']:>7.1f}"
        )
    print(f"ratios are against the {base['skus']}-SKU run in this same session")
    print(
        f"{'SKUs':>6} {'MILP s':>8} {'--lp s':>8} {'x wall':>7} {'plan s':>8} {'lp plan s':>10} "
        f"{'unmet':>10} {'lp unmet':>10} {'x unmet':>8} {'gap %':>7}  status"
    )
    for r in rows:
        gap = "n/a" if r["gap"] is None else f"{100 * r['gap']:.2f}"
        print(
            f"{r['skus']:>6} {r['run_s']:>8.1f} {r['lp_run_s']:>8.1f} "
            f"{r['run_s'] / r['lp_run_s']:>7.2f} {r['lp_build_s'] + r['lp_solve_s']:>8.1f} "
            f"{r['lp_plan_s']:>10.1f} {r['unmet']:>10.0f} {r['lp_unmet']:>10.0f} "
            f"{r['unmet'] / max(r['lp_unmet'], 1e-9):>8.3f} {gap:>7}  {r['status']}"
        )
    print("x wall and x unmet: `sop run` (MILP) over `sop run --lp`, same workbook, same session")
    if options.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
