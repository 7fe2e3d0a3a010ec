"""The workbook's statistical forecast: every product over the plan months, as tables.

``forecast_demand`` turns SalesHistory and Products into the Forecast, ForecastModels and
CleansedHistory tables. Per SKU, ``forecast_series`` adds the workbook's rules around the
per-series fit (``fitting.fit_series``): a history that ends before the plan starts is
forecast across the gap, lifecycle months are forced to 0, negatives are clipped and the
bounds ordered, and the note says why. The panel runner (``runner.run_series``) runs it in
this process, in local processes or on a Dask cluster. Nothing here guesses silently.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.classification import DemandClass
from sop_addin.core.forecasting.fitting import finish, fit_series, run_chain, zeros
from sop_addin.core.forecasting.routing import route
from sop_addin.core.forecasting.runner import run_series
from sop_addin.core.forecasting.series import SkuSeries, build_series, check_plan_months, label
from sop_addin.core.forecasting.types import (
    FORECAST_COLUMNS,
    MODEL_KEYS,
    MODELS_COLUMNS,
    NO_MODEL,
    VALUE_COLUMNS,
    EngineOptions,
    ForecastResult,
    Progress,
    Route,
    SkuForecast,
    months_text,
    reason,
)

__all__ = [
    "EngineOptions",
    "ForecastResult",
    "Route",
    "fit_series",
    "forecast_demand",
    "forecast_series",
    "route",
    "run_chain",
]


def forecast_series(
    series: SkuSeries, months: pd.DatetimeIndex, options: EngineOptions | None = None
) -> SkuForecast:
    """One SKU's forecast for the plan months, with the note saying how it was made.

    Never raises for bad data: a SKU whose every model failed gets 0 and a note saying
    so, and the rest of the panel carries on.
    """
    options = options or EngineOptions()
    h = len(months)
    notes = list(series.notes)
    n = int(series.values.size)
    model_alias = NO_MODEL
    values = zeros(h)
    demand_class = str(DemandClass.NONE) if n == 0 else ""
    score = math.nan
    cleansed: np.ndarray | None = None
    outlier: np.ndarray | None = None
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
            fitted = fit_series(series.values, gap + h, options, series.invalid, series.bad)
            notes += fitted.notes
            demand_class, score = fitted.demand_class, fitted.score
            cleansed, outlier = fitted.cleansed, fitted.outlier
            if gap > 0:
                notes.append(
                    f"history ends {label(series.end)}: forecast from {months_text(gap)} later"
                )
            model_alias = fitted.alias
            values = {
                c: fitted.out[k][gap:].copy()
                for c, k in zip(VALUE_COLUMNS, MODEL_KEYS, strict=True)
            }
    except Exception as exc:  # a bug or an unforeseen input must not stop the panel
        model_alias = NO_MODEL
        values = zeros(h)
        notes.append(f"forecast failed ({reason(exc)}): 0 until the history is fixed")
    notes += series.lifecycle_notes
    values, clip_note = finish(values, series.active)
    if clip_note:
        notes.append(clip_note)
    return SkuForecast(
        sku=series.sku,
        model=model_alias,
        values=values,
        history_months=n,
        zero_share=series.zero_share,
        note="; ".join(notes),
        demand_class=demand_class,
        backtest_error=score,
        cleansed=cleansed,
        outlier=outlier,
    )


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _frames(
    products: pd.DataFrame,
    months: pd.DatetimeIndex,
    results: list[SkuForecast],
    cleansed: pd.DataFrame,
    metric: str,
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
            "demand_class": text([r.demand_class for r in results]),
            "history_months": pd.Series([r.history_months for r in results], dtype="int64"),
            "zero_share": pd.Series([r.zero_share for r in results], dtype="float64"),
            "backtest_metric": text(
                ["" if math.isnan(r.backtest_error) else metric for r in results]
            ),
            "backtest_error": pd.Series([r.backtest_error for r in results], dtype="float64"),
            "note": text([r.note for r in results]),
        },
        columns=list(MODELS_COLUMNS),
    )
    return ForecastResult(forecast=forecast, models=models, cleansed=cleansed)


def _cleansed_frame(all_series: list[SkuSeries], results: list[SkuForecast]) -> pd.DataFrame:
    """The history as used: original next to cleansed, with a flag per month."""
    parts = []
    for series, result in zip(all_series, results, strict=True):
        n = series.values.size
        if n == 0:
            continue
        cleaned = result.cleansed if result.cleansed is not None else series.values
        outlier = result.outlier if result.outlier is not None else np.zeros(n, dtype=bool)
        flag = np.select(
            [series.filled, series.bad, outlier], ["gap", "invalid", "outlier"], default="ok"
        )
        original = np.where(np.isfinite(series.raw), series.raw, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "sku": series.sku,
                    "month": pd.date_range(series.start, periods=n, freq="MS"),
                    "original": original,
                    "cleansed": cleaned,
                    "flag": flag.astype(object),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "sku": pd.Series(dtype=object),
                "month": pd.Series(dtype="datetime64[ns]"),
                "original": pd.Series(dtype="float64"),
                "cleansed": pd.Series(dtype="float64"),
                "flag": pd.Series(dtype=object),
            }
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["month"] = frame["month"].astype("datetime64[ns]")
    return frame


def forecast_demand(
    history: pd.DataFrame,
    products: pd.DataFrame,
    months: pd.DatetimeIndex,
    progress: Progress | None = None,
    jobs: int = 1,
    options: EngineOptions | None = None,
    scheduler: str | None = None,
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
        options: backtest metric and windows, thorough selection, cleansing.
        scheduler: a Dask scheduler address (``tcp://HOST:PORT``) to run on a cluster
            instead of local processes; the numbers are the same.

    Returns:
        The forecast (one row per SKU and plan month) and the model table (one row per
        SKU with the model, the history used and a note saying why).

    Raises:
        ValueError: when a frame lacks a column, a SKU is listed twice, the plan months
            are not consecutive, or ``jobs`` is below 1. Bad values within one SKU's
            history never raise: they are handled and noted.
    """
    plan = check_plan_months(months)
    all_series = build_series(history, products, plan)
    options = options or EngineOptions()
    results = run_series(forecast_series, all_series, (plan, options), jobs, scheduler, progress)
    cleansed = _cleansed_frame(all_series, results)
    return _frames(products, plan, results, cleansed, options.backtest.metric)
