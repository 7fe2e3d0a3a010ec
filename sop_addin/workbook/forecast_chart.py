"""The Forecast chart tab: history, consensus and the 80% / 95% bands of one SKU or family.

The planner picks the SKU or family from a dropdown (cell B3); the month rows are formulas
that look it up in a block of series the run writes on the right of the tab (hidden), so
the chart follows the dropdown in Excel and LibreOffice without Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.layout import EDITABLE_FILL, HEADER_FILL, view_cell

FORECAST_TAB = "Forecast chart"
FORECAST_DATA_TAB = "Demand data"  # the view sits before the demand tables, after the grid
SELECT_CELL = "B3"
SELECT_CELL_ABS = "$B$3"
HEADER_ROW = 5
SERIES = ("History", "Consensus", "Low 80%", "High 80%", "Low 95%", "High 95%")
BLOCK_COLUMN = 12  # L: where the looked-up series start (member, series, one column a month)
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class ForecastSeries:
    """Every member's series by month: index (member, series), one column per month."""

    members: tuple[str, ...]  # families first, then SKUs: the dropdown's list
    months: tuple[pd.Timestamp, ...]
    values: pd.DataFrame


def forecast_series(
    history: pd.DataFrame,
    consensus: pd.DataFrame,
    forecast: pd.DataFrame,
    products: pd.DataFrame,
    plan_months: pd.DatetimeIndex,
) -> ForecastSeries:
    """Sum each series by SKU and by family: history before the plan, the rest in it."""
    first = plan_months[0]
    history_months = [first - pd.DateOffset(months=n) for n in range(HISTORY_MONTHS, 0, -1)]
    months = [*history_months, *plan_months]
    family = products.set_index("sku")["family"].fillna("(no family)").astype(str)
    parts = []
    for frame, column, series in (
        (history, "quantity", "History"),
        (consensus, "consensus", "Consensus"),
        (consensus, "lo80", "Low 80%"),
        (consensus, "hi80", "High 80%"),
        (forecast, "lo95", "Low 95%"),
        (forecast, "hi95", "High 95%"),
    ):
        if frame.empty:
            continue
        long = frame[["sku", "month", column]].rename(columns={column: "value"})
        long = long[long["month"].isin(months)].assign(family=lambda f: f["sku"].map(family))
        for key in ("sku", "family"):
            sums = long.groupby([key, "month"])["value"].sum().reset_index()
            parts.append(sums.rename(columns={key: "member"}).assign(series=series))
    if parts:
        table = pd.concat(parts).pivot_table(
            index=["member", "series"], columns="month", values="value", aggfunc="sum"
        )
    else:
        table = pd.DataFrame(columns=months)
    table = table.reindex(columns=months)
    families = sorted(set(family))
    skus = sorted(set(products["sku"].astype(str)))
    return ForecastSeries(tuple(families + skus), tuple(months), table)


EMPTY_SERIES = ForecastSeries((), (), pd.DataFrame())  # the template's tab, before any run


def draw_forecast_chart(workbook: Workbook, data: ForecastSeries) -> Worksheet:
    """Redraw the Forecast chart tab from its series (created before Demand data if new)."""
    if FORECAST_TAB in workbook.sheetnames:
        index = workbook.sheetnames.index(FORECAST_TAB)
        selected = workbook[FORECAST_TAB][SELECT_CELL].value
        del workbook[FORECAST_TAB]
    else:
        index = (
            workbook.sheetnames.index(FORECAST_DATA_TAB)
            if FORECAST_DATA_TAB in workbook.sheetnames
            else len(workbook.sheetnames)
        )
        selected = None
    ws = workbook.create_sheet(FORECAST_TAB, index)
    ws.sheet_properties.tabColor = "1F4E78"
    ws["A1"] = "Forecast chart: history, consensus and its bands for the SKU or family you pick"
    ws["A1"].font = Font(bold=True, size=12, color="1F4E78")
    ws["A3"] = "SKU or family:"
    pick = selected if selected in data.members else (data.members or ("",))[0]
    choice = view_cell(ws, 3, 2, pick)  # B3
    choice.fill = EDITABLE_FILL
    choice.protection = Protection(locked=False)
    ws.column_dimensions["A"].width = 14
    for column in range(2, 2 + len(SERIES)):
        ws.column_dimensions[get_column_letter(column)].width = 12
    _write_block(ws, data)
    _write_rows(ws, data)
    return ws  # the chart itself is drawn on every save (openpyxl drops charts on load)


def _write_block(ws: Worksheet, data: ForecastSeries) -> None:
    """The looked-up series, right of the chart, hidden; and the dropdown's list."""
    members_col = get_column_letter(BLOCK_COLUMN - 1)
    for row, member in enumerate(data.members, start=HEADER_ROW + 1):
        view_cell(ws, row, BLOCK_COLUMN - 1, member)
    last = HEADER_ROW + max(len(data.members), 1)
    rule = DataValidation(
        type="list", formula1=f"${members_col}${HEADER_ROW + 1}:${members_col}${last}"
    )
    rule.error = "Pick a SKU or a family from the list"
    rule.showErrorMessage = True
    rule.add(SELECT_CELL)
    ws.add_data_validation(rule)
    ws.cell(HEADER_ROW, BLOCK_COLUMN, "Member")
    ws.cell(HEADER_ROW, BLOCK_COLUMN + 1, "Series")
    for offset, month in enumerate(data.months):
        ws.cell(HEADER_ROW, BLOCK_COLUMN + 2 + offset, month.to_pydatetime())
    for row, ((member, series), values) in enumerate(data.values.iterrows(), start=HEADER_ROW + 1):
        view_cell(ws, row, BLOCK_COLUMN, str(member))
        view_cell(ws, row, BLOCK_COLUMN + 1, str(series))
        for offset, value in enumerate(values):
            if pd.notna(value):
                ws.cell(row, BLOCK_COLUMN + 2 + offset, float(value))
    for column in range(BLOCK_COLUMN - 1, BLOCK_COLUMN + 2 + len(data.months)):
        ws.column_dimensions[get_column_letter(column)].hidden = True


def _write_rows(ws: Worksheet, data: ForecastSeries) -> None:
    """One row a month; each series a lookup of the chosen member (gaps as #N/A)."""
    last = HEADER_ROW + max(len(data.values), 1)

    def block_range(column: int) -> str:
        letter = get_column_letter(column)
        return f"${letter}${HEADER_ROW + 1}:${letter}${last}"

    member, series_range = block_range(BLOCK_COLUMN), block_range(BLOCK_COLUMN + 1)
    for column, text in enumerate(("Month", *SERIES), start=1):
        cell = ws.cell(HEADER_ROW, column, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    for offset, month in enumerate(data.months):
        row = HEADER_ROW + 1 + offset
        ws.cell(row, 1, month.to_pydatetime()).number_format = "mmm yyyy"
        values = block_range(BLOCK_COLUMN + 2 + offset)
        for index, series in enumerate(SERIES, start=2):
            # COUNTIFS tells "no value" from a zero: a line with a gap, not a drop to 0.
            found = f'COUNTIFS({member},{SELECT_CELL_ABS},{series_range},"{series}",{values},"<>")'
            total = f'SUMIFS({values},{member},{SELECT_CELL_ABS},{series_range},"{series}")'
            # A Formula built here from cell references; the member is only ever a value.
            target = ws.cell(row, index, Formula(f"=IF({found}=0,NA(),{total})").text)
            target.number_format = "#,##0"


def add_forecast_chart(workbook: Workbook) -> bool:
    """(Re)draw the chart of the Forecast chart tab over its month rows; False without it."""
    if FORECAST_TAB not in workbook.sheetnames:
        return False
    ws = cast(Worksheet, workbook[FORECAST_TAB])  # a view this module drew
    months = 0
    while ws.cell(HEADER_ROW + 1 + months, 1).value is not None:
        months += 1
    ws._charts = []  # type: ignore[attr-defined]
    if not months:
        return False
    chart = LineChart()
    chart.title = "History, consensus and bands"
    chart.y_axis.title = "units"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.number_format = "mmm yyyy"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = 24, 11  # cm
    first, last = HEADER_ROW, HEADER_ROW + months
    data = Reference(ws, min_col=2, max_col=1 + len(SERIES), min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, max_col=1, min_row=first + 1, max_row=last))
    for series in chart.series[2:]:  # the bands: thin dashed lines around the consensus
        series.graphicalProperties.line.dashStyle = "dash"
        series.graphicalProperties.line.width = 12700
    ws.add_chart(chart, "I3")
    return True
