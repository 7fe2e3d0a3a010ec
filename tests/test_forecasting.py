"""Forecasting: hand-computed models, one contract for every model, routing, rules, panel."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, Self

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_addin.core.forecasting import (
    MODEL_CLASSES,
    ForecastModel,
    ForecastResult,
    MovingAverage,
    Naive,
    SeasonalNaive,
    forecast_demand,
    route,
    run_chain,
)
from sop_addin.core.forecasting.classical import CLASSICAL_CLASSES
from sop_addin.core.forecasting.fitting import finish
from sop_addin.core.forecasting.models import interval_keys
from sop_addin.core.forecasting.types import MODEL_KEYS, VALUE_COLUMNS

Z80 = NormalDist().inv_cdf(0.9)
Z95 = NormalDist().inv_cdf(0.975)
PLAN = pd.date_range("2026-01-01", periods=12, freq="MS")
FORECAST_COLUMNS = ["sku", "family", "region", "month", "model"]
FORECAST_COLUMNS += ["forecast", "lo80", "hi80", "lo95", "hi95"]
MODELS_COLUMNS = ["sku", "model", "demand_class", "history_months", "zero_share"]
MODELS_COLUMNS += ["backtest_metric", "backtest_error", "note"]
Values = Sequence[float] | np.ndarray


def seasonal_trend(n: int, start: int = 0) -> np.ndarray:
    t = np.arange(start, start + n)
    return 100 + 2.0 * t + 20 * np.sin(2 * np.pi * t / 12)


def history(series: dict[str, Values], end: str = "2025-12-01") -> pd.DataFrame:
    """Long SalesHistory rows; every series ends at `end`."""
    frames = []
    for sku, values in series.items():
        months = pd.date_range(end=end, periods=len(values), freq="MS")
        frames.append(pd.DataFrame({"sku": sku, "month": months, "quantity": values}))
    if not frames:
        return pd.DataFrame({"sku": [], "month": pd.to_datetime([]), "quantity": []})
    return pd.concat(frames, ignore_index=True)


def products(skus: Sequence[str], **columns: dict[str, Any]) -> pd.DataFrame:
    """Products rows; keyword arguments override a column for some SKUs."""
    frame = pd.DataFrame(
        {
            "sku": list(skus),
            "description": [f"Product {s}" for s in skus],
            "family": "Bikes",
            "region": "EU",
            "lifecycle": "mature",
            "launch_month": pd.Series([pd.NaT] * len(skus), dtype="datetime64[ns]"),
            "end_of_life_month": pd.Series([pd.NaT] * len(skus), dtype="datetime64[ns]"),
        }
    )
    for column, values in columns.items():
        for sku, value in values.items():
            frame.loc[frame["sku"] == sku, column] = value
    return frame


def bounds_ordered(values: dict[str, np.ndarray] | pd.DataFrame) -> bool:
    names = ["lo-95", "lo-80", "mean", "hi-80", "hi-95"]
    if isinstance(values, pd.DataFrame):
        names = ["lo95", "lo80", "forecast", "hi80", "hi95"]
    arrays = [np.asarray(values[n]) for n in names]
    return all(bool((a <= b + 1e-9).all()) for a, b in itertools.pairwise(arrays))


# --- models, computed by hand ----------------------------------------------------------


def test_seasonal_naive_repeats_the_last_twelve_months() -> None:
    y = np.arange(1.0, 25.0)  # 1..24: every seasonal error is exactly 12
    out = SeasonalNaive().fit(y).predict(14)
    expected = np.r_[np.arange(13.0, 25.0), 13.0, 14.0]
    np.testing.assert_allclose(out["mean"], expected)
    # sigma 12; the second year ahead is one more season out: sqrt(2).
    np.testing.assert_allclose(out["hi-80"][:12], expected[:12] + Z80 * 12)
    np.testing.assert_allclose(out["lo-95"][12:], expected[12:] - Z95 * 12 * np.sqrt(2))


def test_seasonal_naive_with_less_than_a_season_is_the_last_value() -> None:
    model = SeasonalNaive().fit(np.array([3.0, 5.0, 4.0]))
    np.testing.assert_allclose(model.predict(3)["mean"], [4.0, 4.0, 4.0])
    assert "fewer than 12 months" in model.notes_[0]


def test_moving_average_is_the_mean_of_the_last_twelve_months() -> None:
    out = MovingAverage().fit(np.arange(1.0, 16.0)).predict(3)
    np.testing.assert_allclose(out["mean"], [9.5, 9.5, 9.5])  # mean of 4..15


def test_moving_average_uses_what_exists_and_its_own_one_step_errors() -> None:
    out = MovingAverage().fit(np.array([2.0, 4.0, 6.0])).predict(2)
    np.testing.assert_allclose(out["mean"], [4.0, 4.0])
    # One-step errors of the trailing mean: 4 - 2 = 2, 6 - 3 = 3; rms sqrt(6.5); sqrt(h).
    sigma = np.sqrt(6.5)
    np.testing.assert_allclose(out["hi-80"], 4.0 + Z80 * sigma * np.sqrt([1.0, 2.0]))


def test_naive_interval_grows_with_the_square_root_of_the_horizon() -> None:
    out = Naive().fit(np.array([3.0, 5.0])).predict(4)
    np.testing.assert_allclose(out["mean"], [5.0] * 4)
    np.testing.assert_allclose(out["hi-95"][3], 5.0 + Z95 * 2.0 * 2.0)


# --- one contract for every model --------------------------------------------------------


ALL_MODELS = (*MODEL_CLASSES, *CLASSICAL_CLASSES)


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.alias)
def test_every_model_follows_the_contract(cls: type[ForecastModel]) -> None:
    rng = np.random.default_rng(7)
    y = seasonal_trend(36) + rng.normal(0, 4, 36)
    model = cls()
    assert model.fit(y) is model
    assert isinstance(cls.alias, str) and cls.alias and isinstance(cls.label, str)
    for h in (1, 7, 30):
        out = model.predict(h)
        assert list(out) == ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
        for values in out.values():
            assert values.shape == (h,) and values.dtype == np.float64
            assert np.isfinite(values).all()
        assert bounds_ordered(out)
        assert (out["hi-95"] - out["lo-95"] > 0).all()  # a noisy series has a spread
    # Near zero a model may go negative; what the engine hands on never does, in order.
    low = np.abs(rng.normal(0, 3, 36)) + np.r_[np.full(30, 5.0), np.zeros(6)]
    raw = cls().fit(low).predict(12)
    final, _ = finish(
        dict(zip(VALUE_COLUMNS, (raw[k].copy() for k in MODEL_KEYS), strict=True)),
        np.ones(12, bool),
    )
    stacked = np.vstack([final[c] for c in ("lo95", "lo80", "forecast", "hi80", "hi95")])
    assert (stacked >= 0).all() and (np.diff(stacked, axis=0) >= 0).all()
    assert list(model.predict(3, level=(50,))) == interval_keys((50,))
    with pytest.raises(ValueError, match="horizon"):
        model.predict(0)
    with pytest.raises(ValueError, match="non-finite"):
        cls().fit(np.r_[y[:-1], np.nan])


def test_aliases_are_unique() -> None:
    aliases = [cls.alias for cls in ALL_MODELS]
    assert len(set(aliases)) == len(aliases)


# --- routing and the fallback chain ------------------------------------------------------


class _Broken(ForecastModel):
    alias = "broken"
    label = "broken model"

    def fit(self, y: np.ndarray) -> Self:
        msg = "boom"
        raise RuntimeError(msg)

    def predict(self, h: int, level: Sequence[float] = (80, 95)) -> dict[str, np.ndarray]:
        raise AssertionError


class _NonFinite(Naive):
    alias = "non_finite"
    label = "non-finite model"

    def predict(self, h: int, level: Sequence[float] = (80, 95)) -> dict[str, np.ndarray]:
        out = super().predict(h, level)
        out["mean"][0] = np.inf
        return out


def test_fallback_chain_records_each_failure_and_the_model_used() -> None:
    model, out, notes = run_chain((_Broken, _NonFinite, MovingAverage), np.arange(1.0, 6.0), 2)
    assert isinstance(model, MovingAverage)
    assert notes == [
        "broken model failed: boom",
        "non-finite model failed: non-finite forecast",
        "used moving average",
    ]
    np.testing.assert_allclose(out["mean"], [3.0, 3.0])


CLASSICAL = ("theta_classic", "damped_sa", "arima_sa", "combination")


@pytest.mark.parametrize(
    ("n", "candidates"),
    [
        (36, ("seasonal_naive", "holt_winters", *CLASSICAL)),
        (24, ("seasonal_naive", "holt_winters", *CLASSICAL)),
        (18, ("moving_average", "ses", *CLASSICAL)),
        (12, ("moving_average", "ses", *CLASSICAL)),
        (11, ("naive", "moving_average", "ses")),
        (3, ("naive", "moving_average", "ses")),
        (2, ("naive", "moving_average")),
        (1, ("naive", "moving_average")),
    ],
)
def test_route_by_history_length_and_season(n: int, candidates: tuple[str, ...]) -> None:
    chosen = route(seasonal_trend(n))
    assert tuple(c.alias for c in chosen.candidates) == candidates
    # The chain starts with the candidates and ends with robust fallbacks.
    assert [c.alias for c in chosen.chain[: len(candidates)]] == list(candidates)
    assert {"naive", "moving_average"} & {c.alias for c in chosen.chain}


def test_route_intermittent_demand_to_the_croston_family() -> None:
    y = np.where(np.arange(36) % 3 == 0, 6.0, 0.0)  # two months in three without sales
    chosen = route(y)
    assert chosen.demand_class == "intermittent"
    assert [c.alias for c in chosen.candidates] == ["croston", "sba", "tsb", "moving_average"]
    assert chosen.reason == "intermittent demand (ADI 3.00, CV² 0.00)"


# --- the panel ---------------------------------------------------------------------------

rng = np.random.default_rng(3)
PANEL_SERIES: dict[str, Values] = {
    "HW": seasonal_trend(36),
    "INTERMITTENT": np.where(np.arange(36) % 3 == 0, 6.0, 0.0),
    "HOLT": seasonal_trend(18) + rng.normal(0, 3, 18),
    "NEW": [30.0, 34.0, 31.0, 36.0, 35.0],
    "TWO": [8.0, 11.0],
    "EOL": seasonal_trend(36),
    "DECLINE": 180.0 - 5.0 * np.arange(36),  # ends at 5 and still falling
    "FLAT": [50.0] * 30,
    "BAD": np.r_[seasonal_trend(35), -4.0],
}


@pytest.fixture(scope="module")
def panel() -> ForecastResult:
    # Besides the series above: a month missing from the export, and a sale inside the plan.
    hole = history({"HOLE": seasonal_trend(36)})
    hole = hole[hole["month"] != pd.Timestamp("2024-09-01")]
    inside = pd.DataFrame({"sku": ["FUTURE"], "month": [PLAN[0]], "quantity": [9.0]})
    hist = pd.concat([history(PANEL_SERIES), hole, inside], ignore_index=True)
    skus = [*PANEL_SERIES, "HOLE", "NONE", "LAUNCH", "FUTURE"]
    prods = products(
        skus,
        lifecycle={"LAUNCH": "launch", "EOL": "phase-out"},
        end_of_life_month={"EOL": pd.Timestamp("2026-06-01")},
        launch_month={"NEW": pd.Timestamp("2026-03-01")},
    )
    return forecast_demand(hist, prods, PLAN)


def _rows(result: ForecastResult, sku: str) -> pd.DataFrame:
    return result.forecast[result.forecast["sku"] == sku]


def _info(result: ForecastResult, sku: str) -> pd.Series:
    return result.models.set_index("sku").loc[sku]


def test_output_columns_types_and_no_missing_values(panel: ForecastResult) -> None:
    assert list(panel.forecast.columns) == FORECAST_COLUMNS
    assert list(panel.models.columns) == MODELS_COLUMNS
    assert len(panel.models) == 13 and len(panel.forecast) == 13 * len(PLAN)
    assert (
        panel.forecast.groupby("sku")["month"]
        .apply(list)
        .map(pd.DatetimeIndex)
        .map(lambda m: m.equals(PLAN))
        .all()
    )
    assert not panel.forecast.isna().any().any()
    assert not panel.models.drop(columns="backtest_error").isna().any().any()
    # The backtest error is blank exactly where no backtest ran.
    blank = panel.models["backtest_error"].isna()
    assert (blank == (panel.models["backtest_metric"] == "")).all()
    assert set(panel.models.loc[~blank, "backtest_metric"]) == {"mase"}
    numbers = panel.forecast[["forecast", "lo80", "hi80", "lo95", "hi95"]]
    assert (numbers.dtypes == "float64").all()
    assert np.isfinite(numbers.to_numpy()).all() and (numbers.to_numpy() >= 0).all()
    assert bounds_ordered(panel.forecast)
    assert panel.forecast["month"].dtype == "datetime64[ns]"
    assert panel.models["history_months"].dtype == "int64"
    assert panel.models["zero_share"].between(0, 1).all()
    for column in ("sku", "family", "region", "model"):
        assert panel.forecast[column].map(type).eq(str).all()
    assert panel.models["note"].map(type).eq(str).all()
    # The model column of the forecast agrees with the model table.
    per_sku = panel.forecast.groupby("sku")["model"].first()
    assert per_sku.to_dict() == panel.models.set_index("sku")["model"].to_dict()


def test_a_clean_trend_and_season_is_followed(panel: ForecastResult) -> None:
    info = _info(panel, "HW")
    # An exact trend and season: Holt-Winters fits it and wins the backtest clearly, so the
    # median of the best three (which blurs an exact pattern) is not used.
    assert info["model"] == "holt_winters" and info["history_months"] == 36
    assert "used the median" not in info["note"]
    assert info["demand_class"] == "smooth"
    assert info["note"].startswith("smooth seasonal demand, 36 months; ")
    assert "Holt-Winters best of 6 on a 2-origin backtest" in info["note"]
    truth = seasonal_trend(12, start=36)
    relative = np.abs(_rows(panel, "HW")["forecast"].to_numpy() / truth - 1)
    assert relative.max() < 0.10


def test_a_missing_month_counts_as_zero_and_is_noted(panel: ForecastResult) -> None:
    info = _info(panel, "HOLE")
    assert "1 month without a sales row counted as zero sales (2024-09)" in info["note"]
    assert info["history_months"] == 36
    assert info["zero_share"] == pytest.approx(1 / 36)


def test_intermittent_demand_gets_the_croston_family(panel: ForecastResult) -> None:
    info = _info(panel, "INTERMITTENT")
    assert info["demand_class"] == "intermittent"
    assert info["model"] in {"croston", "sba", "tsb"}
    assert "intermittent demand (ADI 3.00, CV² 0.00)" in info["note"]
    assert info["zero_share"] == pytest.approx(2 / 3)
    # 6 units every third month: a rate of 2 a month, give or take the smoothing.
    forecast = _rows(panel, "INTERMITTENT")["forecast"].to_numpy()
    assert np.allclose(forecast, forecast[0]) and 1.5 < forecast[0] < 2.6


def test_short_histories(panel: ForecastResult) -> None:
    assert _info(panel, "HOLT")["model"] in {"ses", "moving_average", "ensemble", *CLASSICAL}
    assert "smooth demand, 18 months, no clear season" in _info(panel, "HOLT")["note"]
    new = _info(panel, "NEW")
    assert "new or short" in new["note"] and "1-origin" not in new["note"]
    assert new["backtest_metric"] == "mase"  # one-step origins over the last months
    two = _info(panel, "TWO")
    assert "last value" in two["note"]
    assert two["model"] in {"naive", "moving_average"}


@pytest.mark.parametrize("sku", ["NONE", "LAUNCH"])
def test_no_history_is_zero_and_says_so(panel: ForecastResult, sku: str) -> None:
    info = _info(panel, sku)
    assert info["model"] == "none" and info["history_months"] == 0
    assert "no sales history" in info["note"]
    assert (_rows(panel, sku)[["forecast", "lo95", "hi95"]].to_numpy() == 0).all()


def test_history_inside_the_plan_is_ignored(panel: ForecastResult) -> None:
    info = _info(panel, "FUTURE")
    assert "1 month of history at or after the plan start 2026-01 ignored" in info["note"]
    assert info["model"] == "none"


def test_lifecycle_months_are_zero(panel: ForecastResult) -> None:
    eol = _rows(panel, "EOL")
    after = eol["month"] > pd.Timestamp("2026-06-01")
    assert (eol.loc[after, ["forecast", "lo80", "hi80", "lo95", "hi95"]].to_numpy() == 0).all()
    assert (eol.loc[~after, "forecast"] > 0).all()
    assert "end of life 2026-06" in _info(panel, "EOL")["note"]
    new = _rows(panel, "NEW")
    before = new["month"] < pd.Timestamp("2026-03-01")
    assert (new.loc[before, "forecast"] == 0).all() and (new.loc[~before, "forecast"] > 0).all()
    assert "launch 2026-03: 0 before it" in _info(panel, "NEW")["note"]


def test_negative_forecasts_are_clipped_and_noted(panel: ForecastResult) -> None:
    rows = _rows(panel, "DECLINE")
    assert (rows["forecast"] == 0).any() and (rows["forecast"] >= 0).all()
    assert "negative values clipped to 0 (forecast in" in _info(panel, "DECLINE")["note"]
    assert "clipped" not in _info(panel, "HOLE")["note"]  # said only when it happened


def test_a_model_that_cannot_fit_is_not_scored_and_says_why(panel: ForecastResult) -> None:
    flat = _info(panel, "FLAT")
    assert flat["model"] == "moving_average"
    assert "simple exponential smoothing not scored: constant history" in flat["note"]
    np.testing.assert_allclose(_rows(panel, "FLAT")["forecast"], 50.0)


def test_invalid_history_is_replaced_by_the_expected_value(panel: ForecastResult) -> None:
    bad = _info(panel, "BAD")
    assert bad["note"].startswith(
        "history has 1 negative quantity (set to 0); 1 invalid month replaced by the expected"
    )
    assert bad["model"] == "holt_winters"
    row = panel.cleansed[(panel.cleansed["sku"] == "BAD")].iloc[-1]
    assert row["flag"] == "invalid" and row["original"] == -4.0
    # The replacement is what the pattern expected there, not 0.
    assert row["cleansed"] == pytest.approx(seasonal_trend(36)[-1], rel=0.1)


def test_parallel_run_matches_the_in_process_run() -> None:
    series: dict[str, Values] = {f"S{i}": seasonal_trend(30) * (1 + i / 10) for i in range(5)}
    series["S5"] = [4.0, 5.0]
    hist = history(series)
    prods = products([*series, "S6"])
    calls: list[tuple[int, int]] = []
    chunks: list[tuple[int, int]] = []
    one = forecast_demand(hist, prods, PLAN, progress=lambda d, t: calls.append((d, t)))
    two = forecast_demand(hist, prods, PLAN, jobs=2, progress=lambda d, t: chunks.append((d, t)))
    pd.testing.assert_frame_equal(one.forecast, two.forecast)
    pd.testing.assert_frame_equal(one.models, two.models)
    assert calls == [(i, 7) for i in range(1, 8)]
    assert chunks[-1] == (7, 7) and [d for d, _ in chunks] == sorted(d for d, _ in chunks)


def test_history_ending_before_the_plan_is_forecast_across_the_gap() -> None:
    result = forecast_demand(
        history({"A": seasonal_trend(36)}, end="2025-10-01"), products(["A"]), PLAN
    )
    assert "history ends 2025-10: forecast from 2 months later" in result.models["note"][0]
    truth = seasonal_trend(12, start=38)
    assert np.abs(result.forecast["forecast"].to_numpy() / truth - 1).max() < 0.10


def test_bad_arguments_are_refused() -> None:
    hist, prods = history({"A": [1.0, 2.0]}), products(["A"])
    with pytest.raises(ValueError, match="consecutive"):
        forecast_demand(hist, prods, PLAN[::2])
    with pytest.raises(ValueError, match="jobs"):
        forecast_demand(hist, prods, PLAN, jobs=0)
    with pytest.raises(ValueError, match="duplicate SKUs"):
        forecast_demand(hist, products(["A", "A"]), PLAN)


quantities = st.one_of(
    st.just(0.0), st.floats(0, 1e4, allow_nan=False), st.integers(0, 50).map(float)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(quantities, max_size=40), end_gap=st.integers(0, 3))
def test_any_valid_history_gives_finite_ordered_non_negative_numbers(
    values: list[float], end_gap: int
) -> None:
    end = PLAN[0] - pd.DateOffset(months=1 + end_gap)
    hist = history({"A": values} if values else {}, end=str(end.date()))
    result = forecast_demand(hist, products(["A"]), PLAN[:6])
    numbers = result.forecast[["forecast", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert numbers.shape == (6, 5)
    assert np.isfinite(numbers).all() and (numbers >= 0).all()
    assert bounds_ordered(result.forecast)
    assert result.models["note"][0]
