"""The Forecast chart tab: history, consensus and the 80% / 95% bands of one SKU or family.

The planner picks the SKU or family from a dropdown (cell B3); the month rows are formulas
that look it up in a block of series the run writes on the right of the tab (hidden), so
the chart follows the dropdown in Excel and LibreOffice without Python. The tab is a
`SheetDrawing`, drawn by openpyxl into a file and by xlwings into a live book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart as ExcelLineChart
from openpyxl.chart import Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.layout import EDITABLE_COLOR, HEADER_COLOR
from sop_addin.workbook.sheet_drawing import Box, LineChart, ListRule, SheetDrawing, Style
from sop_addin.workbook.sheet_openpyxl import render_drawing

FORECAST_TAB = "Forecast chart"
FORECAST_DATA_TAB = "Demand data"  # the view sits before the demand tables, after the grid
SELECT_ROW, SELECT_COLUMN = 3, 2  # B3: the dropdown
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


def forecast_drawing(data: ForecastSeries, selected: object = None) -> SheetDrawing:
    """The Forecast chart tab: the dropdown (keeping the planner's pick while it still exists),
    the month rows of formulas, and the looked-up series hidden on the right."""
    drawing = SheetDrawing(tab=FORECAST_TAB, before=FORECAST_DATA_TAB, tab_color="1F4E78")
    drawing.cell(
        1,
        1,
        "Forecast chart: history, consensus and its bands for the SKU or family you pick",
        Style(bold=True, size=12, color="1F4E78"),
    )
    pick = selected if selected in data.members else (data.members or ("",))[0]
    drawing.write(SELECT_ROW, SELECT_COLUMN - 1, [["SKU or family:", pick]])
    drawing.style(Box(SELECT_ROW, SELECT_COLUMN), Style(fill=EDITABLE_COLOR, unlocked=True))
    drawing.column_widths[1] = 14
    for column in range(2, 2 + len(SERIES)):
        drawing.column_widths[column] = 12
    _write_block(drawing, data)
    _write_rows(drawing, data)
    if data.months:
        drawing.chart = LineChart(
            source=Box(HEADER_ROW, 1, 1 + len(data.months), 1 + len(SERIES)),
            anchor=(3, 9),  # I3, as the file's chart
            title="History, consensus and bands",
            width=680,  # 24 x 11 cm
            height=312,
        )
    return drawing


def draw_forecast_chart(workbook: Workbook, data: ForecastSeries) -> Worksheet:
    """Redraw the Forecast chart tab of a workbook file from its series."""
    selected = workbook[FORECAST_TAB][SELECT_CELL].value if FORECAST_TAB in workbook else None
    # The chart itself is drawn on every save (openpyxl drops charts on load).
    return render_drawing(workbook, forecast_drawing(data, selected))


def _write_block(drawing: SheetDrawing, data: ForecastSeries) -> None:
    """The looked-up series, right of the chart, hidden; and the dropdown's list."""
    drawing.write(HEADER_ROW + 1, BLOCK_COLUMN - 1, [[m] for m in data.members])
    last = HEADER_ROW + max(len(data.members), 1)
    drawing.lists.append(
        ListRule(
            boxes=(Box(SELECT_ROW, SELECT_COLUMN),),
            source=Box(HEADER_ROW + 1, BLOCK_COLUMN - 1, last - HEADER_ROW, 1),
            error="Pick a SKU or a family from the list",
        )
    )
    header: list[Any] = ["Member", "Series", *(m.to_pydatetime() for m in data.months)]
    drawing.write(HEADER_ROW, BLOCK_COLUMN, [header])
    drawing.write(
        HEADER_ROW + 1,
        BLOCK_COLUMN,
        [
            [str(member), str(series), *(float(v) if pd.notna(v) else None for v in values)]
            for (member, series), values in data.values.iterrows()
        ],
    )
    drawing.hidden_columns.extend(range(BLOCK_COLUMN - 1, BLOCK_COLUMN + 2 + len(data.months)))


def _write_rows(drawing: SheetDrawing, data: ForecastSeries) -> None:
    """One row a month; each series a lookup of the chosen member (gaps as #N/A)."""
    last = HEADER_ROW + max(len(data.values), 1)

    def block_range(column: int) -> str:
        letter = get_column_letter(column)
        return f"${letter}${HEADER_ROW + 1}:${letter}${last}"

    member, series_range = block_range(BLOCK_COLUMN), block_range(BLOCK_COLUMN + 1)
    drawing.write(HEADER_ROW, 1, [["Month", *SERIES]])
    drawing.style(
        Box(HEADER_ROW, 1, 1, 1 + len(SERIES)),
        Style(bold=True, color="FFFFFF", fill=HEADER_COLOR),
    )
    rows: list[list[Any]] = []
    for offset, month in enumerate(data.months):
        values = block_range(BLOCK_COLUMN + 2 + offset)
        line: list[Any] = [month.to_pydatetime()]
        for series in SERIES:
            # COUNTIFS tells "no value" from a zero: a line with a gap, not a drop to 0.
            found = f'COUNTIFS({member},{SELECT_CELL_ABS},{series_range},"{series}",{values},"<>")'
            total = f'SUMIFS({values},{member},{SELECT_CELL_ABS},{series_range},"{series}")'
            # A Formula built here from cell references; the member is only ever a value.
            line.append(Formula(f"=IF({found}=0,NA(),{total})"))
        rows.append(line)
    drawing.write(HEADER_ROW + 1, 1, rows)
    if rows:
        drawing.style(Box(HEADER_ROW + 1, 1, len(rows), 1), Style(number_format="mmm yyyy"))
        drawing.style(Box(HEADER_ROW + 1, 2, len(rows), len(SERIES)), Style(number_format="#,##0"))


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
    chart = ExcelLineChart()
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
