"""Routing: which candidate models a history goes to, and the fallback chain behind them.

Intermittent and lumpy demand go to the Croston family, because a smoothing model fitted
to mostly zeros forecasts noise. Smooth and erratic demand with a year of history go to the
classical methods of the M3 winners on seasonally adjusted data (Theta, damped trend, a
bounded ARIMA) and their median combination, plus the seasonal models when the lag-12
autocorrelation says there is a season; shorter histories get level-only models. Cheap
candidates come first, so a backtest tie goes to the simpler one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sop_addin.core.forecasting.classical import ArimaSA, Combination, DampedSA, ThetaClassic
from sop_addin.core.forecasting.classification import (
    DemandClass,
    Profile,
    adi_cv2,
    classify,
    is_seasonal,
    scales_with_level,
)
from sop_addin.core.forecasting.models import (
    SBA,
    SEASON,
    TSB,
    Croston,
    ForecastModel,
    Holt,
    HoltDamped,
    HoltWinters,
    HoltWintersMultiplicative,
    MovingAverage,
    Naive,
    Sarima,
    SeasonalNaive,
    SimpleExpSmoothing,
)
from sop_addin.core.forecasting.types import EngineOptions, Route, months_text

# Routing thresholds (months of history).
TREND_MIN_MONTHS = SEASON
SMOOTHING_MIN_MONTHS = 3
CLASSICAL = (ThetaClassic, DampedSA, ArimaSA, Combination)


def unique(classes: Sequence[type[ForecastModel]]) -> tuple[type[ForecastModel], ...]:
    """The classes in order, each once."""
    return tuple(dict.fromkeys(classes))


def profile_for(values: np.ndarray, season: int) -> Profile:
    """Class, ADI, CV² and seasonality of one history for a given season length."""
    adi, cv2 = adi_cv2(values)
    return Profile(classify(values), adi, cv2, season > 1 and is_seasonal(values, season))


def route(values: np.ndarray, options: EngineOptions | None = None) -> Route:
    """The candidate models and fallback chain for a (non-empty) history."""
    options = options or EngineOptions()
    n = int(values.size)
    m = options.season
    prof = profile_for(values, m)
    cls_ = prof.demand_class
    tail: tuple[type[ForecastModel], ...] = (MovingAverage, Naive)
    if n < SMOOTHING_MIN_MONTHS:
        cands: tuple[type[ForecastModel], ...] = (Naive, MovingAverage)
        reason = f"{months_text(n)} of history: last value"
    elif cls_ is DemandClass.INTERMITTENT:
        cands = (Croston, SBA, TSB, MovingAverage)
        reason = f"intermittent demand (ADI {prof.adi:.2f}, CV² {prof.cv2:.2f})"
    elif cls_ is DemandClass.LUMPY:
        cands = (SBA, TSB, MovingAverage)
        reason = f"lumpy demand (ADI {prof.adi:.2f}, CV² {prof.cv2:.2f})"
    elif prof.seasonal:
        cands = (SeasonalNaive, HoltWinters)
        if scales_with_level(values, m):
            cands += (HoltWintersMultiplicative,)
        cands += CLASSICAL
        if options.thorough:
            cands += (Sarima,)
        reason = f"{cls_} seasonal demand, {months_text(n)}"
        tail = (HoltDamped, SeasonalNaive, MovingAverage, Naive)
    elif n >= TREND_MIN_MONTHS:
        cands = (MovingAverage, SimpleExpSmoothing, *CLASSICAL)
        if options.thorough:
            cands += (Holt,)
        reason = f"{cls_} demand, {months_text(n)}, no clear season"
        tail = (HoltDamped, MovingAverage, Naive)
    else:
        cands = (Naive, MovingAverage, SimpleExpSmoothing)
        reason = f"{cls_} demand, {months_text(n)} (new or short)"
    return Route(unique(cands + tail), reason, cands, str(cls_))
