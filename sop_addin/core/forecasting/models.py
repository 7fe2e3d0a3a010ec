"""Forecasting models: one contract for every model, so the engine can route and fall back.

Every model follows the statsforecast shape: ``__init__`` stores and checks
hyperparameters, ``fit(y)`` sets the fitted state (trailing underscore) and returns
``self``, ``predict(h, level)`` returns the mean and the interval bounds as arrays of
length ``h`` under the keys ``"mean"``, ``"lo-80"``, ``"hi-80"``, ``"lo-95"``, ``"hi-95"``.
Each model carries an ``alias`` (what the Forecast table shows) and a ``label`` (what a
note says). Anything worth telling the planner about a fit (a degraded method, an
optimiser that stopped early) goes into ``notes_``.

Models forecast what the numbers say: they may return negative values. Clipping,
lifecycle rules and fallbacks are the engine's business.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

DEFAULT_LEVEL: tuple[int, ...] = (80, 95)
SEASON = 12


def interval_keys(level: Sequence[float]) -> list[str]:
    """The keys ``predict`` returns for these levels, ``"mean"`` first."""
    keys = ["mean"]
    for lv in level:
        keys += [f"lo-{lv:g}", f"hi-{lv:g}"]
    return keys


def _check_level(level: Sequence[float]) -> None:
    for lv in level:
        if not 0 < lv < 100:
            msg = f"interval level {lv!r} must be between 0 and 100 (a percentage)"
            raise ValueError(msg)


def _check_h(h: int) -> None:
    if h < 1:
        msg = f"forecast horizon must be at least 1 month, got {h}"
        raise ValueError(msg)


def _as_series(y: Any, min_length: int = 1) -> np.ndarray:
    values = np.asarray(y, dtype=np.float64)
    if values.ndim != 1:
        msg = f"expected a 1-D series, got shape {values.shape}"
        raise ValueError(msg)
    if values.size < min_length:
        msg = f"needs at least {min_length} months of history, got {values.size}"
        raise ValueError(msg)
    if not np.isfinite(values).all():
        msg = f"{int((~np.isfinite(values)).sum())} non-finite values in the history"
        raise ValueError(msg)
    return values


def normal_intervals(
    mean: np.ndarray, sigma_h: np.ndarray, level: Sequence[float]
) -> dict[str, np.ndarray]:
    """Symmetric normal intervals ``mean ± z * sigma_h`` for each level."""
    _check_level(level)
    out = {"mean": mean}
    for lv in level:
        z = NormalDist().inv_cdf(0.5 + lv / 200)
        out[f"lo-{lv:g}"] = mean - z * sigma_h
        out[f"hi-{lv:g}"] = mean + z * sigma_h
    return out


def _residual_sigma(errors: np.ndarray) -> float | None:
    """Root mean square of forecast errors, or None when there are none.

    The spread is taken about zero, not about the errors' mean, so a biased method
    gets wider intervals rather than falsely narrow ones.
    """
    if errors.size == 0:
        return None
    return float(np.sqrt(np.mean(errors**2)))


class ForecastModel(ABC):
    """The contract every forecasting model follows."""

    alias: ClassVar[str]
    label: ClassVar[str]

    def __init__(self) -> None:
        self.notes_: list[str] = []

    @abstractmethod
    def fit(self, y: np.ndarray) -> Self:
        """Fit to a monthly history (oldest first); returns self."""

    @abstractmethod
    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        """Mean and interval bounds for the next ``h`` months."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _SimpleModel(ForecastModel):
    """Shared state of the closed-form models: a flat or repeating mean and a sigma."""

    def __init__(self) -> None:
        super().__init__()
        self.sigma_: float = math.nan

    def _sigma_or_scale(self, errors: np.ndarray, scale: float) -> float:
        sigma = _residual_sigma(errors)
        if sigma is None:
            # One month says nothing about spread; an interval as wide as the level itself
            # is honest about that, and it is said.
            self.notes_.append("too little history to measure the spread: interval ±100%")
            return abs(scale)
        return sigma


class Naive(_SimpleModel):
    """The last value, repeated; the interval widens with sqrt(h) like a random walk."""

    alias = "naive"
    label = "naive (last value)"

    def fit(self, y: np.ndarray) -> Self:
        values = _as_series(y)
        self.notes_ = []
        self.last_ = float(values[-1])
        self.sigma_ = self._sigma_or_scale(np.diff(values), self.last_)
        return self

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        steps = np.arange(1, h + 1, dtype=np.float64)
        return normal_intervals(np.full(h, self.last_), self.sigma_ * np.sqrt(steps), level)


class SeasonalNaive(_SimpleModel):
    """The same month one season ago; with less than a season of history, the last value.

    Interval: the root mean square of the seasonal errors ``y[t] - y[t - season]``,
    widened by sqrt(k + 1) where k is the number of whole seasons ahead (Hyndman &
    Athanasopoulos, FPP3 §5.5): months in the first year ahead share one error.
    """

    alias = "seasonal_naive"
    label = "seasonal naive"

    def __init__(self, season: int = SEASON) -> None:
        super().__init__()
        if season < 1:
            msg = f"season must be at least 1, got {season}"
            raise ValueError(msg)
        self.season = season

    def fit(self, y: np.ndarray) -> Self:
        values = _as_series(y)
        self.notes_ = []
        m = self.season
        if values.size < m:
            self.notes_.append(f"fewer than {m} months: seasonal naive is the last value")
            self.pattern_ = values[-1:]
            self.sigma_ = self._sigma_or_scale(np.diff(values), float(values[-1]))
            self.steps_per_season_ = 1  # a random walk: the spread grows every month
            return self
        self.pattern_ = values[-m:]
        errors = values[m:] - values[:-m]
        if errors.size == 0:
            # Exactly one season: no seasonal error yet, so the month-to-month errors
            # stand in for it.
            errors = np.diff(values)
        self.sigma_ = self._sigma_or_scale(errors, float(values.mean()))
        self.steps_per_season_ = m
        return self

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        idx = np.arange(h)
        mean = self.pattern_[idx % self.pattern_.size].astype(np.float64)
        seasons_ahead = idx // self.steps_per_season_ + 1
        return normal_intervals(mean, self.sigma_ * np.sqrt(seasons_ahead), level)

    def __repr__(self) -> str:
        return f"SeasonalNaive(season={self.season})"


class MovingAverage(_SimpleModel):
    """The mean of the last ``window`` months (or of what exists), flat over the horizon.

    Interval: the root mean square of the in-sample one-step errors of the same trailing
    average, widened by sqrt(h). A flat mean's error need not grow, but the level it
    estimates can drift, and for intermittent demand a wider upper bound is the
    cautious side.
    """

    alias = "moving_average"
    label = "moving average"

    def __init__(self, window: int = SEASON) -> None:
        super().__init__()
        if window < 1:
            msg = f"window must be at least 1, got {window}"
            raise ValueError(msg)
        self.window = window

    def fit(self, y: np.ndarray) -> Self:
        values = _as_series(y)
        self.notes_ = []
        self.window_ = min(self.window, values.size)
        self.mean_ = float(values[-self.window_ :].mean())
        # Errors of the trailing average of up to `window` earlier months, one step ahead.
        csum = np.concatenate([[0.0], np.cumsum(values)])
        t = np.arange(1, values.size)
        start = np.maximum(0, t - self.window)
        trailing = (csum[t] - csum[start]) / (t - start)
        self.sigma_ = self._sigma_or_scale(values[1:] - trailing, self.mean_)
        return self

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        steps = np.arange(1, h + 1, dtype=np.float64)
        return normal_intervals(np.full(h, self.mean_), self.sigma_ * np.sqrt(steps), level)

    def __repr__(self) -> str:
        return f"MovingAverage(window={self.window})"


class _ETS(ForecastModel):
    """statsmodels ``ETSModel`` with additive errors: analytic prediction intervals.

    Subclasses fix the trend/seasonal configuration. Warnings are caught here, not in
    the caller: a ``ConvergenceWarning`` becomes a note, numeric noise from degenerate
    likelihoods is dropped (a non-finite result is caught by the engine instead).
    """

    trend: ClassVar[str | None] = None
    damped: ClassVar[bool] = False
    seasonal: ClassVar[str | None] = None
    initialization: ClassVar[str] = "estimated"
    min_length: ClassVar[int] = 3

    def __init__(self, maxiter: int = 200) -> None:
        super().__init__()
        self.maxiter = maxiter

    def fit(self, y: np.ndarray) -> Self:
        from statsmodels.tools.sm_exceptions import ConvergenceWarning
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        values = _as_series(y, self.min_length)
        self.notes_ = []
        if np.ptp(values) == 0:
            # A flat line has no error variance: the likelihood is degenerate and the
            # fit meaningless. A naive model states the same forecast honestly.
            msg = "constant history"
            raise ValueError(msg)
        self.nobs_ = values.size
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            # A pandas Series, not an array: statsmodels 0.15's get_prediction needs an
            # index on the endog to label its result.
            model = ETSModel(
                pd.Series(values),
                error="add",
                trend=self.trend,
                damped_trend=self.damped,
                seasonal=self.seasonal,
                seasonal_periods=SEASON if self.seasonal else None,
                initialization_method=self.initialization,
            )
            self.result_ = model.fit(disp=False, maxiter=self.maxiter)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            self.notes_.append(
                f"{self.label}: optimiser stopped at {self.maxiter} iterations before converging"
            )
        params = np.asarray(self.result_.params, dtype=np.float64)
        if not np.isfinite(params).all():
            msg = "the fit produced non-finite parameters"
            raise ValueError(msg)
        return self

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        _check_level(level)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            pred = self.result_.get_prediction(start=self.nobs_, end=self.nobs_ + h - 1)
        mean = np.asarray(pred.predicted_mean, dtype=np.float64)
        if pred.method != "exact":
            msg = f"expected analytic intervals for an additive-error model, got {pred.method}"
            raise ValueError(msg)
        # For additive errors statsmodels' interval is mean ± z * sqrt(forecast_variance)
        # (PredictionResults.pred_int); computing it here skips building two DataFrames per
        # series, a quarter of the time of a whole fit and predict.
        sigma_h = np.sqrt(np.asarray(pred.forecast_variance, dtype=np.float64))
        return normal_intervals(mean, sigma_h, level)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(maxiter={self.maxiter})"


class SimpleExpSmoothing(_ETS):
    """ETS(A,N,N): a level only, for short histories."""

    alias = "ses"
    label = "simple exponential smoothing"


class HoltDamped(_ETS):
    """ETS(A,Ad,N): level and damped trend, no seasonality (needs two points per state)."""

    alias = "holt_damped"
    label = "Holt damped trend"
    trend = "add"
    damped = True
    min_length = 4


class HoltWinters(_ETS):
    """ETS(A,Ad,A): damped trend and additive monthly seasonality; needs two full years.

    Initial states come from statsmodels' heuristic (a decomposition of the first years)
    rather than being estimated with the smoothing parameters. Measured on 180 synthetic
    trend+season series of 24-48 months: 15x faster (about 190 vs 12 series/s on one
    core), sMAPE within 1-8% of the estimated version, and 80% intervals that cover
    better (estimating 13 initial states from 24-48 points overfits and narrows them).
    """

    alias = "holt_winters"
    label = "Holt-Winters"
    trend = "add"
    damped = True
    seasonal = "add"
    initialization = "heuristic"
    min_length = 2 * SEASON


MODEL_CLASSES: tuple[type[ForecastModel], ...] = (
    Naive,
    SeasonalNaive,
    MovingAverage,
    SimpleExpSmoothing,
    HoltDamped,
    HoltWinters,
)
