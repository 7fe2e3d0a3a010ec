"""Forecast error measures shared by model selection, the accuracy report and the benchmark.

Arrays in, a float out. Each measure states what it does with a zero denominator rather
than returning NaN silently: it returns ``nan`` only where the figure does not exist (no
actuals at all), and callers say so.
"""

from __future__ import annotations

import numpy as np


def naive_scale(history: np.ndarray, season: int = 1) -> float:
    """Mean absolute error of the seasonal naive forecast in sample: MASE's denominator.

    Falls back to the one-step naive when the history is shorter than two seasons, and to
    the mean absolute level when the history is flat (a flat history has no naive error,
    so any error would be infinitely scaled).
    """
    m = season if history.size > season else 1
    if history.size <= m:
        return float(np.mean(np.abs(history))) if history.size else 0.0
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    if scale > 0:
        return scale
    return float(np.mean(np.abs(history)))


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute error over the naive scale; the plain MAE when the scale is 0."""
    mae = float(np.mean(np.abs(actual - forecast)))
    return mae / scale if scale > 0 else mae


def wmape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors over the sum of absolute actuals (weighted MAPE).

    With no actual demand at all it is the mean absolute error (in units), so a forecast
    of 0 for an item that sold nothing scores 0, not NaN.
    """
    total = float(np.sum(np.abs(actual)))
    errors = float(np.sum(np.abs(actual - forecast)))
    return errors / total if total > 0 else errors / max(actual.size, 1)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a month where both are 0 counts as no error."""
    denom = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(
        2 * np.abs(actual - forecast), denom, out=np.zeros_like(denom), where=denom > 0
    )
    return float(100 * np.mean(ratio))


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of (forecast - actual) over the sum of actuals: positive means over-forecast."""
    total = float(np.sum(actual))
    diff = float(np.sum(forecast - actual))
    return diff / total if total > 0 else diff / max(actual.size, 1)


def tracking_signal(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Running sum of errors (actual - forecast) over the mean absolute deviation.

    Beyond ±4 the forecast is persistently biased. 0 when every error is 0.
    """
    errors = actual - forecast
    mad = float(np.mean(np.abs(errors)))
    return float(np.sum(errors)) / mad if mad > 0 else 0.0
