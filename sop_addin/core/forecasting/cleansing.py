"""History cleansing: find outliers and replace them by what the pattern expected.

The expected value of a month is a robust line (through the medians of the two halves) plus,
with two full seasons, the median seasonal deviation of that calendar month; a month
whose deviation from it exceeds ``threshold`` robust standard deviations (1.4826 x the
median absolute deviation) is an outlier and is replaced by the expected value. The
original stays visible next to the correction in the CleansedHistory table.

Intermittent and lumpy histories are left alone: for them a spike is the demand pattern,
not an error, and Croston-type models already average it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sop_addin.core.forecasting.classification import ADI_CUTOFF, adi_cv2
from sop_addin.core.forecasting.models import SEASON

OUTLIER_THRESHOLD = 4.0
MIN_MONTHS = 12  # shorter histories say too little about what is normal


@dataclass(frozen=True)
class Cleansed:
    """A history after cleansing.

    Attributes:
        values: the series to fit (outliers replaced).
        outlier: one flag per month.
        note: what was done, in plain words ("" when nothing).
    """

    values: np.ndarray
    outlier: np.ndarray
    note: str


def expected_values(values: np.ndarray, season: int = SEASON) -> np.ndarray:
    """A robust line plus, with two seasons, the median seasonal deviation, per month.

    The line joins the medians of the two halves of the history (at their middles), so
    an outlier moves neither it nor, through the median, the seasonal profile. A running
    median would follow the season itself and flag every peak.
    """
    n = values.size
    half = n // 2
    t = np.arange(n, dtype=np.float64)
    m1, m2 = float(np.median(values[:half])), float(np.median(values[half:]))
    c1, c2 = (half - 1) / 2, half + (n - half - 1) / 2
    trend = m1 + (m2 - m1) * (t - c1) / (c2 - c1)
    if n < 2 * season or season < 2:
        return trend
    deviation = values - trend
    position = np.arange(n) % season
    seasonal = np.array([np.median(deviation[position == k]) for k in range(season)])
    return trend + seasonal[position]


def cleanse(
    values: np.ndarray,
    season: int = SEASON,
    threshold: float = OUTLIER_THRESHOLD,
    invalid: np.ndarray | None = None,
) -> Cleansed:
    """Replace outliers of a smooth or erratic history by their expected values.

    Args:
        values: the monthly history (invalid months already set to 0).
        season: months per season.
        threshold: robust standard deviations beyond which a month is an outlier.
        invalid: months whose loaded value was blank, non-finite or negative: they are
            replaced by their expected value too (and not counted as outliers), when the
            history is long and regular enough to say what to expect; else they stay 0.
    """
    none = np.zeros(values.size, dtype=bool)
    bad = none if invalid is None or invalid.size != values.size else invalid
    if values.size < MIN_MONTHS:
        return Cleansed(values, none, "")
    adi, _ = adi_cv2(values)
    if not adi < ADI_CUTOFF:
        return Cleansed(values, none, "")
    expected = expected_values(values, season)
    replaced_bad = ""
    if bad.any():
        values = values.copy()
        values[bad] = np.maximum(expected[bad], 0.0)
        expected = expected_values(values, season)
        n_bad = int(bad.sum())
        replaced_bad = (
            f"{n_bad} invalid month{'s' if n_bad > 1 else ''} replaced by the expected value"
        )
    residual = values - expected
    # A month that is its calendar position's median has residual 0 by construction:
    # leaving those out keeps them from shrinking the spread and flagging ordinary noise.
    free = residual[residual != 0] if (residual != 0).sum() >= MIN_MONTHS // 2 else residual
    spread = 1.4826 * float(np.median(np.abs(free - np.median(free))))
    if spread <= 0:
        return Cleansed(values, none, replaced_bad)
    outlier = (np.abs(residual) > threshold * spread) & ~bad
    if not outlier.any():
        return Cleansed(values, none, replaced_bad)
    cleaned = values.copy()
    cleaned[outlier] = np.maximum(expected[outlier], 0.0)
    n = int(outlier.sum())
    note = (
        f"{n} outlier month{'s' if n > 1 else ''} replaced by the expected value "
        f"(beyond {threshold:g} robust standard deviations)"
    )
    return Cleansed(cleaned, outlier, "; ".join(x for x in (replaced_bad, note) if x))
