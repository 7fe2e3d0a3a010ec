"""The S&OP worksheet functions called as Excel calls them: 2-D lists, None for blank cells,
error text for error cells; answers are numbers, spilled rows, or Excel error strings."""

from __future__ import annotations

import importlib.util
import io
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from sop_addin import udfs as sop_udfs
from sop_addin.core.forecasting.engine import EngineOptions, fit_series
from sop_addin.excel import udf_bridge
from sop_addin.udfs import (
    SOP_ACCURACY,
    SOP_CAPACITY_LOAD,
    SOP_FORECAST,
    SOP_REORDER_POINT,
    SOP_SAFETY_STOCK,
)

Z80 = 1.2815515655446004
Z95 = 1.959963984540054
Z_SERVICE_95 = 1.6448536269514722
UDF_NAMES = [
    "SOP_FORECAST",
    "SOP_ACCURACY",
    "SOP_SAFETY_STOCK",
    "SOP_REORDER_POINT",
    "SOP_CAPACITY_LOAD",
]
UDF_FILE = Path(__file__).resolve().parents[1] / "sop_addin" / "udfs.py"
UDF_MODULE = "sop_addin.udfs"
STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client")


def column(*values):
    return [[v] for v in values]


@pytest.fixture(autouse=True)
def _fresh_cache():
    udf_bridge.clear_cache()
    yield
    udf_bridge.clear_cache()


@pytest.fixture(scope="module")
def excel_udfs():
    """sop_addin/udfs.py as Windows Excel imports it, with xlwings' real decorators.

    On other systems xlwings' ``func``/``arg`` do nothing; its UDF machinery imports the
    pywin32 modules, which stand-ins satisfy (no COM call is made here).
    """
    stubs = {name: types.ModuleType(name) for name in STUBBED if name not in sys.modules}
    stubs.get("pythoncom", types.SimpleNamespace()).CoInitialize = lambda: None
    if "win32com.client" in stubs:
        stubs["win32com.client"].Dispatch = None
    with pytest.MonkeyPatch.context() as mp:
        for name, module in stubs.items():
            mp.setitem(sys.modules, name, module)
        import xlwings
        from xlwings import udfs as xlwings_udfs

        mp.setattr(xlwings, "func", xlwings_udfs.xlfunc)
        mp.setattr(xlwings, "arg", xlwings_udfs.xlarg)
        spec = importlib.util.spec_from_file_location(UDF_MODULE, UDF_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        wrapper = io.StringIO()
        xlwings_udfs.generate_vba_wrapper(
            UDF_MODULE, module, wrapper, types.SimpleNamespace(Name="sop_planning.xlsm")
        )
    sys.modules.pop("xlwings.udfs", None)  # it was imported against the stand-ins
    return module, wrapper.getvalue()


def test_every_udf_is_registered_for_excel_with_documented_arguments(excel_udfs):
    module, _ = excel_udfs
    for name in UDF_NAMES:
        meta = getattr(module, name).__xlfunc__
        assert meta["category"] == "S&OP"
        assert len(meta["ret"]["doc"]) <= 255  # the function wizard's limit
        assert "convert" not in meta["ret"]["options"]
        for arg in meta["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert arg["options"] == {"err_to_str": True, **arg["options"]}
            assert "convert" not in arg["options"]  # an annotation would become a converter
    assert module.SOP_FORECAST.__xlfunc__["argmap"]["history"]["options"]["ndim"] == 2
    # Fitting models is slow: not while the planner types in the function wizard.
    assert module.SOP_FORECAST.__xlfunc__["call_in_wizard"] is False
    assert all(getattr(module, n).__xlfunc__["call_in_wizard"] for n in UDF_NAMES[1:])
    assert module.SOP_CAPACITY_LOAD.__xlfunc__["argmap"]["quantities"]["options"]["ndim"] == 2


def test_import_functions_writes_these_vba_signatures(excel_udfs):
    _, vba = excel_udfs
    assert "Function SOP_FORECAST(history, horizon, Optional method, Optional season_length," in vba
    assert "Function SOP_ACCURACY(actual, forecast, Optional metric)" in vba
    assert (
        "Function SOP_SAFETY_STOCK(avg_demand, sd_demand, avg_lead_time, sd_lead_time,"
        " service_level)" in vba
    )
    assert 'XLPy.CallUDF("sop_addin.udfs", "SOP_REORDER_POINT"' in vba
    assert (
        "Function SOP_CAPACITY_LOAD(quantities, hours_per_unit, available_hours, Optional yields)"
        in vba
    )


def test_forecast_naive_with_intervals_by_hand():
    # Naive: the last value; sigma = RMS of the month-to-month changes (1, 1) = 1, growing
    # with sqrt(h).
    out = SOP_FORECAST(column(1.0, 2.0, 3.0), 2.0, "naive", None, True)
    expected = [
        [3.0, 3 - Z80, 3 + Z80, 3 - Z95, 3 + Z95],
        [
            3.0,
            3 - Z80 * math.sqrt(2),
            3 + Z80 * math.sqrt(2),
            3 - Z95 * math.sqrt(2),
            3 + Z95 * math.sqrt(2),
        ],
    ]
    assert np.allclose(out, expected)
    assert SOP_FORECAST(column(1.0, 2.0, 3.0), 2.0, "naive") == [[3.0], [3.0]]


def test_forecast_reads_rows_and_columns_alike_and_trims_blank_ends():
    as_column = SOP_FORECAST(column(None, 5.0, None, 7.0, None, None), 3.0, "moving_average")
    as_row = SOP_FORECAST([[None, 5.0, None, 7.0, None, None]], 3.0, "moving_average")
    # The blank between 5 and 7 is a month without sales: the average of 5, 0, 7 is 4.
    assert as_column == as_row == [[4.0], [4.0], [4.0]]


def test_forecast_seasonal_naive_uses_the_season_length():
    history = column(1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0)
    out = SOP_FORECAST(history, 6.0, "seasonal_naive", 4.0)
    assert out == column(10.0, 20.0, 30.0, 40.0, 10.0, 20.0)


def test_forecast_auto_is_the_engine_forecast_and_well_ordered():
    rng = np.random.default_rng(3)
    months = np.arange(48)
    history = 200 + 2 * months + 30 * np.sin(months * np.pi / 6) + rng.normal(0, 5, 48)
    out = SOP_FORECAST(column(*history.tolist()), 6.0, None, None, True)
    assert len(out) == 6 and all(len(row) == 5 for row in out)
    engine = fit_series(history, 6, EngineOptions()).out["mean"]
    assert np.allclose([row[0] for row in out], np.maximum(engine, 0))
    for mean, lo80, hi80, lo95, hi95 in out:
        assert 0 <= lo95 <= lo80 <= mean <= hi80 <= hi95


def test_forecast_never_goes_negative():
    out = SOP_FORECAST(column(50.0, 40.0, 30.0, 20.0, 10.0), 12.0, "holt", None, True)
    assert all(v >= 0 for row in out for v in row)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((column(1.0, "#N/A", 3.0), 3.0), "#N/A"),  # an error cell propagates
        ((column(1.0, 2.0), "#REF!"), "#REF!"),
        ((column(1.0, "n/a", 3.0), 3.0), "#VALUE!"),  # text where a number belongs
        ((column(1.0, True), 3.0), "#VALUE!"),
        (([[1.0, 2.0], [3.0, 4.0]], 3.0), "#VALUE!"),  # a block, not a row or column
        ((column(None, None), 3.0), "#N/A"),  # nothing to forecast from
        ((column(1.0, 2.0), 0.0), "#NUM!"),
        ((column(1.0, 2.0), 2.5), "#VALUE!"),
        ((column(1.0, 2.0), None), "#VALUE!"),  # a required argument left blank
        ((column(1.0, 2.0), 3.0, "crystal_ball"), "#VALUE!"),
        ((column(1.0, 2.0), 3.0, "holt_winters"), "#N/A"),  # too short for this model
        ((column(1.0, 2.0), 3.0, "naive", 0.0), "#NUM!"),
        ((column(1.0, 2.0), 3.0, "naive", None, "yes"), "#VALUE!"),
    ],
)
def test_forecast_answers_bad_input_with_excel_errors(args, error):
    assert SOP_FORECAST(*args) == error


def test_results_are_cached_and_the_cache_cannot_be_corrupted():
    history = column(*[float(10 + i % 12) for i in range(36)])
    first = SOP_FORECAST(history, 4.0, "ses")
    before = udf_bridge.cache_info()
    first[0][0] = -1.0  # Excel owns the returned list; the cache keeps its own copy
    second = SOP_FORECAST(history, 4.0, "ses")
    after = udf_bridge.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
    assert second[0][0] != -1.0 and second == SOP_FORECAST(history, 4.0, "ses")
    # A changed cell is a new calculation.
    changed = [row[:] for row in history]
    changed[-1][0] = 99.0
    assert SOP_FORECAST(changed, 4.0, "ses") != second
    assert udf_bridge.cache_info().misses == after.misses + 1


ACTUAL = [[10.0, 20.0, None, 40.0]]
FORECAST = [[12.0, 18.0, 5.0, 40.0]]  # the third period has no actual: left out


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("mae", 4 / 3),
        ("rmse", math.sqrt(8 / 3)),
        ("mape", (0.2 + 0.1 + 0.0) / 3),
        ("wmape", 4 / 70),
        ("bias", 0.0),
        ("smape", (4 / 22 + 4 / 38 + 0) / 3),
        ("WMAPE", 4 / 70),
    ],
)
def test_accuracy_by_hand(metric, expected):
    assert SOP_ACCURACY(ACTUAL, FORECAST, metric) == pytest.approx(expected)


def test_accuracy_defaults_to_wmape_and_reads_columns():
    assert SOP_ACCURACY(column(10.0, 20.0, 40.0), column(12.0, 18.0, 40.0)) == pytest.approx(4 / 70)


@pytest.mark.parametrize(
    ("actual", "forecast", "metric", "error"),
    [
        ([[1.0, 2.0]], [[1.0, 2.0, 3.0]], None, "#N/A"),  # different sizes
        ([[1.0, "#DIV/0!"]], [[1.0, 2.0]], None, "#DIV/0!"),
        ([[None, None]], [[1.0, 2.0]], None, "#DIV/0!"),  # no pair to measure
        ([[0.0, 0.0]], [[1.0, 2.0]], "mape", "#DIV/0!"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "r2", "#VALUE!"),
    ],
)
def test_accuracy_errors(actual, forecast, metric, error):
    assert SOP_ACCURACY(actual, forecast, metric) == error


def test_safety_stock_and_reorder_point_by_hand():
    # z(95%) * sqrt(L * sd_d^2 + d^2 * sd_L^2) = 1.64485 * sqrt(2 * 400 + 10000 * 0.25)
    ss = Z_SERVICE_95 * math.sqrt(3300)
    assert SOP_SAFETY_STOCK(100.0, 20.0, 2.0, 0.5, 0.95) == pytest.approx(ss)
    assert ss == pytest.approx(94.4896, abs=1e-4)
    assert SOP_REORDER_POINT(100.0, 20.0, 2.0, 0.5, 0.95) == pytest.approx(200 + ss)
    # Review every period: cover 3 periods, buffer over the same exposure.
    rop = 300 + Z_SERVICE_95 * math.sqrt(3 * 400 + 10000 * 0.25)
    assert SOP_REORDER_POINT(100.0, 20.0, 2.0, 0.5, 0.95, 1.0) == pytest.approx(rop)
    assert SOP_SAFETY_STOCK(100.0, 0.0, 2.0, 0.0, 0.95) == 0.0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((100.0, 20.0, 2.0, 0.5, 95.0), "#NUM!"),  # 95 is not a service level; 95% is
        ((100.0, 20.0, 2.0, 0.5, 1.0), "#NUM!"),
        ((100.0, -1.0, 2.0, 0.5, 0.95), "#NUM!"),
        ((100.0, None, 2.0, 0.5, 0.95), "#VALUE!"),
        (("#N/A", 20.0, 2.0, 0.5, 0.95), "#N/A"),
        (("lots", 20.0, 2.0, 0.5, 0.95), "#VALUE!"),
    ],
)
def test_safety_stock_errors(args, error):
    assert SOP_SAFETY_STOCK(*args) == error
    assert SOP_REORDER_POINT(*args) == error


def test_capacity_load_by_hand():
    quantities = [[10.0, 20.0], [None, 5.0]]  # two items (rows) by two periods
    hours = column(2.0, 4.0)
    # Period 1: 10 x 2 = 20 h of 100; period 2: 20 x 2 + 5 x 4 = 60 h of 100.
    assert SOP_CAPACITY_LOAD(quantities, hours, 100.0) == [[0.2, 0.6]]
    assert SOP_CAPACITY_LOAD(quantities, hours, [[100.0, 50.0]]) == [[0.2, 1.2]]
    # Half the first item's output is scrap: it needs twice the hours.
    assert SOP_CAPACITY_LOAD(quantities, hours, 100.0, column(0.5, 1.0)) == [[0.4, 1.0]]
    assert SOP_CAPACITY_LOAD(quantities, 3.0, 100.0) == [[0.3, 0.75]]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (([[10.0]], [[2.0]], 0.0), "#DIV/0!"),
        (([[10.0], [5.0]], column(2.0, 3.0, 4.0), 100.0), "#N/A"),
        (([[10.0, 5.0]], [[2.0]], [[100.0, 100.0, 100.0]]), "#N/A"),
        (([[10.0]], [[2.0]], 100.0, [[1.5]]), "#NUM!"),
        (([[-10.0]], [[2.0]], 100.0), "#NUM!"),
        (([["#N/A"]], [[2.0]], 100.0), "#N/A"),
        (([[10.0]], [[None]], 100.0), "#N/A"),  # hours missing for an item
    ],
)
def test_capacity_load_errors(args, error):
    assert SOP_CAPACITY_LOAD(*args) == error


def test_a_bug_in_the_core_is_an_error_value_not_a_traceback(monkeypatch):
    def broken(*_):
        raise KeyError("boom")

    monkeypatch.setattr(sop_udfs.udf_math, "safety_stock", broken)
    assert SOP_SAFETY_STOCK(1.0, 1.0, 1.0, 1.0, 0.9) == "#VALUE!"


def test_a_logical_cell_is_not_the_number_one_even_in_the_cache():
    assert SOP_FORECAST(column(1.0, 1.0), 1.0, "naive") == [[1.0]]
    assert SOP_FORECAST(column(1.0, True), 1.0, "naive") == "#VALUE!"
    assert SOP_SAFETY_STOCK(1.0, 1.0, 1.0, 1.0, 0.9) != SOP_SAFETY_STOCK(True, 1.0, 1.0, 1.0, 0.9)
    assert SOP_FORECAST(column(1.0, 2.0), 1.0, "naive", None, True) == SOP_FORECAST(
        column(1.0, 2.0), 1.0, "naive", None, 1.0
    )


def test_the_old_module_name_still_imports_the_same_functions():
    from udfs import sop_udfs as shim

    assert shim.SOP_FORECAST is SOP_FORECAST and shim.SOP_SAFETY_STOCK is SOP_SAFETY_STOCK


def test_the_generated_vba_checks_for_the_wizard_only_for_the_forecast(excel_udfs):
    _, vba = excel_udfs
    # xlwings' wrapper returns at once while the function wizard is open (the Standard
    # command bar is disabled then), if asked to.
    forecast = vba.split("Function SOP_FORECAST(", 1)[1].split("End Function", 1)[0]
    safety = vba.split("Function SOP_SAFETY_STOCK(", 1)[1].split("End Function", 1)[0]
    wizard_check = 'If (Not Application.CommandBars("Standard").Controls(1).Enabled)'
    assert wizard_check in forecast and wizard_check not in safety
