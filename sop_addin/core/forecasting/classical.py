"""The classical methods of the M3 winners, on seasonally adjusted data, and their combination.

Every method here follows the M3/M4 benchmark recipe: a 90% autocorrelation test at the
seasonal lag decides whether the series is seasonal; if it is (and positive), a
multiplicative classical decomposition takes the season off, the method forecasts the
adjusted series and the forecast is put back on the season. The members:

- ``ThetaClassic``: statsmodels ``ThetaModel`` (SES with drift, theta = 2), the M3 winner.
- ``DampedSA``: damped-trend exponential smoothing (statsmodels ``ETSModel``).
- ``SesSA`` and ``HoltSA``: simple and Holt exponential smoothing, for Comb S-H-D.
- ``ArimaSA``: a bounded ARIMA(1,1,1) with drift: Hannan-Rissanen estimates (statsmodels),
  AR and MA coefficients held inside (-0.9, 0.9), so it can neither explode nor invert.
- ``Combination`` (median of Theta, damped and ARIMA, in the manner of SCUM) and
  ``CombSHD`` (mean of SES, Holt and damped, the M3 benchmark Comb S-H-D).

A combination's interval is the median (or mean) of its members' bounds. Every member is
guarded: a forecast far outside the history's range (see ``outside_range``) counts as a
failure, and a combination drops such a member with a note.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import ClassVar, Self

import numpy as np

from sop_addin.core.forecasting.models import (
    DEFAULT_LEVEL,
    SEASON,
    ForecastModel,
    Holt,
    HoltDamped,
    SimpleExpSmoothing,
    _as_series,
    _check_h,
    _check_level,
    interval_keys,
    normal_intervals,
)

SEASONALITY_CONFIDENCE = 0.90
GUARD_SPANS = 3.0  # a forecast beyond the history's range by this many ranges is a blow-up
ARMA_BOUND = 0.9


def seasonality_test(y: np.ndarray, season: int) -> bool:
    """The M4 benchmarks' test: is the lag-``season`` autocorrelation significant at 90%?

    The limit is ``z * sqrt((1 + 2 * sum(r_k², k < season)) / n)`` (Bartlett's formula);
    fewer than three seasons of history never count as seasonal.
    """
    n = y.size
    if season < 2 or n < 3 * season:
        return False
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom <= 0:
        return False
    r = np.array([float(np.dot(x[k:], x[: n - k])) / denom for k in range(1, season + 1)])
    z = NormalDist().inv_cdf(0.5 + SEASONALITY_CONFIDENCE / 2)
    limit = z * np.sqrt((1 + 2 * float(np.sum(r[:-1] ** 2))) / n)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray | None:
    """Multiplicative classical decomposition: one index per position, mean 1; or None.

    None when the test finds no season, or when the history is not strictly positive (a
    ratio to a zero level means nothing).
    """
    if (y <= 0).any() or not seasonality_test(y, season):
        return None
    if season % 2 == 0:
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    else:
        weights = np.ones(season) / season
    half = weights.size // 2
    trend = np.convolve(y, weights, mode="valid")
    ratio = y[half : half + trend.size] / trend
    position = (np.arange(trend.size) + half) % season
    index = np.array([ratio[position == k].mean() for k in range(season)])
    if not np.isfinite(index).all() or (index <= 0).any():
        return None
    return index / index.mean()


def outside_range(history: np.ndarray, mean: np.ndarray) -> str:
    """Why a forecast is a numerical blow-up ("" when it is plausible).

    Plausible: within ``GUARD_SPANS`` ranges of the history (the range at least a tenth of
    its mean level) above its maximum or below its minimum. A trend carried 18 months past
    a long history stays well inside; an exploded ETS fit (Nixtla's M4 run: MASE in the
    millions; statsmodels issue 8344) does not.
    """
    if not np.isfinite(mean).all():
        return "non-finite forecast"
    lo, hi = float(history.min()), float(history.max())
    span = max(hi - lo, 0.1 * abs(float(history.mean())), 1e-9)
    top, bottom = float(mean.max()), float(mean.min())
    if top > hi + GUARD_SPANS * span or bottom < lo - GUARD_SPANS * span:
        return (
            f"forecast far outside the history's range ({bottom:.4g} to {top:.4g} "
            f"against {lo:.4g} to {hi:.4g})"
        )
    return ""


class _SeasonallyAdjusted(ForecastModel):
    """A non-seasonal method on the seasonally adjusted history, re-seasonalised after.

    Subclasses set ``inner`` (a model of this package, fitted with ``season=1``) or
    override ``_fit_adjusted`` and ``_predict_adjusted``.
    """

    inner: ClassVar[type[ForecastModel]]
    min_length: ClassVar[int] = 4

    def fit(self, y: np.ndarray) -> Self:
        values = self._varying_history(y)
        self.values_ = values
        self.index_ = seasonal_indices(values, self.season)
        self._fit_adjusted(self._adjust(values))
        return self

    def extend(self, y: np.ndarray) -> Self:
        """Move to a longer history keeping the seasonal indices and the parameters."""
        values = _as_series(y, self.min_months(self.season))
        self.values_ = values
        self._extend_adjusted(self._adjust(values))
        return self

    def _adjust(self, values: np.ndarray) -> np.ndarray:
        if self.index_ is None:
            return values
        return values / self.index_[_pos(values.size, 0, self.season)]

    def _fit_adjusted(self, adjusted: np.ndarray) -> None:
        self.model_ = self.inner(season=1).fit(adjusted)
        self.notes_ += self.model_.notes_

    def _extend_adjusted(self, adjusted: np.ndarray) -> None:
        self.model_ = self.model_.extend(adjusted)

    def _predict_adjusted(self, h: int, level: Sequence[float]) -> dict[str, np.ndarray]:
        return self.model_.predict(h, level)

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        _check_level(level)
        out = self._predict_adjusted(h, level)
        if self.index_ is None:
            return out
        factor = self.index_[_pos(h, self.values_.size, self.season)]
        return {k: v * factor for k, v in out.items()}


def _pos(h: int, start: int, season: int) -> np.ndarray:
    return (np.arange(h) + start) % season


class ThetaClassic(_SeasonallyAdjusted):
    """The classical Theta method (statsmodels ``ThetaModel``) on the adjusted history.

    The parameters are statsmodels' two-step estimates (the OLS slope of a constant and a
    time trend, and SES started at the first value) with the SES smoothing constant found
    on a grid of 100 values at once instead of by statsmodels' state-space optimiser
    (70 ms a series); statsmodels' ``ThetaModelResults`` then makes the forecast.
    ``extend`` keeps the smoothing constant and the slope for a longer history.
    """

    alias = "theta_classic"
    label = "Theta (classical)"

    def _fit_adjusted(self, adjusted: np.ndarray) -> None:
        self._smooth(adjusted, _ses_alpha(adjusted), None)

    def _smooth(self, adjusted: np.ndarray, alpha: float, b0: float | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

        if b0 is None:
            t = np.arange(adjusted.size, dtype=np.float64)
            design = np.column_stack([np.ones_like(t), t])
            b0 = float(np.linalg.lstsq(design, adjusted, rcond=None)[0][1])
        level, sigma2 = _ses_run(adjusted, alpha)
        model = ThetaModel(adjusted, period=1, deseasonalize=False)
        self.result_ = ThetaModelResults(b0, alpha, sigma2, level, np.zeros(1), False, model)
        self.alpha_, self.b0_, self.sigma2_ = alpha, b0, sigma2

    def _extend_adjusted(self, adjusted: np.ndarray) -> None:
        self._smooth(adjusted, self.alpha_, self.b0_)

    def _predict_adjusted(self, h: int, level: Sequence[float]) -> dict[str, np.ndarray]:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mean = np.asarray(self.result_.forecast(h), dtype=np.float64)
        if not level:
            return {"mean": mean}
        # The variance grows as in ThetaModelResults.prediction_intervals, with sigma² from
        # the SES one-step errors (statsmodels refits a SARIMAX for it).
        alpha = self.alpha_
        sigma_h = np.sqrt(self.sigma2_ * (1 + np.arange(h) * (1 + (alpha - 1) ** 2)))
        return normal_intervals(mean, sigma_h, level)


_ALPHAS = np.linspace(0.01, 1.0, 100)


def _ses_alpha(y: np.ndarray) -> float:
    """The SES smoothing constant (level started at ``y[0]``) with the least squared error."""
    level = np.full(_ALPHAS.size, y[0])
    sse = np.zeros(_ALPHAS.size)
    for v in y[1:]:
        e = v - level
        sse += e * e
        level += _ALPHAS * e
    return float(_ALPHAS[int(np.argmin(sse))])


def _ses_run(y: np.ndarray, alpha: float) -> tuple[float, float]:
    """SES with a given constant: the next-month level and the mean squared one-step error."""
    level = float(y[0])
    total = 0.0
    for v in y[1:]:
        e = float(v) - level
        total += e * e
        level += alpha * e
    return level, total / max(y.size - 1, 1)


class DampedSA(_SeasonallyAdjusted):
    """Damped-trend exponential smoothing on the adjusted history."""

    alias = "damped_sa"
    label = "damped trend (seasonally adjusted)"
    inner = HoltDamped


class SesSA(_SeasonallyAdjusted):
    """Simple exponential smoothing on the adjusted history."""

    alias = "ses_sa"
    label = "SES (seasonally adjusted)"
    min_length = 3
    inner = SimpleExpSmoothing


class HoltSA(_SeasonallyAdjusted):
    """Holt's linear trend on the adjusted history."""

    alias = "holt_sa"
    label = "Holt (seasonally adjusted)"
    inner = Holt


class ArimaSA(_SeasonallyAdjusted):
    """A bounded ARIMA(1,1,1) with drift on the adjusted history.

    Hannan-Rissanen (two least-squares regressions, statsmodels) estimates the ARMA(1,1)
    of the differences around their mean; the coefficients are clipped into (-0.9, 0.9),
    which keeps the model stationary and invertible, so it cannot explode. The forecast and
    its variance are the closed forms of an ARIMA(1,1,1) (psi weights); a full likelihood
    fit per series is 20-60x slower for no measured gain. ``extend`` keeps the coefficients.
    """

    alias = "arima_sa"
    label = "ARIMA(1,1,1) with drift (seasonally adjusted)"
    min_length = 8

    def _fit_adjusted(self, adjusted: np.ndarray) -> None:
        from statsmodels.tsa.arima.estimators.hannan_rissanen import hannan_rissanen

        d = np.diff(adjusted)
        mu = float(d.mean())
        ar = ma = 0.0
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                p, _ = hannan_rissanen(d - mu, ar_order=1, ma_order=1, demean=False)
                ar, ma = float(p.ar_params[0]), float(p.ma_params[0])
            except (ValueError, IndexError, np.linalg.LinAlgError):
                ar = ma = 0.0
        if not (np.isfinite(ar) and np.isfinite(ma)):
            ar = ma = 0.0
        self.ar_ = float(np.clip(ar, -ARMA_BOUND, ARMA_BOUND))
        self.ma_ = float(np.clip(ma, -ARMA_BOUND, ARMA_BOUND))
        self.mu_ = mu
        self._filter(adjusted)

    def _filter(self, adjusted: np.ndarray) -> None:
        d = np.diff(adjusted) - self.mu_
        e = _arma_residuals(d, self.ar_, self.ma_)
        self.sigma2_ = float(np.mean(e**2)) if e.size else float(np.var(d))
        self.last_level_ = float(adjusted[-1])
        self.last_diff_ = float(d[-1]) if d.size else 0.0
        self.last_error_ = float(e[-1]) if e.size else 0.0

    def _extend_adjusted(self, adjusted: np.ndarray) -> None:
        self._filter(adjusted)

    def _predict_adjusted(self, h: int, level: Sequence[float]) -> dict[str, np.ndarray]:
        ar, ma = self.ar_, self.ma_
        # Differences (around mu): x(1) = ar * x_T + ma * e_T, then x(k) = ar * x(k - 1).
        first = ar * self.last_diff_ + ma * self.last_error_
        diffs = self.mu_ + first * ar ** np.arange(h)
        mean = self.last_level_ + np.cumsum(diffs)
        if not level:
            return {"mean": mean}
        # psi weights of the ARMA(1,1): 1, (ar + ma), (ar + ma) ar, ...; the level sums the
        # differences, so its weights are their cumulative sums.
        psi = np.r_[1.0, (ar + ma) * ar ** np.arange(h - 1)]
        big_psi = np.cumsum(psi)
        sigma_h = np.sqrt(self.sigma2_ * np.cumsum(big_psi**2))
        return normal_intervals(mean, sigma_h, level)


def _arma_residuals(x: np.ndarray, ar: float, ma: float) -> np.ndarray:
    """One-step residuals of a zero-mean ARMA(1,1), the first one taken as x[0]."""
    e = np.zeros(x.size)
    if x.size:
        e[0] = x[0]
    for t in range(1, x.size):
        e[t] = x[t] - ar * x[t - 1] - ma * e[t - 1]
    return e


class Combination(ForecastModel):
    """The median of a few strong members' forecasts and bounds (in the manner of SCUM).

    A member that fails or blows up (see ``outside_range``) is left out with a note; with
    fewer than two members left, the combination fails and the engine falls back.
    """

    alias = "combination"
    label = "combination (median of Theta, damped trend, ARIMA)"
    members: ClassVar[tuple[type[ForecastModel], ...]] = (ThetaClassic, DampedSA, ArimaSA)
    aggregate: ClassVar[str] = "median"
    min_length: ClassVar[int] = 8

    def fit(self, y: np.ndarray) -> Self:
        values = _as_series(y, self.min_months(self.season))
        self.notes_ = []
        self.values_ = values
        self.fitted_: list[ForecastModel] = []
        for cls in self.members:
            try:
                model = cls(season=self.season).fit(values)
                why = outside_range(values, model.predict(18, ())["mean"])
                if why:
                    raise ValueError(why)
            except Exception as exc:  # a member failing leaves the others to combine
                self.notes_.append(f"{cls.label} left out of the combination: {_first_line(exc)}")
                continue
            self.fitted_.append(model)
        if len(self.fitted_) < 2:
            msg = "fewer than two members could be fitted"
            raise ValueError(msg)
        return self

    def predict(self, h: int, level: Sequence[float] = DEFAULT_LEVEL) -> dict[str, np.ndarray]:
        _check_h(h)
        _check_level(level)
        outs = [m.predict(h, level) for m in self.fitted_]
        combine = np.median if self.aggregate == "median" else np.mean
        return {k: combine(np.vstack([o[k] for o in outs]), axis=0) for k in interval_keys(level)}


class CombSHD(Combination):
    """The mean of SES, Holt and damped trend on the adjusted history (Comb S-H-D, M3)."""

    alias = "comb_shd"
    label = "Comb S-H-D (mean of SES, Holt, damped trend)"
    members = (SesSA, HoltSA, DampedSA)
    aggregate = "mean"
    min_length = 4


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:100]


CLASSICAL_CLASSES: tuple[type[ForecastModel], ...] = (
    ThetaClassic,
    DampedSA,
    SesSA,
    HoltSA,
    ArimaSA,
    Combination,
    CombSHD,
)
_ = SEASON  # the default season of every model comes from models.SEASON
