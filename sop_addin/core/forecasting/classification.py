"""Demand classification (Syntetos-Boylan): smooth, erratic, intermittent or lumpy.

Two numbers per history: ADI, the average months between demands, and CV², the squared
coefficient of variation of the non-zero demand sizes. The cut-offs 1.32 and 0.49 are
Syntetos, Boylan & Croston (2005): above ADI 1.32 Croston-type methods beat smoothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SEASONALITY_MIN_ACF = 0.3  # autocorrelation at lag 12 of the detrended series
SEASON = 12


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    NONE = "no demand"


@dataclass(frozen=True)
class Profile:
    """What routing needs to know about one history."""

    demand_class: DemandClass
    adi: float
    cv2: float
    seasonal: bool


def adi_cv2(values: np.ndarray) -> tuple[float, float]:
    """ADI (months per demand) and CV² of the non-zero sizes; (inf, 0) without demand."""
    sizes = values[values > 0]
    if sizes.size == 0:
        return float("inf"), 0.0
    adi = values.size / sizes.size
    mean = float(sizes.mean())
    cv2 = float(sizes.std() / mean) ** 2 if sizes.size > 1 else 0.0
    return float(adi), cv2


def classify(values: np.ndarray) -> DemandClass:
    """The class of a monthly history by its ADI and CV²."""
    adi, cv2 = adi_cv2(values)
    if not np.isfinite(adi):
        return DemandClass.NONE
    if adi < ADI_CUTOFF:
        return DemandClass.SMOOTH if cv2 < CV2_CUTOFF else DemandClass.ERRATIC
    return DemandClass.INTERMITTENT if cv2 < CV2_CUTOFF else DemandClass.LUMPY


def is_seasonal(values: np.ndarray, season: int = SEASON) -> bool:
    """True when two seasons exist and the detrended lag-``season`` autocorrelation is high.

    A cheap test (one least-squares line and one correlation) that keeps seasonal models
    out of the candidate set of a series that has no season to fit.
    """
    n = values.size
    if n < 2 * season:
        return False
    t = np.arange(n, dtype=np.float64)
    slope, intercept = np.polyfit(t, values, 1)
    x = values - (slope * t + intercept)
    x = x - x.mean()
    denom = float(np.dot(x, x))
    if denom <= 0:
        return False
    return float(np.dot(x[season:], x[:-season]) / denom) > SEASONALITY_MIN_ACF


def scales_with_level(values: np.ndarray, season: int = SEASON) -> bool:
    """True when the seasonal swing grows or shrinks with the level (a multiplicative season).

    Compares the first and last full seasons: their level ratio against the ratio of their
    spreads. With a level that barely moved (under 20%) the two cannot be told apart and
    the additive season is kept.
    """
    if values.size < 2 * season or (values <= 0).any():
        return False
    first, last = values[:season], values[-season:]
    level = float(last.mean() / first.mean())
    if abs(np.log(level)) < np.log(1.2):
        return False
    s1, s2 = float(first.std()), float(last.std())
    if s1 <= 0 or s2 <= 0:
        return False
    amplitude = np.log(s2 / s1)
    return bool(abs(amplitude - np.log(level)) < abs(amplitude))


def profile(values: np.ndarray) -> Profile:
    """Class, ADI, CV² and seasonality of one history."""
    adi, cv2 = adi_cv2(values)
    return Profile(classify(values), adi, cv2, is_seasonal(values))
