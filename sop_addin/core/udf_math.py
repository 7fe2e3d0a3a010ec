"""The figures behind the S&OP worksheet functions (udfs/sop_udfs.py), on plain numbers.

Each function takes clean Python numbers and sequences (the Excel edge has already turned
ranges into them) and returns a number or rows of numbers. They reuse the planning code's
own formulas, so a worksheet function and the plan agree: the forecasting engine and its
models, the accuracy measures of the accuracy report, the safety-stock formula of the
supply plan. Errors are raised as the three kinds the edge turns into Excel errors:
`NotAvailable` (#N/A), `OutOfRange` (#NUM!), ZeroDivisionError (#DIV/0!); any other
ValueError means a value of the wrong kind (#VALUE!).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from sop_addin.core.forecasting.engine import EngineOptions, fit_series
from sop_addin.core.forecasting.metrics import bias, smape, tracking_signal, wmape
from sop_addin.core.forecasting.models import MODELS_BY_ALIAS
from sop_addin.core.forecasting.selection import BacktestSettings
from sop_addin.core.planning.safety_stock import safety_stock as _safety_stock
from sop_addin.core.planning.safety_stock import service_z

MAX_HORIZON = 240
AUTO = "auto"
INTERVAL_KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")


class NotAvailable(ValueError):
    """The figure does not exist for these inputs (too little data, mismatched ranges)."""


class OutOfRange(ValueError):
    """A number outside what the formula accepts (a negative spread, a 120% service level)."""


def _non_negative(name: str, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        msg = f"{name} must be a number of at least 0, got {value}"
        raise OutOfRange(msg)
    return value


def _z(service_level: float) -> float:
    try:
        return service_z(service_level)
    except ValueError as exc:
        raise OutOfRange(str(exc)) from exc


def forecast(
    history: Sequence[float],
    horizon: int,
    method: str = AUTO,
    season_length: int = 12,
    intervals: bool = False,
) -> list[list[float]]:
    """Forecast a series: one row per period ahead, [mean] or [mean, lo80, hi80, lo95, hi95].

    ``auto`` lets the forecasting engine choose (cleansing, routing, backtest), as the
    Refresh Forecast button does; any other method is a model alias (``naive``, ``ses``,
    ``holt_winters``, ...). Like the Forecast table, values are never negative and the
    bounds are ordered.
    """
    if not 1 <= horizon <= MAX_HORIZON:
        msg = f"horizon must be 1 to {MAX_HORIZON} periods, got {horizon}"
        raise OutOfRange(msg)
    if season_length < 1:
        msg = f"season length must be at least 1, got {season_length}"
        raise OutOfRange(msg)
    values = np.asarray(history, dtype=np.float64)
    if values.size == 0:
        msg = "the history has no numbers"
        raise NotAvailable(msg)
    key = method.strip().lower()
    if key == AUTO:
        options = EngineOptions(backtest=BacktestSettings(season=season_length))
        try:
            out = fit_series(values, horizon, options).out
        except RuntimeError as exc:  # every model of the chain failed
            raise NotAvailable(str(exc)) from exc
    elif key in MODELS_BY_ALIAS:
        try:
            model = MODELS_BY_ALIAS[key](season=season_length)
            out = model.fit(values).predict(horizon, (80, 95))
        except ValueError as exc:  # e.g. too short a history for this model
            raise NotAvailable(str(exc)) from exc
    else:
        msg = f"unknown method {method!r}: auto or one of {', '.join(sorted(MODELS_BY_ALIAS))}"
        raise ValueError(msg)
    mean = np.maximum(np.asarray(out["mean"], dtype=np.float64), 0.0)
    lo80 = np.clip(out["lo-80"], 0.0, mean)
    lo95 = np.clip(out["lo-95"], 0.0, lo80)
    hi80 = np.maximum(out["hi-80"], mean)
    hi95 = np.maximum(out["hi-95"], hi80)
    columns = [mean, lo80, hi80, lo95, hi95] if intervals else [mean]
    return [[float(c[i]) for c in columns] for i in range(horizon)]


def _mae(actual: np.ndarray, fc: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - fc)))


def _rmse(actual: np.ndarray, fc: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - fc) ** 2)))


def _mape(actual: np.ndarray, fc: np.ndarray) -> float:
    sold = actual != 0
    if not sold.any():
        msg = "MAPE needs at least one period with a non-zero actual"
        raise ZeroDivisionError(msg)
    return float(np.mean(np.abs((actual[sold] - fc[sold]) / actual[sold])))


def _smape(actual: np.ndarray, fc: np.ndarray) -> float:
    return smape(actual, fc) / 100.0  # a fraction, like the others (format the cell as %)


ACCURACY_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "wmape": wmape,
    "mape": _mape,
    "smape": _smape,
    "mae": _mae,
    "rmse": _rmse,
    "bias": bias,
    "tracking_signal": tracking_signal,
}


def accuracy(actual: Sequence[float], forecast: Sequence[float], metric: str = "wmape") -> float:
    """One accuracy measure of a forecast against the actuals (pairs of equal length).

    Percentages come as fractions (0.12 for 12%); bias is positive for over-forecasting.
    """
    if len(actual) != len(forecast):
        msg = f"actual has {len(actual)} values and forecast {len(forecast)}"
        raise NotAvailable(msg)
    if len(actual) == 0:
        msg = "no period has both an actual and a forecast"
        raise ZeroDivisionError(msg)
    measure = ACCURACY_METRICS.get(metric.strip().lower())
    if measure is None:
        msg = f"unknown metric {metric!r}: one of {', '.join(ACCURACY_METRICS)}"
        raise ValueError(msg)
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    return float(measure(a, f))


def safety_stock(
    avg_demand: float,
    sd_demand: float,
    avg_lead_time: float,
    sd_lead_time: float,
    service_level: float,
) -> float:
    """z * sqrt(L * sd_d^2 + d^2 * sd_L^2): the supply plan's formula.

    Demand per period and lead times in the same periods (months, weeks or days).
    """
    d = _non_negative("average demand", avg_demand)
    sd_d = _non_negative("demand standard deviation", sd_demand)
    lead = _non_negative("average lead time", avg_lead_time)
    sd_lead = _non_negative("lead time standard deviation", sd_lead_time)
    return _safety_stock(_z(service_level), d, sd_d, lead, sd_lead)


def reorder_point(
    avg_demand: float,
    sd_demand: float,
    avg_lead_time: float,
    sd_lead_time: float,
    service_level: float,
    review_period: float = 0.0,
) -> float:
    """Demand over the exposure (lead time + review period) plus its safety stock.

    With a review period R (periodic review), the stock must cover L + R periods, and the
    safety stock is taken over the same exposure; R = 0 is the continuous-review point.
    """
    exposure = _non_negative("average lead time", avg_lead_time) + _non_negative(
        "review period", review_period
    )
    buffer = safety_stock(avg_demand, sd_demand, exposure, sd_lead_time, service_level)
    return avg_demand * exposure + buffer


def _per(values: np.ndarray, count: int, what: str, name: str) -> np.ndarray:
    """One figure for every row/column, or one each."""
    values = values.reshape(-1)
    if values.size == 1:
        return np.full(count, float(values[0]))
    if values.size != count:
        msg = f"{count} {what}s need one {name} figure or {count}, got {values.size}"
        raise NotAvailable(msg)
    return values


def capacity_load(
    quantities: Sequence[Sequence[float]],
    hours_per_unit: Sequence[float],
    available_hours: Sequence[float],
    yields: Sequence[float] | None = None,
) -> list[list[float]]:
    """Load of one resource per period: hours needed over hours available (1.0 = full).

    Args:
        quantities: good units per item (rows) and period (columns).
        hours_per_unit: hours per unit: one figure for every item, or one per item row.
        available_hours: one figure for every period, or one per period.
        yields: good share of output (0 to 1], one for all or one per item row; scrap
            needs extra hours. None means no scrap.

    Returns:
        One row with the load of each period.
    """
    q = np.asarray(quantities, dtype=np.float64)
    if q.ndim != 2 or q.size == 0:
        msg = "quantities must be a block of items (rows) by periods (columns)"
        raise NotAvailable(msg)
    items, periods = q.shape
    hours = _per(np.asarray(hours_per_unit, dtype=np.float64), items, "item", "hours per unit")
    good = _per(np.asarray(1.0 if yields is None else yields, np.float64), items, "item", "yields")
    available = _per(np.asarray(available_hours, dtype=np.float64), periods, "period", "hours")
    if (q < 0).any() or (hours < 0).any() or (available < 0).any():
        msg = "quantities, hours and available hours cannot be negative"
        raise OutOfRange(msg)
    if ((good <= 0) | (good > 1)).any():
        msg = "yields must be above 0 and at most 1"
        raise OutOfRange(msg)
    needed = (q * (hours / good)[:, None]).sum(axis=0)
    if (available == 0).any():
        msg = "a period has no available hours"
        raise ZeroDivisionError(msg)
    return [[float(v) for v in needed / available]]
