"""The panel runner on a local Dask cluster against local processes: throughput and overhead.

Forecasts the same synthetic panel (``bench_forecast.synthetic_panel``: 48 months, 6 ahead)
with the same number of cores: local worker processes (``jobs``), then a
``distributed.LocalCluster`` of ``jobs`` single-threaded worker processes reached through
its scheduler address, as ``sop forecast --scheduler`` does, then local processes again (the
load of a shared machine changes between runs). Prints series per second, series
per second per core, the overhead ratio (Dask time / processes time) and whether both runs
gave the same numbers. Cluster start-up is timed apart: a real cluster is already running.

Needs ``pip install -e .[distributed]``.

Usage: python benchmarks/bench_dask.py [--series 20000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

import sys  # noqa: E402

import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_forecast import SYNTHETIC_HOLDOUT, synthetic_panel  # noqa: E402

from sop_addin.core.forecasting.panel import forecast_panel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from distributed import LocalCluster

    panel = synthetic_panel(args.series, args.seed)
    cut = panel["ds"].sort_values().unique()[-SYNTHETIC_HOLDOUT]
    train = panel[panel["ds"] < cut]
    n = args.series
    # Warm both paths on a small panel (imports, first fits).
    small = train[train["unique_id"].isin(train["unique_id"].unique()[:20])]
    forecast_panel(small, SYNTHETIC_HOLDOUT, jobs=args.jobs)

    started = time.perf_counter()
    local, _ = forecast_panel(train, SYNTHETIC_HOLDOUT, jobs=args.jobs)
    local_s = time.perf_counter() - started

    started = time.perf_counter()
    with LocalCluster(
        n_workers=args.jobs, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup = time.perf_counter() - started
        forecast_panel(small, SYNTHETIC_HOLDOUT, scheduler=cluster.scheduler_address)
        started = time.perf_counter()
        remote, _ = forecast_panel(train, SYNTHETIC_HOLDOUT, scheduler=cluster.scheduler_address)
        dask_s = time.perf_counter() - started
    # Local processes once more: on a shared machine the load changes between runs, and the
    # two local timings bracket the Dask one.
    started = time.perf_counter()
    forecast_panel(train, SYNTHETIC_HOLDOUT, jobs=args.jobs)
    local_s2 = time.perf_counter() - started
    same = local.equals(remote)
    if not same:
        pd.testing.assert_frame_equal(local, remote)  # shows where they differ
    print(f"{n} series x 42 months, 6 ahead, {args.jobs} cores")
    print(f"{'backend':<22} {'seconds':>8} {'series/s':>9} {'series/s/core':>14}")
    runs = (
        ("local processes", local_s),
        ("Dask LocalCluster", dask_s),
        ("local processes again", local_s2),
    )
    for name, s in runs:
        print(f"{name:<22} {s:>8.1f} {n / s:>9.1f} {n / s / args.jobs:>14.1f}")
    local_mean = (local_s + local_s2) / 2
    print(
        f"overhead ratio Dask / processes (mean of both): {dask_s / local_mean:.3f}; "
        f"cluster start-up "
        f"{startup:.1f} s (not included); same numbers: {'yes' if same else 'no'}"
    )


if __name__ == "__main__":
    main()
