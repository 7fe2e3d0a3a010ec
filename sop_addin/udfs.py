"""S&OP worksheet functions for Excel (xlwings UDFs, Windows desktop Excel).

Installed with the package as `sop_addin.udfs`: `sop addin install` sets xlwings'
`UDF Modules` to that name, and xlwings' "Import Functions" (ImportPythonUDFs) writes their
VBA wrappers into the active workbook; see docs/install.md. Each body is one line over
sop_addin.core.udf_math: `call` converts Excel's arguments (2-D ranges, blank cells as
None, cell errors as "#N/A"-style text), answers a bad argument with an Excel error *text*
instead of raising (xlwings 0.37 returns strings, not error values: ISERROR and IFERROR do
not see them, see docs/install.md), and caches results so an unchanged recalculation is
instant. The functions stay plain Python, so tests call them directly. Their arguments
carry no type annotations on purpose: xlwings would read an annotation as a converter.
SOP_FORECAST fits models, so Excel's function wizard does not call it while the planner
types its arguments (call_in_wizard=False); the others are arithmetic.
"""

from __future__ import annotations

import xlwings as xw

from sop_addin.core import udf_math
from sop_addin.excel.udf_bridge import (
    call,
    flag,
    matrix,
    number,
    numbers,
    pairs,
    series,
    text,
    whole,
)

CATEGORY = "S&OP"
_RANGE = {"ndim": 2, "err_to_str": True}  # every cell as a 2-D list, errors as "#N/A" text
_CELL = {"err_to_str": True}


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("history", doc="Sales history, oldest first, in one row or column.", **_RANGE)
@xw.arg("horizon", doc="Periods to forecast (1 to 240).", **_CELL)
@xw.arg("method", doc='"auto" (default) or a model: naive, ses, holt_winters, ...', **_CELL)
@xw.arg("season_length", doc="Periods per season (default 12 for months).", **_CELL)
@xw.arg("intervals", doc="TRUE adds lo80, hi80, lo95, hi95 columns.", **_CELL)
def SOP_FORECAST(
    history,
    horizon,
    method=None,
    season_length=None,
    intervals=None,
):
    """Statistical forecast of a sales history as a column that spills (sop-addin)."""
    return call(
        udf_math.forecast,
        series(history),
        whole(horizon),
        text(method, udf_math.AUTO),
        whole(season_length, 12),
        flag(intervals),
    )


@xw.func(category=CATEGORY)
@xw.arg("actual", doc="Actual sales, one row or column.", **_RANGE)
@xw.arg("forecast", doc="Forecasts for the same periods, same size.", **_RANGE)
@xw.arg("metric", doc="wmape (default), mape, smape, mae, rmse, bias, tracking_signal.", **_CELL)
def SOP_ACCURACY(actual, forecast, metric=None):
    """Forecast accuracy against actuals; percentages as fractions (sop-addin)."""
    return call(udf_math.accuracy, *pairs(actual, forecast), text(metric, "wmape"))


@xw.func(category=CATEGORY)
@xw.arg("avg_demand", doc="Average demand per period.", **_CELL)
@xw.arg("sd_demand", doc="Standard deviation of demand per period.", **_CELL)
@xw.arg("avg_lead_time", doc="Average lead time, in the same periods.", **_CELL)
@xw.arg("sd_lead_time", doc="Standard deviation of the lead time.", **_CELL)
@xw.arg("service_level", doc="Target cycle service level, e.g. 95%.", **_CELL)
def SOP_SAFETY_STOCK(avg_demand, sd_demand, avg_lead_time, sd_lead_time, service_level):
    """Safety stock z*sqrt(L*sd_d^2 + d^2*sd_L^2), as the supply plan computes it (sop-addin)."""
    return call(
        udf_math.safety_stock,
        number(avg_demand),
        number(sd_demand),
        number(avg_lead_time),
        number(sd_lead_time),
        number(service_level),
    )


@xw.func(category=CATEGORY)
@xw.arg("avg_demand", doc="Average demand per period.", **_CELL)
@xw.arg("sd_demand", doc="Standard deviation of demand per period.", **_CELL)
@xw.arg("avg_lead_time", doc="Average lead time, in the same periods.", **_CELL)
@xw.arg("sd_lead_time", doc="Standard deviation of the lead time.", **_CELL)
@xw.arg("service_level", doc="Target cycle service level, e.g. 95%.", **_CELL)
@xw.arg("review_period", doc="Periods between reviews (default 0: continuous).", **_CELL)
def SOP_REORDER_POINT(
    avg_demand,
    sd_demand,
    avg_lead_time,
    sd_lead_time,
    service_level,
    review_period=None,
):
    """Reorder point: demand over lead time (+ review period) plus safety stock (sop-addin)."""
    return call(
        udf_math.reorder_point,
        number(avg_demand),
        number(sd_demand),
        number(avg_lead_time),
        number(sd_lead_time),
        number(service_level),
        number(review_period, 0.0),
    )


@xw.func(category=CATEGORY)
@xw.arg("quantities", doc="Units per item (rows) and period (columns); blank = 0.", **_RANGE)
@xw.arg("hours_per_unit", doc="Hours per unit: one figure, or one per item row.", **_RANGE)
@xw.arg("available_hours", doc="Hours available: one figure, or one per period.", **_RANGE)
@xw.arg("yields", doc="Good share of output: one figure or one per item (default 100%).", **_RANGE)
def SOP_CAPACITY_LOAD(quantities, hours_per_unit, available_hours, yields=None):
    """Load of a resource per period: hours needed / hours available, as a row (sop-addin)."""
    return call(
        udf_math.capacity_load,
        matrix(quantities),
        numbers(hours_per_unit),
        numbers(available_hours),
        numbers(yields, 1.0),
    )
