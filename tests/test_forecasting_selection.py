"""Classification, cleansing, backtest selection, the panel runner on bad series, `sop forecast`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sop_addin.cli import cli
from sop_addin.core.forecasting.classification import (
    DemandClass,
    adi_cv2,
    classify,
    is_seasonal,
    scales_with_level,
)
from sop_addin.core.forecasting.cleansing import cleanse
from sop_addin.core.forecasting.engine import EngineOptions, fit_series
from sop_addin.core.forecasting.models import (
    HoltWinters,
    MovingAverage,
    Naive,
    SeasonalNaive,
    SimpleExpSmoothing,
)
from sop_addin.core.forecasting.panel import OUTPUT_COLUMNS, forecast_panel
from sop_addin.core.forecasting.selection import BacktestSettings, backtest, origins

T48 = np.arange(48, dtype=np.float64)


def test_adi_and_cv2_by_hand() -> None:
    # 12 months, demand in 4: ADI 3; sizes 2, 4, 6, 8: mean 5, population std sqrt(5).
    y = np.zeros(12)
    y[[0, 3, 6, 9]] = [2.0, 4.0, 6.0, 8.0]
    adi, cv2 = adi_cv2(y)
    assert adi == 3.0 and cv2 == pytest.approx(5 / 25)
    assert classify(y) is DemandClass.INTERMITTENT


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.full(12, 10.0), DemandClass.SMOOTH),
        (np.tile([1.0, 30.0], 6), DemandClass.ERRATIC),  # ADI 1, CV² (14.5/15.5)² = 0.875
        (np.tile([0.0, 0.0, 5.0], 4), DemandClass.INTERMITTENT),
        (np.tile([0.0, 1.0, 0.0, 40.0], 3), DemandClass.LUMPY),
        (np.zeros(12), DemandClass.NONE),
    ],
)
def test_classes(values: np.ndarray, expected: DemandClass) -> None:
    assert classify(values) is expected


def test_seasonality_and_multiplicative_tests() -> None:
    season = 100 + 20 * np.sin(2 * np.pi * T48 / 12)
    assert is_seasonal(season) and not is_seasonal(100 + 2 * T48)
    assert not is_seasonal(season[:23])  # two full seasons needed
    growing = (100 * 1.03**T48) * (1 + 0.3 * np.sin(2 * np.pi * T48 / 12))
    assert scales_with_level(growing) and not scales_with_level(season + T48)


def test_cleansing_replaces_an_outlier_keeps_the_season_and_flags_it() -> None:
    rng = np.random.default_rng(4)
    y = 100 + T48 + 20 * np.sin(2 * np.pi * T48 / 12) + rng.normal(0, 2, 48)
    spiked = y.copy()
    spiked[30] = 500.0
    result = cleanse(spiked)
    assert np.flatnonzero(result.outlier).tolist() == [30]
    assert result.values[30] == pytest.approx(y[30], abs=8)
    np.testing.assert_array_equal(np.delete(result.values, 30), np.delete(spiked, 30))
    assert result.note.startswith("1 outlier month replaced by the expected value")
    assert not cleanse(y).outlier.any()  # seasonal peaks are not outliers


def test_cleansing_leaves_intermittent_and_short_histories_alone() -> None:
    lumpy = np.tile([0.0, 0.0, 0.0, 90.0], 6)
    assert not cleanse(lumpy).outlier.any()
    short = np.array([5.0, 5.0, 5.0, 500.0])
    assert cleanse(short).values.tolist() == short.tolist()


def test_origins_leave_enough_history_to_fit() -> None:
    settings = BacktestSettings(windows=2, horizon=6)
    assert origins(48, settings, 24) == [36, 42]
    assert origins(30, settings, 24) == [24]
    assert origins(20, settings, 24) == []


def test_backtest_picks_seasonal_naive_for_an_exactly_repeating_season() -> None:
    y = np.tile([5.0, 9, 14, 20, 25, 28, 26, 21, 15, 10, 6, 4], 4)
    selection = backtest((MovingAverage, SeasonalNaive, HoltWinters), y, BacktestSettings())
    assert selection.ranked[0] is SeasonalNaive
    assert selection.scores["seasonal_naive"] == 0.0
    assert selection.scores["moving_average"] > 0.2  # scaled by the mean level (no naive error)
    assert selection.windows == 2


def test_backtest_picks_a_level_model_for_a_flat_noisy_series() -> None:
    rng = np.random.default_rng(11)
    y = 50 + rng.normal(0, 5, 48)
    selection = backtest((Naive, MovingAverage, SimpleExpSmoothing), y, BacktestSettings())
    assert selection.ranked[0] in (MovingAverage, SimpleExpSmoothing)
    assert selection.scores["naive"] > selection.best_score


def test_selection_is_recorded_and_wmape_is_selectable() -> None:
    y = 100 + T48 + 25 * np.sin(2 * np.pi * T48 / 12)
    fitted = fit_series(y, 6, EngineOptions(backtest=BacktestSettings(metric="wmape")))
    assert fitted.alias in {"holt_winters", "seasonal_naive"}
    assert any("backtest (WMAPE" in n for n in fitted.notes)
    with pytest.raises(ValueError, match="backtest metric"):
        BacktestSettings(metric="mape")


def test_intermittent_series_selects_within_the_croston_family() -> None:
    rng = np.random.default_rng(2)
    y = rng.binomial(1, 0.3, 48) * rng.integers(1, 8, 48).astype(float)
    fitted = fit_series(y, 6, EngineOptions())
    assert fitted.alias in {"croston", "sba", "tsb", "moving_average"}
    assert fitted.demand_class in {"intermittent", "lumpy"}


# --- the panel: every bad series gets its documented result and reason --------------------

MONTHS = pd.date_range("2022-01-01", periods=36, freq="MS")


def _long(series: dict[str, list[float] | np.ndarray]) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": MONTHS[: len(y)], "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def bad_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    good = 100 + np.arange(36) + 20 * np.sin(2 * np.pi * np.arange(36) / 12)
    with_inf = good.copy()
    with_inf[20] = np.inf
    negative = good.copy()
    negative[[3, 4]] = -7.0
    frame = _long(
        {
            "GOOD": good,
            "ONE": [42.0],
            "ZERO": np.zeros(12),
            "NAN": [np.nan] * 12,
            "INF": with_inf,
            "NEG": negative,
        }
    )
    # An empty series: its only row has a blank y, which is no demand at all.
    frame = pd.concat(
        [frame, pd.DataFrame({"unique_id": ["EMPTY"], "ds": [MONTHS[0]], "y": [np.nan]})]
    )
    return forecast_panel(frame, 4)


def _note(notes: pd.DataFrame, uid: str) -> str:
    return str(notes.set_index("unique_id").loc[uid, "note"])


def _mean(out: pd.DataFrame, uid: str) -> np.ndarray:
    return out[out["unique_id"] == uid]["mean"].to_numpy()


def test_panel_output_shape_and_no_nan(bad_panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    out, notes = bad_panel
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert len(out) == 7 * 4 and len(notes) == 7
    values = out[["mean", "lo-80", "hi-80", "lo-95", "hi-95"]].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    good = out[out["unique_id"] == "GOOD"]
    assert good["ds"].tolist() == list(pd.date_range("2025-01-01", periods=4, freq="MS"))


def test_one_point_is_the_last_value(bad_panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    out, notes = bad_panel
    np.testing.assert_allclose(_mean(out, "ONE"), 42.0)
    assert _note(notes, "ONE").startswith("1 month of history: last value")


@pytest.mark.parametrize(
    ("uid", "reason"),
    [
        ("ZERO", "no demand in the history: forecast 0"),
        ("NAN", "history has 12 blank or non-finite quantities (set to 0); no demand"),
        ("EMPTY", "history has 1 blank or non-finite quantity (set to 0); no demand"),
    ],
)
def test_nothing_to_forecast_from_is_zero_with_a_reason(
    bad_panel: tuple[pd.DataFrame, pd.DataFrame], uid: str, reason: str
) -> None:
    out, notes = bad_panel
    assert (out[out["unique_id"] == uid][["mean", "hi-95"]].to_numpy() == 0).all()
    assert (notes.set_index("unique_id").loc[uid, "model"]) == "none"
    assert _note(notes, uid).startswith(reason)


@pytest.mark.parametrize(
    ("uid", "reason"),
    [
        ("INF", "history has 1 blank or non-finite quantity (set to 0); 1 invalid month replaced"),
        ("NEG", "history has 2 negative quantities (set to 0); 2 invalid months replaced"),
    ],
)
def test_invalid_values_are_replaced_and_said(
    bad_panel: tuple[pd.DataFrame, pd.DataFrame], uid: str, reason: str
) -> None:
    out, notes = bad_panel
    assert _note(notes, uid).startswith(reason)
    # Repaired, the series forecasts like the clean one.
    np.testing.assert_allclose(_mean(out, uid), _mean(out, "GOOD"), rtol=0.1)


def test_panel_in_processes_matches_in_process() -> None:
    series = {f"S{i}": 50 + 10 * np.sin(np.arange(30) / 2 + i) for i in range(6)}
    frame = _long(series)
    one, _ = forecast_panel(frame, 3, jobs=1)
    two, _ = forecast_panel(frame, 3, jobs=2)
    pd.testing.assert_frame_equal(one, two)


def test_panel_refuses_bad_frames() -> None:
    with pytest.raises(ValueError, match="missing the column"):
        forecast_panel(pd.DataFrame({"unique_id": ["a"], "y": [1.0]}), 2)
    dup = _long({"A": [1.0, 2.0]})
    with pytest.raises(ValueError, match="two rows for the month of 2022-01"):
        forecast_panel(pd.concat([dup, dup.iloc[:1]]), 2)
    with pytest.raises(ValueError, match="horizon"):
        forecast_panel(dup, 0)


def test_sop_forecast_round_trip_through_csv(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    frame = _long({"A": 20 + np.arange(30.0), "B": np.tile([0.0, 0.0, 6.0], 10)})
    frame = frame[~((frame["unique_id"] == "A") & (frame["ds"] == MONTHS[10]))]  # a gap
    frame.to_csv(source, index=False)
    target, notes = tmp_path / "out.csv", tmp_path / "notes.csv"
    args = ["forecast", str(source), "--horizon", "5", "--out", str(target), "--jobs", "1"]
    result = CliRunner().invoke(cli, [*args, "--notes", str(notes), "--quiet"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(target)
    assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 10
    assert out.groupby("unique_id")["ds"].first().to_dict() == {
        "A": "2024-07-01",
        "B": "2024-07-01",
    }
    assert (
        "1 missing period(s) counted as 0"
        in pd.read_csv(notes).set_index("unique_id").loc["A", "note"]
    )


def test_sop_forecast_bad_input_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("unique_id,month,y\nA,2024-01-01,3\n")
    args = ["forecast", str(source), "--horizon", "2", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, [*args, "--quiet"])
    assert result.exit_code == 2
    assert "missing the column(s) ds" in result.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,2024-01-01,5\n,2024-02-01,6\n", "line 3, column unique_id: the series id is blank"),
        ("", "the input has no data rows (only a header): nothing to forecast"),
        (
            "A,2024-01-01,5\n\nA,notadate,6\n",
            "line 4, column ds: 'notadate' is not a date (use YYYY-MM-DD)",
        ),
        ("A,2024-01-01,5\nA,,6\n", "line 3, column ds: the date is blank"),
        ("A,2024-01-01,5\nA,2024-02-01,lots\n", "line 3, column y: 'lots' is not a number"),
        (
            "A,2024-01-01,5\nB,2024-01-01,1\nA,2024-01-01,6\n",
            "line 4, column ds: series 'A' has two rows for the month of 2024-01 "
            "(the other on line 2)",
        ),
    ],
)
def test_sop_forecast_bad_rows_exit_2_naming_line_and_column(
    tmp_path: Path, text: str, message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("unique_id,ds,y\n" + text)
    args = ["forecast", str(source), "--horizon", "2", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, [*args, "--quiet", "--jobs", "1"])
    assert result.exit_code == 2
    assert f"{source}: {message}" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_sop_forecast_unreadable_file_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("")
    args = ["forecast", str(source), "--horizon", "2", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, [*args, "--quiet"])
    assert result.exit_code == 2
    assert "not a readable CSV" in result.output


def test_blank_lines_at_the_end_of_a_panel_csv_are_ignored(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("unique_id,ds,y\nA,2024-01-01,5\nA,2024-02-01,7\n\n\n")
    args = ["forecast", str(source), "--horizon", "2", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, [*args, "--quiet", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "o.csv")) == 2
