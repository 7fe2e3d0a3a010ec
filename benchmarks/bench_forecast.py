"""Benchmark the forecasting engine against statsforecast AutoETS and seasonal naive.

Synthetic panels of monthly series (48 months: level, trend, seasonality of varying
shape and strength, noise; 10% intermittent). The last 6 months are held out; each method
forecasts them from the first 42 on the same cores, and the script prints series per
second, MASE (scaled by the in-sample seasonal naive error, as in M4) and sMAPE for each,
then the ratios of our engine to AutoETS. Each method runs in a fresh process, so none
inherits another's imports or threads. CPU seconds (this process and its finished
workers) are printed too: on a shared machine the wall clock depends on what else runs,
the CPU time much less. Each method is warmed up once on a small panel
first (imports, numba compilation), so the timings compare steady-state throughput; our
engine's timing includes starting its worker processes, which every real run pays.

statsforecast is a benchmark-only dependency: ``pip install -e .[bench]``.

Usage: python benchmarks/bench_forecast.py [--sizes 100 1000] [--jobs N] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# One BLAS thread in this process too (the workers get theirs from the engine); both
# engines then use exactly ``--jobs`` cores.
for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

import resource  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sop_addin.core.forecasting.metrics import naive_scale, smape  # noqa: E402
from sop_addin.core.forecasting.panel import forecast_panel  # noqa: E402

HOLDOUT = 6
MONTHS = 48
SEASON = 12


def synthetic_panel(n: int, seed: int) -> pd.DataFrame:
    """``n`` monthly series of 48 months; every tenth one intermittent."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS, dtype=np.float64)
    ds = pd.date_range("2021-01-01", periods=MONTHS, freq="MS")
    frames = []
    for i in range(n):
        if i % 10 == 0:
            # Intermittent: Bernoulli occurrences with gamma-sized demand.
            p = rng.uniform(0.15, 0.5)
            y = rng.binomial(1, p, MONTHS) * np.ceil(rng.gamma(2.0, rng.uniform(2, 20), MONTHS))
        else:
            level = rng.uniform(50, 1000)
            trend = rng.normal(0, 0.01) * level * t
            amplitude = rng.uniform(0, 0.35) * level
            phase = rng.uniform(0, 2 * np.pi)
            shape = np.sin(2 * np.pi * t / SEASON + phase)
            shape += rng.uniform(0, 0.5) * np.sin(4 * np.pi * t / SEASON + 2 * phase)
            season = amplitude * shape
            if rng.random() < 0.3:  # a season that scales with the level
                season *= (level + trend) / level
            noise = rng.normal(0, rng.uniform(0.03, 0.2) * level, MONTHS)
            y = np.maximum(np.round(level + trend + season + noise), 0.0)
        frames.append(pd.DataFrame({"unique_id": f"s{i:04d}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def split(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = panel["ds"].sort_values().unique()[-HOLDOUT]
    return panel[panel["ds"] < cut], panel[panel["ds"] >= cut]


def scores(
    train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, column: str
) -> tuple[float, float]:
    """Mean MASE and mean sMAPE over the series."""
    merged = test.merge(forecast[["unique_id", "ds", column]], on=["unique_id", "ds"])
    if len(merged) != len(test):
        msg = f"{column}: {len(test) - len(merged)} holdout rows have no forecast"
        raise SystemExit(msg)
    history = {u: g["y"].to_numpy() for u, g in train.groupby("unique_id", sort=False)}
    mases, smapes = [], []
    for uid, g in merged.groupby("unique_id", sort=False):
        actual, fc = g["y"].to_numpy(), g[column].to_numpy()
        scale = naive_scale(history[uid], SEASON)
        mases.append(float(np.mean(np.abs(actual - fc))) / scale if scale > 0 else 0.0)
        smapes.append(smape(actual, fc))
    return float(np.mean(mases)), float(np.mean(smapes))


def ours(train: pd.DataFrame, jobs: int) -> pd.DataFrame:
    out, _ = forecast_panel(train, HOLDOUT, jobs=jobs)
    return out.rename(columns={"mean": "ours"})


def statsforecast_models(name: str) -> Callable[[pd.DataFrame, int], pd.DataFrame]:
    def run(train: pd.DataFrame, jobs: int) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, SeasonalNaive

        model = AutoETS(season_length=SEASON) if name == "AutoETS" else SeasonalNaive(SEASON)
        sf = StatsForecast(models=[model], freq="MS", n_jobs=jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = sf.forecast(df=train, h=HOLDOUT)
        return out.reset_index() if "unique_id" not in out.columns else out

    return run


METHODS: dict[str, tuple[str, Callable[[pd.DataFrame, int], pd.DataFrame]]] = {
    "sop-addin auto": ("ours", ours),
    "statsforecast AutoETS": ("AutoETS", statsforecast_models("AutoETS")),
    "seasonal naive": ("SeasonalNaive", statsforecast_models("SeasonalNaive")),
}


def measure_one(label: str, n: int, jobs: int, seed: int) -> dict[str, float]:
    """Warm up, then time one method on one panel (in this process and its workers)."""
    column, run = METHODS[label]
    warm_train, _ = split(synthetic_panel(20, seed=seed + 99))
    run(warm_train, jobs)
    train, test = split(synthetic_panel(n, seed=seed))
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    forecast = run(train, jobs)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    mase_, smape_ = scores(train, test, forecast, column)
    return {"seconds": seconds, "cpu": cpu, "mase": mase_, "smape": smape_}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", choices=list(METHODS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.sizes[0], args.jobs, args.seed)))
        return

    print(f"{MONTHS} months per series, {HOLDOUT}-month holdout, jobs={args.jobs}")
    print("each method runs in a fresh process (its own imports, threads and workers)")
    header = f"{'series':>6}  {'method':<22} {'series/s':>9} {'seconds':>8} {'MASE':>7}"
    header += f" {'sMAPE':>7} {'CPU s':>8} {'series/CPU-s':>9}"
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        figures: dict[str, tuple[float, float, float, float]] = {}
        for label in METHODS:
            command = [sys.executable, __file__, "--one", label, "--sizes", str(n)]
            command += ["--jobs", str(args.jobs), "--seed", str(args.seed)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{label} failed:\n{done.stderr}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            seconds, cpu = r["seconds"], r["cpu"]
            figures[label] = (n / seconds, r["mase"], r["smape"], n / max(cpu, 1e-9))
            print(
                f"{n:>6}  {label:<22} {n / seconds:>9.1f} {seconds:>8.2f} "
                f"{r['mase']:>7.3f} {r['smape']:>7.2f} {cpu:>8.2f} {n / max(cpu, 1e-9):>9.1f}",
                flush=True,
            )
        speed, mase_o, smape_o, per_cpu = figures["sop-addin auto"]
        speed_e, mase_e, smape_e, per_cpu_e = figures["statsforecast AutoETS"]
        mase_n = figures["seasonal naive"][1]
        goal = speed >= speed_e and mase_o <= mase_e
        print(
            f"{n:>6}  ratios ours/AutoETS: throughput {speed / speed_e:.2f}x "
            f"(per CPU-second {per_cpu / per_cpu_e:.2f}x), MASE {mase_o / mase_e:.3f}, "
            f"sMAPE {smape_o / smape_e:.3f}; MASE vs seasonal naive {mase_o / mase_n:.3f}; "
            f"goal met: {'yes' if goal else 'no'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
