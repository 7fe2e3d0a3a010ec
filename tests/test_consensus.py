"""Consensus layers, lifecycle, hierarchy reconciliation; the actions through a real workbook."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.actions.consensus import apply_consensus
from sop_addin.actions.forecast import refresh_forecast
from sop_addin.actions.plan import run_plan
from sop_addin.actions.plan_demand import plan_demand
from sop_addin.contract.problems import ValidationError
from sop_addin.core.forecasting.consensus import (
    LAYERS,
    ConsensusInputs,
    archive_rows,
    build_consensus,
)
from sop_addin.core.forecasting.hierarchy import reconcile
from sop_addin.core.forecasting.lifecycle import LifecycleInputs, lifecycle_layer
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs, read_output
from tests.factories import M1, M2, frame, tiny_tables

PLAN = pd.date_range("2027-01-01", periods=4, freq="MS")
M3, M4 = PLAN[2], PLAN[3]


def _base(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": np.repeat(list(values), len(PLAN)),
            "month": np.tile(PLAN, len(values)),
            "statistical": np.concatenate([v for v in values.values()]).astype(float),
        }
    )


def _products(skus: list[str], **extra: dict[str, object]) -> pd.DataFrame:
    rows = [{"sku": s, "family": "F", "region": "North", "lifecycle": "mature"} for s in skus]
    products = frame("Products", rows)
    for column, values in extra.items():
        for sku, value in values.items():
            products.loc[products["sku"] == sku, column] = value
    return products


def _lifecycle_inputs(**tables: list[dict[str, object]]) -> LifecycleInputs:
    names = {
        "new_products": "NewProducts",
        "launch_curves": "LaunchCurves",
        "phase_outs": "PhaseOuts",
        "cannibalisation": "Cannibalisation",
    }
    return LifecycleInputs(**{k: frame(v, tables.get(k, [])) for k, v in names.items()})


ANALOG_HISTORY = pd.DataFrame(
    {
        "sku": "AN",
        "month": pd.date_range("2025-09-01", periods=16, freq="MS"),
        "quantity": [10.0, 20.0, 40.0, *([40.0] * 13)],  # run rate 40: shape 0.25, 0.5, 1
    }
)


def _delta(layer: pd.DataFrame, sku: str) -> list[float]:
    return layer[layer["sku"] == sku]["lifecycle"].round(6).tolist()


def test_new_product_follows_its_analog_scaled_to_the_launch_volume() -> None:
    base = _base({"NEW": [0, 0, 0, 0], "AN": [40, 40, 40, 40]})
    products = _products(["NEW", "AN"], launch_month={"NEW": M2})
    inputs = _lifecycle_inputs(
        new_products=[{"sku": "NEW", "analog_sku": "AN", "launch_volume": 100.0}]
    )
    layer = lifecycle_layer(base, products, ANALOG_HISTORY, PLAN, inputs)
    assert _delta(layer, "NEW") == [0.0, 25.0, 50.0, 100.0]
    assert _delta(layer, "AN") == [0.0] * 4
    assert layer[layer["sku"] == "NEW"]["note"].iloc[0] == (
        "new product from 2027-02: analog AN scaled to 100/month"
    )


def test_new_product_on_a_launch_curve_replaces_its_statistical_forecast() -> None:
    base = _base({"NEW": [5, 5, 5, 5]})
    products = _products(["NEW"], launch_month={"NEW": M1})
    curve = [
        {"curve": "std", "month_number": 1, "share": 0.3},
        {"curve": "std", "month_number": 2, "share": 0.6},
        {"curve": "std", "month_number": 4, "share": 1.0},
    ]
    inputs = _lifecycle_inputs(
        new_products=[{"sku": "NEW", "launch_volume": 50.0, "launch_curve": "std"}],
        launch_curves=curve,
    )
    layer = lifecycle_layer(base, products, ANALOG_HISTORY, PLAN, inputs)
    # 15, 30, 30 (month 3 is not listed: month 2's share holds), 50; minus the 5 baseline.
    assert _delta(layer, "NEW") == [10.0, 25.0, 25.0, 45.0]


def test_phase_out_ramps_down_to_the_end_of_life_and_cannibalisation_moves_a_share() -> None:
    base = _base({"OLD": [30, 30, 30, 30], "P": [40, 40, 40, 40], "S": [0, 0, 0, 0]})
    products = _products(["OLD", "P", "S"], end_of_life_month={"OLD": M3})
    inputs = _lifecycle_inputs(
        phase_outs=[{"sku": "OLD", "ramp_months": 2}],
        cannibalisation=[{"predecessor": "P", "successor": "S", "share": 0.5, "from_month": M2}],
    )
    layer = lifecycle_layer(base, products, ANALOG_HISTORY, PLAN, inputs)
    # Two ramp months up to March keep 2/3 and 1/3; nothing after the end of life.
    assert _delta(layer, "OLD") == [0.0, -10.0, -20.0, -30.0]
    assert _delta(layer, "P") == [0.0, -20.0, -20.0, -20.0]
    assert _delta(layer, "S") == [0.0, 20.0, 20.0, 20.0]
    # The notes reach the Consensus table.
    forecast = base.rename(columns={"statistical": "forecast"}).assign(
        family="F", region="North", lo80=0.0, hi80=0.0
    )
    consensus = build_consensus(forecast, layer, _inputs(), PLAN).consensus
    assert _cell(consensus, "P", M1)["note"] == "50% moved to S from 2027-02"
    assert _cell(consensus, "OLD", M4)["consensus"] == 0.0


def test_lifecycle_input_errors_name_their_row_and_column() -> None:
    base = _base({"NEW": [0, 0, 0, 0], "OLD": [9, 9, 9, 9]})
    inputs = _lifecycle_inputs(
        new_products=[{"sku": "NEW", "launch_volume": 10.0, "launch_curve": "nope"}],
        phase_outs=[{"sku": "OLD", "ramp_months": 2}],
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle_layer(base, _products(["NEW", "OLD"]), ANALOG_HISTORY, PLAN, inputs)
    problems = {(p.table, p.column): p.message for p in caught.value.problems}
    assert problems[("NewProducts", "launch_curve")] == (
        "launch curve 'nope' is not in the LaunchCurves table"
    )
    assert "OLD has no end_of_life_month" in problems[("PhaseOuts", "sku")]
    assert all(p.tab == "Demand data" for p in caught.value.problems)


def test_a_new_product_and_a_cannibalisation_gain_stop_at_the_end_of_life() -> None:
    # NEW launches flat at 100 in January and ends in February; S gains half of P from
    # January and ends in March. The statistical baseline is already 0 after each end.
    base = _base({"NEW": [0, 0, 0, 0], "P": [40, 40, 40, 40], "S": [0, 0, 0, 0]})
    products = _products(
        ["NEW", "P", "S"], launch_month={"NEW": M1}, end_of_life_month={"NEW": M2, "S": M3}
    )
    inputs = _lifecycle_inputs(
        new_products=[{"sku": "NEW", "launch_volume": 100.0}],
        cannibalisation=[{"predecessor": "P", "successor": "S", "share": 0.5, "from_month": M1}],
    )
    layer = lifecycle_layer(base, products, ANALOG_HISTORY, PLAN, inputs)
    assert _delta(layer, "NEW") == [100.0, 100.0, 0.0, 0.0]
    assert _delta(layer, "S") == [20.0, 20.0, 20.0, 0.0]
    assert "no demand after end of life 2027-02" in layer[layer["sku"] == "NEW"]["note"].iloc[0]


def test_an_end_of_life_before_the_launch_leaves_no_demand() -> None:
    base = _base({"NEW": [0, 0, 0, 0]})
    products = _products(
        ["NEW"], launch_month={"NEW": M3}, end_of_life_month={"NEW": pd.Timestamp("2026-01-01")}
    )
    inputs = _lifecycle_inputs(new_products=[{"sku": "NEW", "launch_volume": 215.0}])
    layer = lifecycle_layer(base, products, ANALOG_HISTORY, PLAN, inputs)
    assert _delta(layer, "NEW") == [0.0] * 4


def test_an_end_of_life_before_the_launch_is_a_problem_naming_its_cell(
    tiny_workbook: Path,
) -> None:
    wb = load_workbook(tiny_workbook)
    ws = wb["Products"]
    ref = ws.tables["Products"].ref.split(":")[0]
    header_row = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    column = {c.value: c.column_letter for c in ws[header_row] if c.value}
    ws[f"{column['Launch month']}{header_row + 1}"] = datetime(2026, 9, 1)
    ws[f"{column['End of life month']}{header_row + 1}"] = datetime(2026, 1, 1)
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    found = {(p.tab, p.table, p.row, p.column): p.message for p in caught.value.problems}
    assert found == {
        ("Products", "Products", header_row + 1, "end_of_life_month"): (
            "end of life 2026-01 is before the launch month 2026-09: the product would never sell"
        )
    }


# --- consensus -----------------------------------------------------------------------------


def _forecast(values: dict[str, float], family: dict[str, str]) -> pd.DataFrame:
    skus = list(values)
    return pd.DataFrame(
        {
            "sku": np.repeat(skus, 2),
            "family": np.repeat([family[s] for s in skus], 2),
            "region": "North",
            "month": np.tile([M1, M2], len(skus)),
            "forecast": np.repeat([values[s] for s in skus], 2),
            "lo80": np.repeat([values[s] * 0.8 for s in skus], 2),
            "hi80": np.repeat([values[s] * 1.2 for s in skus], 2),
        }
    )


def _no_lifecycle(skus: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"sku": np.repeat(skus, 2), "month": np.tile([M1, M2], len(skus)), "lifecycle": 0.0}
    ).assign(note="")


def _inputs(**tables: list[dict[str, object]]) -> ConsensusInputs:
    names = {
        "sales": "SalesInputs",
        "marketing": "MarketingUplifts",
        "family_adjustments": "FamilyAdjustments",
        "overrides": "Overrides",
    }
    return ConsensusInputs(**{k: frame(v, tables.get(k, [])) for k, v in names.items()})


def _cell(table: pd.DataFrame, sku: str, month: pd.Timestamp) -> pd.Series:
    return table[(table["sku"] == sku) & (table["month"] == month)].iloc[0]


def test_every_layer_is_its_own_column_and_they_add_up_to_the_consensus() -> None:
    forecast = _forecast({"A": 60.0, "B": 20.0, "C": 10.0}, {"A": "F", "B": "F", "C": "G"})
    who = {"author": "Ann", "entered_on": "2026-12-20"}
    inputs = _inputs(
        sales=[
            {
                "sku": "A",
                "month": M1,
                "reference": "Tender",
                "stage": "deal",
                "quantity": 10.0,
                "probability": 0.9,
            },
            {
                "sku": "A",
                "month": M1,
                "reference": "Lead",
                "stage": "pipeline",
                "quantity": 20.0,
                "probability": 0.25,
            },
            {
                "sku": "A",
                "month": pd.Timestamp("2028-01-01"),
                "reference": "Far",
                "stage": "deal",
                "quantity": 5.0,
                "probability": 1.0,
            },
        ],
        marketing=[
            {"campaign": "Promo", "sku": "B", "month": M2, "uplift_pct": 0.5, "uplift_units": 2.0}
        ],
        family_adjustments=[
            {"family": "F", "month": M2, "units": 8.0, "reason_code": "market", "author": "Bob"}
        ],
        overrides=[
            {
                "sku": "C",
                "month": M1,
                "kind": "absolute",
                "value": 25.0,
                "reason_code": "customer",
                **who,
            },
            {
                "sku": "A",
                "month": M2,
                "kind": "percent",
                "value": -10.0,  # percent: -10 = -10% (contract_version 0.2)
                "reason_code": "correction",
                **who,
            },
        ],
    )
    result = build_consensus(
        forecast, _no_lifecycle(["A", "B", "C"]), inputs, pd.DatetimeIndex([M1, M2])
    )
    table = result.consensus
    a1, b2, c1 = _cell(table, "A", M1), _cell(table, "B", M2), _cell(table, "C", M1)
    assert a1["sales"] == pytest.approx(9.0 + 5.0)  # 10 x 0.9 + 20 x 0.25
    assert a1["consensus"] == pytest.approx(74.0)
    assert b2["marketing"] == pytest.approx(12.0)  # 50% of 20, plus 2 units
    # The family's 8 units split by demand so far in February: A 60, B 32.
    assert b2["family_adjustment"] == pytest.approx(8 * 32 / 92)
    a2 = _cell(table, "A", M2)
    assert a2["family_adjustment"] == pytest.approx(8 * 60 / 92)
    before = 60 + 8 * 60 / 92
    assert a2["override"] == pytest.approx(-0.1 * before)
    assert c1["override"] == pytest.approx(15.0) and c1["consensus"] == 25.0
    # The baseline is never overwritten, and the layers add up to the consensus.
    assert table["statistical"].tolist() == forecast["forecast"].tolist()
    np.testing.assert_allclose(table[list(LAYERS)].sum(axis=1), table["consensus"])
    assert (table["lo80"] <= table["consensus"]).all() and (
        table["hi80"] >= table["consensus"]
    ).all()
    assert result.outside_plan == {"SalesInputs": 1}
    # Every override applied is logged: who, when, why, before and after.
    log = result.override_log.set_index("sku")
    assert log.loc[
        "C", ["kind", "before", "after", "reason_code", "author", "entered_on"]
    ].tolist() == ["absolute", 10.0, 25.0, "customer", "Ann", "2026-12-20"]
    assert log.loc["A", "after"] == pytest.approx(0.9 * before)
    assert "override by Ann (customer)" in c1["note"]
    assert (c1["family"], c1["region"], a1["family"]) == ("G", "North", "F")


def test_no_layer_adds_demand_after_the_end_of_life_but_an_explicit_override_is_kept() -> None:
    # A ends in January (its statistical forecast is 0 in February, as the engine makes it);
    # B in the same family lives on.
    forecast = _forecast({"A": 60.0, "B": 20.0}, {"A": "F", "B": "F"})
    forecast.loc[(forecast["sku"] == "A") & (forecast["month"] == M2), "forecast"] = 0.0
    who = {"author": "Ann", "entered_on": "2026-12-20"}
    deal = {"reference": "T", "stage": "deal", "quantity": 10.0, "probability": 1.0}
    inputs = _inputs(
        sales=[{"sku": "A", "month": M1, **deal}, {"sku": "A", "month": M2, **deal}],
        marketing=[{"campaign": "Promo", "sku": "A", "month": M2, "uplift_units": 5.0}],
        family_adjustments=[
            {"family": "F", "month": M2, "units": 8.0, "reason_code": "market", "author": "Bob"}
        ],
        overrides=[
            {"sku": "A", "month": M2, "kind": "absolute", "value": 7.0, "reason_code": "other"}
            | who
        ],
    )
    result = build_consensus(
        forecast,
        _no_lifecycle(["A", "B"]),
        inputs,
        pd.DatetimeIndex([M1, M2]),
        end_of_life={"A": M1, "B": None},
    )
    table = result.consensus
    a1, a2, b2 = _cell(table, "A", M1), _cell(table, "A", M2), _cell(table, "B", M2)
    assert a1["sales"] == 10.0 and a1["consensus"] == 70.0  # the end-of-life month still sells
    assert (a2["sales"], a2["marketing"], a2["family_adjustment"]) == (0.0, 0.0, 0.0)
    assert b2["family_adjustment"] == 8.0  # the whole family adjustment goes to the live SKU
    # The explicit override is kept, logged and flagged; the dropped inputs are counted.
    assert a2["override"] == 7.0 and a2["consensus"] == 7.0
    assert result.override_log["after"].tolist() == [7.0]
    assert "2 input(s) after end of life 2027-01 not applied" in a2["note"]
    assert "override in 2027-02 after end of life 2027-01 kept" in a2["note"]
    np.testing.assert_allclose(table[list(LAYERS)].sum(axis=1), table["consensus"])


def test_a_cut_larger_than_the_demand_stops_at_zero() -> None:
    forecast = _forecast({"A": 6.0, "B": 4.0}, {"A": "F", "B": "F"})
    inputs = _inputs(
        family_adjustments=[
            {"family": "F", "month": M1, "units": -50.0, "reason_code": "market", "author": "Bob"}
        ]
    )
    table = build_consensus(
        forecast, _no_lifecycle(["A", "B"]), inputs, pd.DatetimeIndex([M1, M2])
    ).consensus
    jan = table[table["month"] == M1]
    assert jan["consensus"].tolist() == [0.0, 0.0]
    assert jan["family_adjustment"].tolist() == [-6.0, -4.0]


def test_consensus_input_errors_name_their_row() -> None:
    forecast = _forecast({"A": 6.0}, {"A": "F"})
    inputs = _inputs(
        overrides=[
            {
                "sku": "A",
                "month": M1,
                "kind": "absolute",
                "value": -3.0,
                "reason_code": "other",
                "author": "X",
                "entered_on": "today",
            }
        ],
        marketing=[{"campaign": "Nothing", "sku": "A", "month": M1}],
    )
    with pytest.raises(ValidationError) as caught:
        build_consensus(forecast, _no_lifecycle(["A"]), inputs, pd.DatetimeIndex([M1, M2]))
    where = {(p.table, p.column) for p in caught.value.problems}
    assert where == {("Overrides", "value"), ("MarketingUplifts", "uplift_pct")}


def test_archive_rows_are_the_cumulative_forecast_after_each_layer() -> None:
    forecast = _forecast({"A": 60.0}, {"A": "F"})
    inputs = _inputs(
        sales=[
            {
                "sku": "A",
                "month": M1,
                "reference": "T",
                "stage": "deal",
                "quantity": 10.0,
                "probability": 1.0,
            }
        ]
    )
    table = build_consensus(
        forecast, _no_lifecycle(["A"]), inputs, pd.DatetimeIndex([M1, M2])
    ).consensus
    rows = archive_rows(table, pd.Timestamp("2026-12-01"))
    jan = rows[rows["month"] == M1].set_index("layer")["quantity"].to_dict()
    assert jan == {
        "statistical": 60.0,
        "lifecycle": 60.0,
        "sales": 70.0,
        "marketing": 70.0,
        "family_adjustment": 70.0,
        "consensus": 70.0,
    }


# --- hierarchy -------------------------------------------------------------------------------


def _flat_history() -> pd.DataFrame:
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    rows = [(s, m, q) for s, q in (("A", 60.0), ("B", 30.0), ("C", 10.0)) for m in months]
    return pd.DataFrame(rows, columns=["sku", "month", "quantity"])


def _sku_forecast() -> pd.DataFrame:
    base = {"A": 50.0, "B": 40.0, "C": 10.0}
    fam = {"A": "F", "B": "F", "C": "G"}
    reg = {"A": "North", "B": "South", "C": "North"}
    months = pd.DatetimeIndex([M1, M2])
    return pd.DataFrame(
        {
            "sku": np.repeat(list(base), 2),
            "family": np.repeat([fam[s] for s in base], 2),
            "region": np.repeat([reg[s] for s in base], 2),
            "month": np.tile(months, 3),
            "model": "x",
            "forecast": np.repeat(list(base.values()), 2),
            "lo80": np.repeat([v * 0.8 for v in base.values()], 2),
            "hi80": np.repeat([v * 1.2 for v in base.values()], 2),
            "lo95": np.repeat([v * 0.7 for v in base.values()], 2),
            "hi95": np.repeat([v * 1.3 for v in base.values()], 2),
        }
    )


def _level(table: pd.DataFrame, level: str, key: str, column: str = "reconciled") -> float:
    rows = table[(table["level"] == level) & (table["key"] == key) & (table["month"] == M1)]
    return float(rows[column].iloc[0])


@pytest.mark.parametrize(
    ("method", "skus"),
    [
        ("bottom_up", {"A": 50.0, "B": 40.0, "C": 10.0}),
        ("top_down", {"A": 60.0, "B": 30.0, "C": 10.0}),  # total 100 by 12-month shares
        ("middle_out", {"A": 60.0, "B": 30.0, "C": 10.0}),  # F's own 90 split 2:1
    ],
)
def test_reconciliation_methods(method: str, skus: dict[str, float]) -> None:
    forecast, table = reconcile(
        _sku_forecast(), _flat_history(), pd.DatetimeIndex([M1, M2]), method
    )
    jan = forecast[forecast["month"] == M1].set_index("sku")
    assert jan["forecast"].to_dict() == pytest.approx(skus)
    # Intervals move with the forecast.
    np.testing.assert_allclose(jan["hi80"], jan["forecast"] * 1.2)
    # Every aggregate is the sum of its SKUs; the base is its own forecast (flat: exact).
    assert _level(table, "total", "total") == pytest.approx(sum(skus.values()))
    assert _level(table, "family", "F") == pytest.approx(skus["A"] + skus["B"])
    assert _level(table, "region", "North") == pytest.approx(skus["A"] + skus["C"])
    assert _level(table, "family", "F", "base") == pytest.approx(90.0)
    assert _level(table, "total", "total", "base") == pytest.approx(100.0)
    assert set(table["method"]) == {method}


def test_unknown_reconciliation_is_refused() -> None:
    with pytest.raises(ValueError, match="reconciliation must be one of"):
        reconcile(_sku_forecast(), _flat_history(), pd.DatetimeIndex([M1, M2]), "sideways")


# --- the actions through a real workbook file -------------------------------------------------


@pytest.fixture
def demand_workbook(tmp_path: Path) -> Path:
    tables = tiny_tables()
    who = {"author": "Ann", "entered_on": "2026-12-20"}
    tables["SalesInputs"] = frame(
        "SalesInputs",
        [
            {
                "sku": "A",
                "month": M1,
                "reference": "Tender",
                "stage": "deal",
                "quantity": 10.0,
                "probability": 0.5,
            }
        ],
    )
    tables["MarketingUplifts"] = frame(
        "MarketingUplifts", [{"campaign": "Promo", "sku": "B", "month": M2, "uplift_pct": 0.1}]
    )
    tables["FamilyAdjustments"] = frame(
        "FamilyAdjustments",
        [{"family": "F", "month": M1, "units": 4.0, "reason_code": "market", "author": "Bob"}],
    )
    tables["Overrides"] = frame(
        "Overrides",
        [
            {
                "sku": "B",
                "month": M1,
                "kind": "percent",
                "value": -20.0,  # -20% (contract_version 0.2)
                "reason_code": "customer",
                **who,
            }
        ],
    )
    return create_workbook(tmp_path / "demand.xlsx", tables)


def test_actions_write_layers_the_plan_uses_the_consensus_and_a_refresh_resets_it(
    demand_workbook: Path,
) -> None:
    port = FilePort.open(demand_workbook)
    summary = refresh_forecast(port)
    assert summary["reconciliation"] == "bottom_up"
    forecast = read_output(port, "Forecast", produced_by="test")
    assert sorted(forecast["forecast"].round(6).unique()) == [30.0, 50.0]  # flat histories
    # Before Apply Consensus, the plan's demand is the forecast.
    assert plan_demand(port)["quantity"].round(6).tolist() == [50.0, 50.0, 30.0, 30.0]
    result = apply_consensus(port)
    assert result["overrides_applied"] == 1
    port.save()

    port = FilePort.open(demand_workbook)  # what was saved, read back
    consensus = read_output(port, "Consensus", produced_by="test").set_index(["sku", "month"])
    # A: 50 + 10 x 0.5 + 4 (family F has only A); B: 30 - 20%, then 30 + 10%.
    assert consensus["consensus"].round(6).to_dict() == {
        ("A", M1): 59.0,
        ("A", M2): 50.0,
        ("B", M1): 24.0,
        ("B", M2): 33.0,
    }
    assert consensus.loc[("B", M1), "override"] == pytest.approx(-6.0)
    log = read_output(port, "OverrideLog", produced_by="test")
    assert log[["sku", "before", "after", "author", "reason_code"]].values.tolist() == [
        ["B", 30.0, 24.0, "Ann", "customer"]
    ]
    run_plan(port)
    balance = read_output(port, "ProductBalance", produced_by="test").set_index(["sku", "month"])
    assert balance.loc[("A", M1), "demand"] == pytest.approx(59.0)
    assert balance.loc[("B", M2), "demand"] == pytest.approx(33.0)
    # A new baseline makes the consensus stale: Refresh Forecast empties it.
    refresh_forecast(port)
    assert read_output(port, "Consensus", produced_by="t", allow_empty=True).empty
    assert plan_demand(port)["quantity"].round(6).tolist() == [50.0, 50.0, 30.0, 30.0]
    cleansed = read_output(port, "CleansedHistory", produced_by="t")
    assert len(cleansed) == 72 and set(cleansed["flag"]) == {"ok"}
    hierarchy = read_output(port, "DemandHierarchy", produced_by="t")
    assert set(hierarchy["level"]) == {"total", "family", "region", "sku"}


def test_a_bad_reconciliation_setting_names_its_cell(tmp_path: Path) -> None:
    tables = tiny_tables()
    settings = tables["Settings"]
    extra = frame("Settings", [{"setting": "reconciliation", "value": "sideways"}])
    tables["Settings"] = pd.concat([settings, extra], ignore_index=True)
    port = FilePort.open(create_workbook(tmp_path / "bad.xlsx", tables))
    with pytest.raises(ValidationError) as caught:
        refresh_forecast(port)
    problem = caught.value.problems[0]
    assert (problem.tab, problem.table, problem.column) == ("Setup", "Settings", "value")
    assert problem.row is not None
    assert "reconciliation must be one of bottom_up, top_down, middle_out" in problem.message
