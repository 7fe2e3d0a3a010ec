"""History cleansing that never erases a regime: level shifts are kept, isolated spikes corrected.

Three steps on the seasonally adjusted history (a median calendar-month profile is taken
off when two full seasons exist):

1. Level shifts, by a robust changepoint test: the history is detrended by the median
   seasonal-difference slope (one step moves it little) and, at every month, the median
   of the ``SHIFT_WINDOW`` months after it is compared with the median of those before.
   A difference beyond ``SHIFT_THRESHOLD`` noise standard deviations (the noise measured
   from month-to-month differences, where a step is a single outlier) is a shift; the
   strongest is taken first, then the next one at least a window away. A shift is the
   start of a new regime: the history after it is the truth, and no month is compared
   with a level from the other side of it.
2. Spikes: a month is compared with a local expected value, a running median within its
   regime (plus the trend and the season). A month beyond ``threshold`` robust standard
   deviations is a spike only when it is isolated: at most ``MAX_SPIKE_RUN`` months in a
   row, not at the start of a regime, with the months on both sides back at the level. A
   longer run is a change of level, not an outlier, and stays.
3. The most recent ``RECENT_MONTHS`` months are corrected only on overwhelming evidence
   (``OVERWHELMING`` times the threshold): a jump there may be the first month of a new
   level, and the planner must see it.

Months named as promotions (an input, not a guess) are corrected to the expected level
whenever they stand out at all. The original stays visible next to the correction in the
CleansedHistory table, and the engine decides per series, by backtest, whether the
cleansed or the raw history forecasts better.

Intermittent and lumpy histories are left alone: for them a spike is the demand pattern,
not an error, and Croston-type models already average it out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sop_addin.core.forecasting.classification import ADI_CUTOFF, adi_cv2, is_seasonal
from sop_addin.core.forecasting.models import SEASON

OUTLIER_THRESHOLD = 5.0
MIN_MONTHS = 12  # shorter histories say too little about what is normal
SHIFT_WINDOW = 6  # months either side of a candidate level shift
SHIFT_THRESHOLD = 4.0  # noise standard deviations between the two medians
LOCAL_RADIUS = 3  # the running median spans 2 * 3 + 1 months
MAX_SPIKE_RUN = 2  # more months in a row out of line are a new level, not a spike
RECENT_MONTHS = 3
OVERWHELMING = 3.0  # x threshold, for a recent month to be corrected
MIN_SPREAD_SHARE = 0.01  # of the median level: the least spread a month is measured against
PROMOTION_THRESHOLD = 1.0  # robust standard deviations: a named promotion month that stands out


@dataclass(frozen=True)
class Cleansed:
    """A history after cleansing.

    Attributes:
        values: the series to fit (spikes replaced).
        outlier: one flag per month (corrected months).
        note: what was done, in plain words ("" when nothing).
        shifts: months where a new level starts (0-based positions), oldest first.
        kept_recent: recent months that stood out but were kept (a possible new level).
    """

    values: np.ndarray
    outlier: np.ndarray
    note: str
    shifts: tuple[int, ...] = field(default=())
    kept_recent: tuple[int, ...] = field(default=())

    @property
    def regime_start(self) -> int:
        """Where the current regime (the history since the last shift) starts."""
        return self.shifts[-1] if self.shifts else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def seasonal_profile(values: np.ndarray, season: int = SEASON) -> np.ndarray:
    """Per month, the median deviation of its calendar month from the moving-average level.

    Zero without two full seasons or a seasonal autocorrelation: a profile fitted to noise
    would flag or hide spikes at random.
    """
    n = values.size
    if season < 2 or n < 2 * season or not is_seasonal(values, season):
        return np.zeros(n)
    # The classical centred moving average (2 x season): for a season it is the level, where a
    # running median is pulled toward the peaks. A spike moves it by 1/season of its size,
    # and the median over the years below takes that out again.
    weights = np.r_[0.5, np.ones(season - 1), 0.5] / season if season % 2 == 0 else None
    if weights is None:
        weights = np.ones(season) / season
    radius = weights.size // 2
    level = np.full(n, np.nan)
    level[radius : n - radius] = np.convolve(values, weights, mode="valid")
    deviation = values - level
    position = np.arange(n) % season
    full = np.isfinite(level)
    profile = np.array([_trimmed_mean(deviation[full & (position == k)]) for k in range(season)])
    profile -= profile.mean()
    return profile[position]


def _trimmed_mean(x: np.ndarray) -> float:
    """The mean without the value farthest from the median (when there are three or more).

    With three or four years, a median picks one year's value and fits its noise; a mean
    without the most extreme year keeps a spike out and the noise averaged.
    """
    if x.size >= 3:
        x = np.delete(x, int(np.argmax(np.abs(x - np.median(x)))))
    return float(x.mean()) if x.size else 0.0


def running_median(
    values: np.ndarray, radius: int, bounds: np.ndarray, leave_out: bool = False
) -> np.ndarray:
    """A centred running median that never looks across a regime boundary.

    Args:
        values: the series.
        radius: months either side (the window shrinks at the edges of a regime).
        bounds: regime boundaries, ``[0, shift_1, ..., n]``.
        leave_out: leave the month itself out of its window, so a spike is measured
            against its neighbours only (and the spread of the residuals is not shrunk).
    """
    out = np.empty(values.size)
    width = 2 * radius + 1
    for a, b in itertools.pairwise(int(x) for x in bounds):
        segment = values[a:b]
        inner = range(a + radius, b - radius)
        if len(inner):
            # Full windows at once; only the edges shrink, month by month below.
            windows = sliding_window_view(segment, width)
            if leave_out:
                windows = np.delete(windows, radius, axis=1)
            out[a + radius : b - radius] = np.median(windows, axis=1)
        for t in range(a, b):
            if t in inner:
                continue
            lo, hi = max(a, t - radius), min(b, t + radius + 1)
            window = values[lo:hi]
            if leave_out and hi - lo > 1:
                window = np.delete(window, t - lo)
            out[t] = np.median(window)
    return out


def noise_sigma(values: np.ndarray) -> float:
    """Robust noise standard deviation from month-to-month differences.

    A level shift is one large difference among many: the median absolute deviation of the
    differences ignores it, where the spread of the values themselves would not.
    """
    if values.size < 3:
        return 0.0
    d = np.diff(values)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def seasonal_noise_sigma(values: np.ndarray, seasonal: np.ndarray, season: int = SEASON) -> float:
    """Noise standard deviation from year-on-year differences (0 without a season).

    A profile fitted to three or four years absorbs part of the noise, so the residuals
    around it understate it; ``y[t] - y[t - season]`` has the season cancelled without
    fitting anything and twice the noise variance.
    """
    if not seasonal.any() or values.size <= season + 2:
        return 0.0
    d = values[season:] - values[:-season]
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def robust_slope(values: np.ndarray, season: int = SEASON) -> float:
    """Median per-month change over one season (or one month for short histories)."""
    lag = season if values.size > 2 * season else 1
    if values.size <= lag:
        return 0.0
    return float(np.median(values[lag:] - values[:-lag]) / lag)


def level_shifts(
    adjusted: np.ndarray,
    season: int = SEASON,
    window: int = SHIFT_WINDOW,
    threshold: float = SHIFT_THRESHOLD,
) -> tuple[int, ...]:
    """Months where a new level starts, by a robust two-window median test.

    Args:
        adjusted: the seasonally adjusted history.
        season: months per season (for the trend estimate).
        window: months on each side of a candidate shift.
        threshold: noise standard deviations the two medians must differ by.

    Returns:
        The first month of each new level, oldest first (empty when none).
    """
    n = adjusted.size
    if n < 2 * window:
        return ()
    sigma = noise_sigma(adjusted)
    if sigma <= 0:
        # A flat line with steps: any step is a shift.
        sigma = 1e-9 * max(float(np.abs(adjusted).max()), 1.0)
    t = np.arange(n, dtype=np.float64)
    x = adjusted - robust_slope(adjusted, season) * t
    stat = np.zeros(n)
    medians = np.median(sliding_window_view(x, window), axis=1)  # medians[j]: x[j : j + w]
    # stat[k] compares x[k : k + w] with x[k - w : k], for k in window .. n - window.
    stat[window : n - window + 1] = np.abs(medians[window:] - medians[:-window]) / sigma
    found: list[int] = []
    while True:
        k = int(np.argmax(stat))
        if stat[k] <= threshold:
            break
        found.append(_refine(x, k, window))
        stat[max(0, k - window) : k + window] = 0.0
    return tuple(sorted(found))


def _refine(x: np.ndarray, k: int, window: int) -> int:
    """The month near ``k`` that splits its neighbourhood into the two tightest levels.

    The two-window statistic peaks a month early or late when the season is not taken
    off exactly; the least absolute deviation from each side's median places the step.
    """
    best, best_cost = k, np.inf
    for j in range(max(1, k - 2), min(x.size - 1, k + 2) + 1):
        left, right = x[max(0, j - window) : j], x[j : j + window]
        cost = float(np.abs(left - np.median(left)).sum() + np.abs(right - np.median(right)).sum())
        if cost < best_cost - 1e-12:
            best, best_cost = j, cost
    return best


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True."""
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _season_and_shifts(values: np.ndarray, season: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """The seasonal profile and the level shifts, each estimated without the other's bias.

    A step inside the moving-average window reads as a seasonal swing; so the shifts found
    on the first adjustment are taken out (each regime moved to one level) and the profile
    measured again.
    """
    seasonal = seasonal_profile(values, season)
    shifts = level_shifts(values - seasonal, season)
    if shifts and seasonal.any():
        adjusted = values - seasonal
        steps = np.zeros(values.size)
        bounds = [0, *shifts, values.size]
        for a, b in itertools.pairwise(bounds):
            steps[a:b] = np.median(adjusted[a:b])
        seasonal = seasonal_profile(values - steps, season)
        shifts = level_shifts(values - seasonal, season)
    return seasonal, shifts


def expected_values(values: np.ndarray, season: int = SEASON) -> np.ndarray:
    """What each month would be without a spike: local level within its regime, plus season."""
    seasonal, shifts = _season_and_shifts(values, season)
    return _expected(values, seasonal, shifts)


def _expected(values: np.ndarray, seasonal: np.ndarray, shifts: tuple[int, ...]) -> np.ndarray:
    bounds = np.array([0, *shifts, values.size])
    return running_median(values - seasonal, LOCAL_RADIUS, bounds, leave_out=True) + seasonal


def cleanse(
    values: np.ndarray,
    season: int = SEASON,
    threshold: float = OUTLIER_THRESHOLD,
    invalid: np.ndarray | None = None,
    promotions: np.ndarray | None = None,
) -> Cleansed:
    """Correct the isolated spikes of a smooth or erratic history; keep every level shift.

    Args:
        values: the monthly history (invalid months already set to 0).
        season: months per season.
        threshold: robust standard deviations beyond which a month stands out.
        invalid: months whose loaded value was blank, non-finite or negative: they are
            replaced by their expected value too (and not counted as outliers), when the
            history is long and regular enough to say what to expect; else they stay 0.
        promotions: months named as promotions in the inputs: corrected to the expected
            level when they stand out at all (beyond one robust standard deviation).
    """
    n = values.size
    none = np.zeros(n, dtype=bool)
    bad = none if invalid is None or invalid.size != n else invalid.astype(bool)
    promo = none if promotions is None or promotions.size != n else promotions.astype(bool)
    if n < MIN_MONTHS:
        return Cleansed(values, none, "")
    adi, _ = adi_cv2(values)
    if not adi < ADI_CUTOFF:
        return Cleansed(values, none, "")
    notes: list[str] = []
    if bad.any():
        # Invalid months first, from a profile that ignores them, so they move nothing else.
        filled = values.copy()
        filled[bad] = np.median(values[~bad]) if (~bad).any() else 0.0
        values = values.copy()
        values[bad] = np.maximum(expected_values(filled, season)[bad], 0.0)
        notes.append(f"{_plural(int(bad.sum()), 'invalid month')} replaced by the expected value")
    seasonal, shifts = _season_and_shifts(values, season)
    if shifts:
        where = ", ".join(f"month {k + 1}" for k in shifts)
        notes.append(
            f"level shift at {where} of {n}: the history since is the current level "
            "(not treated as outliers)"
        )
    expected = _expected(values, seasonal, shifts)
    residual = values - expected
    # A month equal to its local median has residual 0 by construction: leaving those out
    # keeps them from shrinking the spread and flagging ordinary noise.
    free = residual[residual != 0] if (residual != 0).sum() >= MIN_MONTHS // 2 else residual
    spread = 1.4826 * float(np.median(np.abs(free - np.median(free))))
    # The residuals of a profile fitted to few years understate the noise; the month-to-month
    # differences of the adjusted history do not, and neither counts a spike.
    spread = max(
        spread,
        noise_sigma(values - seasonal),
        seasonal_noise_sigma(values, seasonal),
        # A nearly exact pattern is not an excuse to flag a 3% wobble.
        MIN_SPREAD_SHARE * float(np.median(np.abs(values))),
    )
    if spread <= 0:
        return Cleansed(values, none, "; ".join(notes), shifts)
    score = np.abs(residual) / spread
    starts = {0, *shifts}
    spike = none.copy()
    for a, b in _runs((score > threshold) & ~bad):
        if b - a > MAX_SPIKE_RUN or a in starts or any(a <= s <= b for s in shifts):
            continue  # a run of months, or the first months of a regime: a level, not a spike
        before, after = residual[max(0, a - 3) : a], residual[b : b + 3]
        if (
            before.size
            and after.size
            and not all(
                abs(float(np.median(side))) <= threshold * spread for side in (before, after)
            )
        ):
            continue  # the series does not come back to its level around the run
        spike[a:b] = True
    recent = np.arange(n) >= n - RECENT_MONTHS
    kept = spike & recent & (score <= OVERWHELMING * threshold)
    spike &= ~kept
    promoted = promo & (score > PROMOTION_THRESHOLD) & ~bad
    outlier = spike | promoted
    kept_recent = tuple(int(k) for k in np.flatnonzero(kept & ~promoted))
    cleaned = values
    if outlier.any():
        cleaned = values.copy()
        cleaned[outlier] = np.maximum(expected[outlier], 0.0)
    n_spike, n_promo = int((spike & ~promoted).sum()), int(promoted.sum())
    if n_spike:
        notes.append(
            f"{_plural(n_spike, 'outlier month')} replaced by the expected value "
            f"(isolated, beyond {threshold:g} robust standard deviations)"
        )
    if n_promo:
        notes.append(f"{_plural(n_promo, 'promotion month')} replaced by the baseline level")
    if kept_recent:
        where = ", ".join(f"month {k + 1}" for k in kept_recent)
        notes.append(f"{where} of {n} stand(s) out but is recent: kept (it may be a new level)")
    return Cleansed(cleaned, outlier, "; ".join(notes), shifts, kept_recent)
