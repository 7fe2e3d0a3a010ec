"""Accuracy of stored past forecasts (wMAPE, MASE, bias, tracking signal) and FVA, by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sop_addin.actions.accuracy import accuracy
from sop_addin.core.forecasting.accuracy import forecast_accuracy
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.factories import frame, tiny_tables

OCT, NOV, DEC = (pd.Timestamp(f"2026-{m}-01") for m in (10, 11, 12))


def _history() -> pd.DataFrame:
    # A: 10, 12, 10, 12 ... before October (one-step naive error 2); then 10, 20, 30.
    months = pd.date_range("2026-01-01", "2026-12-01", freq="MS")
    a = [10.0, 12.0] * 4 + [11.0, 10.0, 20.0, 30.0]
    b = [5.0] * 12
    rows = [("A", m, q) for m, q in zip(months, a, strict=True)]
    rows += [("B", m, q) for m, q in zip(months, b, strict=True)]
    return pd.DataFrame(rows, columns=["sku", "month", "quantity"])


def _archive() -> pd.DataFrame:
    rows = []
    for month, stat, cons in ((OCT, 14.0, 11.0), (NOV, 16.0, 18.0), (DEC, 24.0, 27.0)):
        made = month - pd.DateOffset(months=1)
        rows.append((made, "A", month, "statistical", stat))
        rows.append((made, "A", month, "consensus", cons))
    rows.append((DEC - pd.DateOffset(months=3), "A", DEC, "statistical", 21.0))
    rows.append((NOV - pd.DateOffset(months=1), "B", NOV, "statistical", 7.0))
    rows.append((NOV - pd.DateOffset(months=1), "B", NOV, "consensus", 5.0))
    rows.append(
        (NOV - pd.DateOffset(months=2), "B", DEC, "statistical", 9.0)
    )  # lag 2: not reported
    rows.append((DEC, "A", pd.Timestamp("2027-01-01"), "statistical", 30.0))  # no actual yet
    return pd.DataFrame(rows, columns=["made_in", "sku", "month", "layer", "quantity"])


def _products() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["A", "B"], "family": ["F", "F"]})


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return forecast_accuracy(_archive(), _history(), _products())


def _row(table: pd.DataFrame, level: str, key: str, layer: str, lag: int) -> pd.Series:
    found = table[
        (table["level"] == level)
        & (table["key"] == key)
        & (table["layer"] == layer)
        & (table["lag"] == lag)
    ]
    assert len(found) == 1
    return found.iloc[0]


def test_sku_accuracy_by_hand(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    table, _ = tables
    stat = _row(table, "sku", "A", "statistical", 1)
    # Actuals 10, 20, 30 (60); forecasts 14, 16, 24 (54); errors a - f: -4, 4, 6.
    assert stat["months"] == 3 and stat["actual"] == 60.0 and stat["forecast"] == 54.0
    assert stat["wmape"] == pytest.approx(14 / 60)
    assert stat["bias"] == pytest.approx(-6 / 60)
    assert stat["tracking_signal"] == pytest.approx(6 / (14 / 3))
    # MASE: MAE 14/3 over the naive error of Jan..Sep: seven steps of 2, one of 1: 15/8.
    assert stat["mase"] == pytest.approx((14 / 3) / (15 / 8))
    lag3 = _row(table, "sku", "A", "statistical", 3)
    assert lag3["months"] == 1 and lag3["wmape"] == pytest.approx(9 / 30)
    assert set(table["lag"]) == {1, 3}  # lag 2 is not reported; January has no actual


def test_family_accuracy_sums_the_skus_first(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    table, _ = tables
    fam = _row(table, "family", "F", "statistical", 1)
    # October 10 vs 14; November 20 + 5 vs 16 + 7; December 30 vs 24.
    assert fam["actual"] == 65.0 and fam["forecast"] == 61.0
    assert fam["wmape"] == pytest.approx((4 + 2 + 6) / 65)


def test_forecast_value_added(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, fva = tables
    total = fva[(fva["level"] == "total") & (fva["lag"] == 1)].set_index("layer")
    # Same SKU-months for both layers: A Oct-Dec and B Nov; actual 65.
    # statistical errors 4 + 4 + 6 + 2 = 16; consensus 1 + 2 + 3 + 0 = 6.
    assert total.loc["statistical", "wmape"] == pytest.approx(16 / 65)
    assert total.loc["consensus", "wmape"] == pytest.approx(6 / 65)
    assert total.loc["consensus", "fva"] == pytest.approx(10 / 65)
    assert total.loc["consensus", "fva_vs_previous"] == pytest.approx(10 / 65)
    assert total.loc["statistical", "fva"] == 0.0
    assert total.loc["consensus", "months"] == 4


def test_no_archive_gives_empty_tables() -> None:
    empty = _archive().iloc[:0]
    table, fva = forecast_accuracy(empty, _history(), _products())
    assert table.empty and fva.empty


def test_accuracy_action_writes_both_tables(tmp_path: Path) -> None:
    tables = tiny_tables()
    hist = tables["SalesHistory"]
    archive = [
        {
            "made_in": pd.Timestamp("2026-11-01"),
            "sku": "A",
            "month": DEC,
            "layer": layer,
            "quantity": q,
        }
        for layer, q in (("statistical", 40.0), ("consensus", 45.0))
    ]
    tables["ForecastArchive"] = frame("ForecastArchive", archive)
    port = FilePort.open(create_workbook(tmp_path / "acc.xlsx", tables))
    summary = accuracy(port)
    # A sold 50 in December: statistical off by 10, consensus by 5.
    assert summary["fva_total"] == {"statistical lag 1": 0.0, "consensus lag 1": 0.1}
    written = read_output(port, "DemandAccuracy", produced_by="t")
    assert set(written["layer"]) == {"statistical", "consensus"}
    assert len(hist) > 0
