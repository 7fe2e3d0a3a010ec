"""Forecasting models beyond the basics: intermittent demand by formula, Theta, SARIMA,
multiplicative seasonality and its refusal of non-positive history, the metrics."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pytest

from sop_addin.core.forecasting.classical import (
    ArimaSA,
    Combination,
    ThetaClassic,
    outside_range,
    seasonal_indices,
    seasonality_test,
)
from sop_addin.core.forecasting.fitting import run_chain
from sop_addin.core.forecasting.metrics import (
    bias,
    mase,
    naive_scale,
    smape,
    tracking_signal,
    wmape,
)
from sop_addin.core.forecasting.models import (
    SBA,
    TSB,
    Croston,
    HoltWinters,
    HoltWintersMultiplicative,
    MovingAverage,
    Naive,
    Sarima,
    SeasonalNaive,
    Theta,
)

Z80 = NormalDist().inv_cdf(0.9)


def test_croston_by_its_formula() -> None:
    # First demand 3 in month 2: z = 3, p = 2. Next demand 6 three months later:
    # z = 3 + 0.1 * (6 - 3) = 3.3, p = 2 + 0.1 * (3 - 2) = 2.1; forecast z / p.
    y = np.array([0.0, 3.0, 0.0, 0.0, 6.0])
    model = Croston().fit(y)
    assert model.size_ == pytest.approx(3.3) and model.interval_ == pytest.approx(2.1)
    np.testing.assert_allclose(model.predict(3)["mean"], [3.3 / 2.1] * 3)
    # In-sample one-step forecasts from month 3 on: 3/2, 3/2, 3/2 against 0, 0, 6.
    sigma = np.sqrt(((0 - 1.5) ** 2 + (0 - 1.5) ** 2 + (6 - 1.5) ** 2) / 3)
    np.testing.assert_allclose(
        model.predict(2)["hi-80"], 3.3 / 2.1 + Z80 * sigma * np.sqrt([1.0, 2.0])
    )


def test_sba_is_croston_debiased_by_one_minus_half_alpha() -> None:
    y = np.array([0.0, 3.0, 0.0, 0.0, 6.0])
    np.testing.assert_allclose(SBA().fit(y).predict(1)["mean"], [0.95 * 3.3 / 2.1])
    np.testing.assert_allclose(SBA(alpha=0.2).fit(y).predict(1)["mean"][0], 0.9 * 3.6 / 2.2)


def test_tsb_by_its_formula() -> None:
    # d starts at the share of months with demand (2/4), z at the mean size (5).
    # t0: y=0 -> d = 0.5 + 0.1 * (0 - 0.5) = 0.45
    # t1: y=4 -> d = 0.45 + 0.1 * 0.55 = 0.505; z = 5 + 0.1 * (4 - 5) = 4.9
    # t2: y=0 -> d = 0.4545
    # t3: y=6 -> d = 0.4545 + 0.1 * 0.5455 = 0.50905; z = 4.9 + 0.1 * 1.1 = 5.01
    y = np.array([0.0, 4.0, 0.0, 6.0])
    np.testing.assert_allclose(TSB().fit(y).predict(2)["mean"], [0.50905 * 5.01] * 2)


def test_tsb_decays_when_demand_stops_and_croston_does_not() -> None:
    y = np.r_[np.tile([5.0, 0.0], 10), np.zeros(12)]
    assert TSB().fit(y).predict(1)["mean"][0] < 0.5 * TSB().fit(y[:20]).predict(1)["mean"][0]
    assert Croston().fit(y).predict(1)["mean"][0] == Croston().fit(y[:20]).predict(1)["mean"][0]


@pytest.mark.parametrize("cls", [Croston, SBA, TSB])
def test_intermittent_models_refuse_a_history_without_demand(cls: type[Croston]) -> None:
    with pytest.raises(ValueError, match="no month with demand"):
        cls().fit(np.zeros(12))


def test_multiplicative_seasonality_refuses_non_positive_history_and_the_chain_moves_on() -> None:
    t = np.arange(36)
    y = 100 + 2.0 * t + 20 * np.sin(2 * np.pi * t / 12)
    with_zero = y.copy()
    with_zero[5] = -1.0
    with pytest.raises(ValueError, match=r"positive history \(1 month at or below 0\)"):
        HoltWintersMultiplicative().fit(with_zero)
    model, out, notes = run_chain((HoltWintersMultiplicative, HoltWinters), with_zero, 6)
    assert model.alias == "holt_winters"
    assert notes[0] == (
        "Holt-Winters multiplicative failed: multiplicative seasonality needs a positive "
        "history (1 month at or below 0)"
    )
    assert np.isfinite(out["mean"]).all()


def test_multiplicative_season_follows_a_swing_that_grows_with_the_level() -> None:
    t = np.arange(48)
    level = 100 * 1.03**t
    y = level * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    truth = (100 * 1.03 ** np.arange(48, 54)) * (
        1 + 0.3 * np.sin(2 * np.pi * np.arange(48, 54) / 12)
    )
    mul = HoltWintersMultiplicative().fit(y).predict(6)["mean"]
    add = HoltWinters().fit(y).predict(6)["mean"]
    assert np.abs(mul - truth).mean() < np.abs(add - truth).mean()


def test_theta_follows_a_drift_and_sarima_a_repeating_season() -> None:
    t = np.arange(30, dtype=np.float64)
    theta = Theta().fit(10 + 2 * t + np.tile([0.5, -0.5], 15)).predict(3)
    assert theta["mean"][0] > 60 and theta["mean"][2] > theta["mean"][0]  # still rising
    season = np.tile(np.array([5, 7, 9, 11, 9, 7, 5, 3, 1, 3, 5, 6], dtype=float), 3)
    sarima = Sarima().fit(season + 0.01 * np.arange(36)).predict(12)["mean"]
    np.testing.assert_allclose(sarima, season[:12] + 0.01 * np.arange(36, 48), atol=0.5)


def test_extend_keeps_the_parameters_and_moves_the_state() -> None:
    t = np.arange(40)
    y = 100 + t + 15 * np.sin(2 * np.pi * t / 12)
    model = HoltWinters().fit(y[:30])
    params = np.asarray(model.result_.params).copy()
    model.extend(y)
    np.testing.assert_allclose(np.asarray(model.result_.params), params)
    assert model.nobs_ == 40
    # A seasonal naive has no parameters: extending is refitting.
    np.testing.assert_allclose(SeasonalNaive().fit(y[:30]).extend(y).predict(3)["mean"], y[28:31])


def test_metrics_by_hand() -> None:
    actual = np.array([10.0, 0.0, 20.0])
    forecast = np.array([12.0, 1.0, 15.0])
    assert wmape(actual, forecast) == pytest.approx(8 / 30)  # |2| + |1| + |5| over 30
    assert bias(actual, forecast) == pytest.approx(-2 / 30)  # 28 forecast against 30
    # Errors actual - forecast: -2, -1, 5; sum 2, MAD 8/3.
    assert tracking_signal(actual, forecast) == pytest.approx(2 / (8 / 3))
    assert mase(actual, forecast, 4.0) == pytest.approx((8 / 3) / 4)
    assert naive_scale(np.array([1.0, 3.0, 2.0, 6.0]), 1) == pytest.approx(7 / 3)
    # sMAPE: 2*2/22, 2*1/1, 2*5/35, mean, in percent.
    assert smape(actual, forecast) == pytest.approx(100 * (4 / 22 + 2 + 10 / 35) / 3)
    assert wmape(np.zeros(2), np.array([1.0, 3.0])) == 2.0  # no actuals: mean abs error
    assert tracking_signal(actual, actual) == 0.0


# --- the classical methods and the guard ----------------------------------------------------


class _Exploding(MovingAverage):
    """Fits like a moving average, forecasts like an ETS fit that blew up (MASE in millions)."""

    alias = "exploding"
    label = "exploding model"

    def predict(self, h: int, level: Sequence[float] = (80, 95)) -> dict[str, np.ndarray]:
        out = super().predict(h, level)
        return {k: v * 1e6 for k, v in out.items()}


def test_a_forecast_far_outside_the_history_falls_back_with_a_note() -> None:
    y = 100 + np.arange(24, dtype=np.float64)
    # Range 100..123, span 23: plausible up to 123 + 3 * 23 = 192; 1e8 is a blow-up.
    assert outside_range(y, np.full(6, 190.0)) == ""
    assert "far outside the history's range" in outside_range(y, np.full(6, 200.0))
    model, out, notes = run_chain([_Exploding, Naive], y, 3)
    assert model.alias == "naive"
    assert notes[0].startswith("exploding model failed: forecast far outside the history")
    np.testing.assert_allclose(out["mean"], 123.0)


def test_seasonality_test_and_multiplicative_indices() -> None:
    t = np.arange(48, dtype=np.float64)
    seasonal = (100 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    assert seasonality_test(seasonal, 12) and not seasonality_test(100 + t, 12)
    index = seasonal_indices(seasonal, 12)
    assert index is not None and index.mean() == pytest.approx(1.0)
    # The ratio to the centred moving average recovers 1 + 0.2 sin(...) within a few %.
    np.testing.assert_allclose(index, 1 + 0.2 * np.sin(2 * np.pi * np.arange(12) / 12), atol=0.03)
    assert seasonal_indices(seasonal - 200, 12) is None  # not positive: no ratio


def test_arima_closed_form_matches_statsmodels_filter() -> None:
    import warnings

    from statsmodels.tsa.arima.model import ARIMA

    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(1, 5, 100)) + 500
    model = ArimaSA(season=1).fit(y)
    assert abs(model.ar_) <= 0.9 and abs(model.ma_) <= 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = np.r_[model.mu_, model.ar_, model.ma_, model.sigma2_]
        ref = ARIMA(np.diff(y), order=(1, 0, 1), trend="c").filter(params).get_forecast(5)
    np.testing.assert_allclose(model.predict(5, ())["mean"], y[-1] + np.cumsum(ref.predicted_mean))


def test_theta_matches_statsmodels_within_its_grid() -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(1, 5, 100)) + 500
    ours = ThetaClassic(season=1).fit(y).predict(6, ())["mean"]
    ref = ThetaModel(y, period=1, deseasonalize=False).fit().forecast(6).to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-4)


def test_combination_is_the_median_of_its_members() -> None:
    t = np.arange(48, dtype=np.float64)
    y = 200 + 2 * t + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(3).normal(0, 4, 48)
    combo = Combination().fit(y).predict(6)
    members = [cls().fit(y).predict(6) for cls in Combination.members]
    for key in combo:
        np.testing.assert_allclose(combo[key], np.median([m[key] for m in members], axis=0))
