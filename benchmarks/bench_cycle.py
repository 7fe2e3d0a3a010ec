"""Benchmark the headless cycle: wall time and peak memory of `sop demo` and `sop run`.

Runs each command in a fresh process on demo workbooks of 40, 400 and 2000 SKUs and prints
a table with the figures and ratios against the 40-SKU run (the machines are shared and
noisy, so compare ratios within one run). Peak memory is the main process's maximum
resident set; forecasting worker processes (with --jobs > 1) are reported separately by
`--jobs 1` runs where asked.

Usage: python benchmarks/bench_cycle.py [--sizes 40 400 2000] [--jobs N] [--out DIR]
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
    options = parser.parse_args()
    work = options.out or Path(tempfile.mkdtemp(prefix="sop-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = ["--jobs", str(options.jobs)]
    print(f"sop-addin cycle benchmark, {os.cpu_count()} cores, --jobs {options.jobs}, in {work}")
    rows = []
    for skus in options.sizes:
        demo_dir = work / f"demo_{skus}"
        wall_demo, rss_demo, out = measure(
            [*SOP, "demo", "--out", str(demo_dir), "--skus", str(skus), "--json", *jobs]
        )
        summary = json.loads(out)
        planned = demo_dir / "sop_demo.xlsx"
        fresh = work / f"new_{skus}.xlsx"
        measure([*SOP, "new", str(fresh), "--demo", "--skus", str(skus), "--force"])
        wall_run, rss_run, out = measure([*SOP, "run", str(fresh), "--json", *jobs])
        run_summary = json.loads(out)
        plan = run_summary["plan"]
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
                "size_mb": planned.stat().st_size / 1e6,
                "fill": summary["kpis"]["Fill rate"]["value"],
            }
        )
        print(f"  {skus} SKUs done: demo {wall_demo:.1f} s, run {wall_run:.1f} s", flush=True)
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
    if options.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
