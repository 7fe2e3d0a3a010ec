"""Route each SKU to a model, fall back when a fit fails, and run the panel.

The statistical baseline of the S&OP demand step. Per SKU: pick a model from how much
history there is and how intermittent it is, try the fallback chain until one model gives
finite numbers, then apply the business rules (lifecycle months forced to 0, no negative
forecasts, ordered bounds) and say in the note why. Nothing here guesses silently.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.models import (
    SEASON,
    ForecastModel,
    HoltDamped,
    HoltWinters,
    MovingAverage,
    Naive,
    SeasonalNaive,
    SimpleExpSmoothing,
)
from sop_addin.core.forecasting.series import SkuSeries, build_series, check_plan_months, label

# Routing thresholds (months of history, share of months without sales).
INTERMITTENT_ZERO_SHARE = 0.4
SEASONAL_MIN_MONTHS = 2 * SEASON
TREND_MIN_MONTHS = SEASON
SMOOTHING_MIN_MONTHS = 3

LEVEL = (80, 95)
VALUE_COLUMNS = ("forecast", "lo80", "hi80", "lo95", "hi95")
_MODEL_KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")  # same order as VALUE_COLUMNS
FORECAST_COLUMNS = ("sku", "family", "region", "month", "model", *VALUE_COLUMNS)
MODELS_COLUMNS = ("sku", "model", "history_months", "zero_share", "note")
NO_MODEL = "none"

ModelFactory = Callable[[], ForecastModel]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ForecastResult:
    """The statistical forecast and, per SKU, which model made it and why.

    Attributes:
        forecast: one row per SKU and plan month: sku, family, region, month, model,
            forecast, lo80, hi80, lo95, hi95.
        models: one row per SKU: sku, model, history_months, zero_share, note.
    """

    forecast: pd.DataFrame
    models: pd.DataFrame


@dataclass(frozen=True)
class Route:
    """The models to try, preferred first, and why this route was taken."""

    chain: tuple[type[ForecastModel], ...]
    reason: str


@dataclass
class SkuForecast:
    """One SKU's forecast over the plan months, before it becomes rows."""

    sku: str
    model: str
    values: dict[str, np.ndarray]  # VALUE_COLUMNS -> one value per plan month
    history_months: int
    zero_share: float
    note: str


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def route(values: np.ndarray) -> Route:
    """The model chain for a (non-empty) monthly history.

    Intermittent demand first, because a smoothing model fitted to mostly zeros
    forecasts noise; then by length: two full years for seasonality, one for a trend.
    """
    n = int(values.size)
    zero_share = float(np.mean(values == 0))
    if zero_share > INTERMITTENT_ZERO_SHARE:
        return Route(
            (MovingAverage,),
            f"intermittent demand: 12-month average ({zero_share:.0%} of months without sales)",
        )
    if n >= SEASONAL_MIN_MONTHS:
        return Route(
            (HoltWinters, HoltDamped, SeasonalNaive, MovingAverage),
            f"{_months(n)} of smooth demand: Holt-Winters (damped trend, monthly seasonality)",
        )
    if n >= TREND_MIN_MONTHS:
        return Route(
            (HoltDamped, SeasonalNaive, MovingAverage),
            f"{_months(n)} of history, under {SEASONAL_MIN_MONTHS} for seasonality: "
            "Holt damped trend",
        )
    if n >= SMOOTHING_MIN_MONTHS:
        return Route(
            (SimpleExpSmoothing, MovingAverage),
            f"{_months(n)} of history (new or short): simple exponential smoothing",
        )
    return Route((Naive, MovingAverage), f"{_months(n)} of history: last value")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def run_chain(
    chain: Sequence[type[ForecastModel]], values: np.ndarray, h: int, invalid: str = ""
) -> tuple[ForecastModel, dict[str, np.ndarray], list[str]]:
    """Fit the first model of the chain that works; the notes say which failed and why.

    Args:
        chain: model classes, preferred first.
        values: the monthly history (finite, as cleaned by ``build_series``).
        h: months to forecast.
        invalid: non-empty when the raw history was unusable: the preferred model counts
            as failed for that reason, and the robust models further down the chain
            work on the cleaned values.

    Returns:
        The fitted model, its prediction, and the notes.

    Raises:
        RuntimeError: when every model failed (the message lists the reasons).
    """
    failures: list[str] = []
    if invalid:
        failures.append(f"{chain[0].label} failed: {invalid}")
        chain = chain[1:] or (MovingAverage,)
    for cls in chain:
        model = cls()
        try:
            model.fit(values)
            out = model.predict(h, LEVEL)
            if not all(np.isfinite(out[k]).all() for k in _MODEL_KEYS):
                msg = "non-finite forecast"
                raise ValueError(msg)
        except Exception as exc:  # any failure of one model hands over to the next one
            failures.append(f"{cls.label} failed: {_reason(exc)}")
            continue
        notes = [*failures, f"used {cls.label}"] if failures else []
        return model, out, notes + model.notes_
    raise RuntimeError("; ".join(failures))


def _zeros(h: int) -> dict[str, np.ndarray]:
    return {c: np.zeros(h) for c in VALUE_COLUMNS}


def _finish(values: dict[str, np.ndarray], active: np.ndarray) -> tuple[dict[str, np.ndarray], str]:
    """Zero the months outside the product's life, clip negatives, order the bounds."""
    for v in values.values():
        v[~active] = 0.0
    negative_mean = int((values["forecast"] < 0).sum())
    negative_bound = any((values[c] < 0).any() for c in VALUE_COLUMNS)
    note = ""
    if negative_mean:
        note = f"negative values clipped to 0 (forecast in {_months(negative_mean)})"
    elif negative_bound:
        note = "negative values clipped to 0 (lower bounds)"
    mean = np.maximum(values["forecast"], 0.0)
    lo80 = np.clip(values["lo80"], 0.0, mean)
    lo95 = np.clip(values["lo95"], 0.0, lo80)
    hi80 = np.maximum(values["hi80"], mean)
    hi95 = np.maximum(values["hi95"], hi80)
    ordered = {"forecast": mean, "lo80": lo80, "hi80": hi80, "lo95": lo95, "hi95": hi95}
    return ordered, note


def forecast_series(series: SkuSeries, months: pd.DatetimeIndex) -> SkuForecast:
    """One SKU's forecast for the plan months, with the note saying how it was made.

    Never raises for bad data: a SKU whose every model failed gets 0 and a note saying
    so, and the rest of the panel carries on.
    """
    h = len(months)
    notes = list(series.notes)
    n = int(series.values.size)
    model_alias = NO_MODEL
    values = _zeros(h)
    try:
        if n == 0:
            if series.invalid:
                notes.append(series.invalid)
            notes.append("no sales history: forecast 0")
        elif not series.active.any():
            notes.append("no plan month inside the product's life: forecast 0")
        else:
            # The history may end before the plan starts (last month not yet booked):
            # forecast across the gap and keep the plan months.
            gap = (months[0].year - series.end.year) * 12 + months[0].month - series.end.month - 1
            chosen = route(series.values)
            notes.append(chosen.reason)
            model, out, chain_notes = run_chain(
                chosen.chain, series.values, gap + h, series.invalid
            )
            notes += chain_notes
            if gap > 0:
                notes.append(
                    f"history ends {label(series.end)}: forecast from {_months(gap)} later"
                )
            model_alias = model.alias
            values = {
                c: out[k][gap:].copy() for c, k in zip(VALUE_COLUMNS, _MODEL_KEYS, strict=True)
            }
    except Exception as exc:  # a bug or an unforeseen input must not stop the panel
        model_alias = NO_MODEL
        values = _zeros(h)
        notes.append(f"forecast failed ({_reason(exc)}): 0 until the history is fixed")
    notes += series.lifecycle_notes
    values, clip_note = _finish(values, series.active)
    if clip_note:
        notes.append(clip_note)
    return SkuForecast(
        sku=series.sku,
        model=model_alias,
        values=values,
        history_months=n,
        zero_share=series.zero_share,
        note="; ".join(notes),
    )


def _forecast_chunk(chunk: list[SkuSeries], months: pd.DatetimeIndex) -> list[SkuForecast]:
    """Worker entry point: a module-level function so it pickles under spawn."""
    return [forecast_series(s, months) for s in chunk]


@contextmanager
def _single_thread_blas_for_children() -> Iterator[None]:
    """One BLAS thread in each worker process started inside this block.

    statsmodels gains nothing from more threads, and workers competing for cores lose.
    BLAS reads these variables when it loads, which in a spawned worker happens before
    any initializer could run, so they are set in the parent while the workers start and
    restored afterwards.
    """
    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_parallel(
    all_series: list[SkuSeries], months: pd.DatetimeIndex, jobs: int, progress: Progress | None
) -> list[SkuForecast]:
    total = len(all_series)
    # Several chunks per worker balance the load and keep the progress bar moving; chunks
    # of at most 50 SKUs keep each report a few seconds apart at worst.
    size = max(1, min(50, math.ceil(total / (jobs * 8))))
    chunks = [all_series[i : i + size] for i in range(0, total, size)]
    results: list[list[SkuForecast]] = [[] for _ in chunks]
    done = 0
    # spawn, not fork: the only method on Windows, and safe in a threaded host like Excel.
    context = multiprocessing.get_context("spawn")
    with (
        _single_thread_blas_for_children(),
        ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context) as pool,
    ):
        futures: dict[Future[list[SkuForecast]], int] = {
            pool.submit(_forecast_chunk, chunk, months): i for i, chunk in enumerate(chunks)
        }
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            done += len(chunks[i])
            if progress is not None:
                progress(done, total)
    return [r for chunk in results for r in chunk]


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _frames(
    products: pd.DataFrame, months: pd.DatetimeIndex, results: list[SkuForecast]
) -> ForecastResult:
    h = len(months)
    n = len(results)

    def text(values: list[str], repeat: int = 1) -> pd.Series:
        return pd.Series(np.repeat(np.array(values, dtype=object), repeat), dtype=object)

    forecast = pd.DataFrame(
        {
            "sku": text([r.sku for r in results], h),
            "family": text([_text(v) for v in products["family"]], h),
            "region": text([_text(v) for v in products["region"]], h),
            "month": pd.Series(np.tile(months.to_numpy(), n)).astype("datetime64[ns]"),
            "model": text([r.model for r in results], h),
            **{
                c: pd.Series(
                    np.concatenate([r.values[c] for r in results]) if n else np.zeros(0),
                    dtype="float64",
                )
                for c in VALUE_COLUMNS
            },
        },
        columns=list(FORECAST_COLUMNS),
    )
    models = pd.DataFrame(
        {
            "sku": text([r.sku for r in results]),
            "model": text([r.model for r in results]),
            "history_months": pd.Series([r.history_months for r in results], dtype="int64"),
            "zero_share": pd.Series([r.zero_share for r in results], dtype="float64"),
            "note": text([r.note for r in results]),
        },
        columns=list(MODELS_COLUMNS),
    )
    return ForecastResult(forecast=forecast, models=models)


def forecast_demand(
    history: pd.DataFrame,
    products: pd.DataFrame,
    months: pd.DatetimeIndex,
    progress: Progress | None = None,
    jobs: int = 1,
) -> ForecastResult:
    """Statistical forecast for every product over the plan months.

    Args:
        history: SalesHistory rows: sku, month, quantity.
        products: Products rows: sku, family, region, lifecycle, launch_month,
            end_of_life_month (NaT when blank). Every product gets a forecast.
        months: the plan months, consecutive month starts.
        progress: called as ``progress(done, total)`` after each SKU (``jobs=1``) or
            each chunk of SKUs (``jobs > 1``).
        jobs: worker processes; 1 runs in this process. Starting workers costs about a
            second (each imports pandas and statsmodels), so more than one pays off from
            a few hundred SKUs.

    Returns:
        The forecast (one row per SKU and plan month) and the model table (one row per
        SKU with the model, the history used and a note saying why).

    Raises:
        ValueError: when a frame lacks a column, a SKU is listed twice, the plan months
            are not consecutive, or ``jobs`` is below 1. Bad values within one SKU's
            history never raise: they are handled and noted.
    """
    if jobs < 1:
        msg = f"jobs must be at least 1, got {jobs}"
        raise ValueError(msg)
    plan = check_plan_months(months)
    all_series = build_series(history, products, plan)
    total = len(all_series)
    if jobs == 1 or total < 2:
        results = []
        for done, series in enumerate(all_series, start=1):
            results.append(forecast_series(series, plan))
            if progress is not None:
                progress(done, total)
    else:
        results = _run_parallel(all_series, plan, jobs, progress)
    return _frames(products, plan, results)
