"""Cleansing never erases a regime: level shifts are kept, only isolated spikes corrected."""

from __future__ import annotations

import numpy as np
import pytest

from sop_addin.core.forecasting.cleansing import cleanse, level_shifts, noise_sigma
from sop_addin.core.forecasting.fitting import fit_series
from sop_addin.core.forecasting.types import EngineOptions

T = np.arange(48, dtype=np.float64)


def seasonal(seed: int = 4, noise: float = 3.0) -> np.ndarray:
    """100 units a month, a ±20 season, noise of sd 3: 48 months."""
    rng = np.random.default_rng(seed)
    return 100 + 20 * np.sin(2 * np.pi * T / 12) + rng.normal(0, noise, 48)


def test_noise_sigma_ignores_a_step() -> None:
    # A step is one large month-to-month difference among many: the median absolute
    # deviation of the differences does not see it. Noise sd 3 -> about 3.
    y = seasonal()
    flat = 100 + np.random.default_rng(1).normal(0, 3, 48)
    stepped = flat.copy()
    stepped[24:] -= 60
    assert noise_sigma(flat) == pytest.approx(3, rel=0.35)
    assert noise_sigma(stepped) == pytest.approx(noise_sigma(flat), rel=0.2)
    assert level_shifts(flat) == () and level_shifts(stepped) == (24,)
    assert y.size == 48


def test_level_drop_is_a_new_regime_not_outliers() -> None:
    y = seasonal()
    y[30:] -= 50  # the level halves from month 31 (0-based 30)
    result = cleanse(y)
    assert result.shifts == (30,) and result.regime_start == 30
    assert not result.outlier.any()
    np.testing.assert_array_equal(result.values, y)
    assert "level shift at month 31 of 48" in result.note


def test_level_rise_is_a_new_regime_not_outliers() -> None:
    y = seasonal()
    y[24:] *= 1.6
    result = cleanse(y)
    assert result.shifts == (24,)
    assert not result.outlier.any()
    np.testing.assert_array_equal(result.values, y)


def test_lost_account_forecasts_the_new_lower_level() -> None:
    # A customer worth 300 a month leaves 8 months before the end: 1000 -> 700.
    rng = np.random.default_rng(7)
    y = 1000 + rng.normal(0, 20, 48)
    y[40:] -= 300
    result = cleanse(y)
    assert result.shifts == (40,) and not result.outlier.any()
    fitted = fit_series(y, 6, EngineOptions())
    assert not fitted.outlier.any()
    # The old cleansing replaced the last months by "the expected value" near 1000; the
    # forecast now stays at the new level (700, within 10%).
    assert fitted.out["mean"] == pytest.approx(np.full(6, 700.0), rel=0.1)
    assert "level shift at month 41 of 48" in "; ".join(fitted.notes)


def test_one_month_spike_is_replaced_by_the_expected_value() -> None:
    clean = seasonal()
    y = clean.copy()
    y[20] = 300.0  # a one-off order, 10 times the noise on top of the season
    result = cleanse(y)
    assert np.flatnonzero(result.outlier).tolist() == [20]
    assert result.values[20] == pytest.approx(clean[20], abs=10)
    np.testing.assert_array_equal(np.delete(result.values, 20), np.delete(y, 20))
    assert result.note.startswith("1 outlier month replaced by the expected value")
    assert result.shifts == ()


def test_a_run_of_high_months_is_not_a_spike() -> None:
    y = seasonal()
    y[20:24] += 80  # four months up then back: more than a spike, left for the models
    assert not cleanse(y).outlier.any()


def test_spike_in_the_last_month_is_kept_unless_overwhelming() -> None:
    y = seasonal()
    moderate = y.copy()
    moderate[-1] *= 1.4  # about 10 noise sd: it may be the first month of a new level
    result = cleanse(moderate)
    assert not result.outlier.any() and result.kept_recent == (47,)
    assert "month 48 of 48 stand(s) out but is recent: kept" in result.note
    huge = y.copy()
    huge[-1] = 1000.0  # 300 noise sd: overwhelming evidence of an error
    result = cleanse(huge)
    assert np.flatnonzero(result.outlier).tolist() == [47]
    assert result.values[-1] == pytest.approx(y[-1], abs=15)


def test_named_promotion_months_are_taken_back_to_the_baseline() -> None:
    y = seasonal()
    y[[10, 27]] += 15  # promotion uplift: visible but under the spike threshold
    assert not cleanse(y).outlier.any()
    promo = np.zeros(48, dtype=bool)
    promo[[10, 27]] = True
    result = cleanse(y, promotions=promo)
    assert np.flatnonzero(result.outlier).tolist() == [10, 27]
    assert "2 promotion months replaced by the baseline level" in result.note


def test_ordinary_noise_is_left_alone() -> None:
    # 30 seasonal series with trend and normal noise (1,440 months): no shift found, and
    # at most a handful of months corrected (a robust spread makes a sample's heaviest
    # tail stand out now and then; the backtest then decides cleansed against raw).
    rng = np.random.default_rng(0)
    corrected = 0
    for _ in range(30):
        y = (
            100
            + rng.uniform(-2, 2) * T
            + rng.uniform(0, 30) * np.sin(2 * np.pi * T / 12 + rng.uniform(0, 6))
            + rng.normal(0, rng.uniform(2, 10), 48)
        )
        result = cleanse(y)
        assert result.shifts == ()
        corrected += int(result.outlier.sum())
    assert corrected <= 5


def test_promotions_named_in_a_panel_csv_column() -> None:
    import pandas as pd

    from sop_addin.core.forecasting.panel import forecast_panel

    y = seasonal()
    y[[10, 27]] += 15
    ds = pd.date_range("2021-01-01", periods=48, freq="MS")
    promo = np.zeros(48, dtype=object)
    promo[:] = ""
    promo[[10, 27]] = "1"
    frame = pd.DataFrame({"unique_id": "P", "ds": ds, "y": y, "promo": promo})
    _, notes = forecast_panel(frame, 3)
    assert "2 promotion months replaced by the baseline level" in notes.loc[0, "note"]
    frame.loc[5, "promo"] = "maybe"
    with pytest.raises(ValueError, match=r"line 7, column promo: 'maybe' is not a promotion flag"):
        forecast_panel(frame, 3)
