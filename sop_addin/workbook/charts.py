"""Charts on the Exec tab, drawn with openpyxl from the tables on that tab.

openpyxl does not keep charts when it loads a workbook, so they are never stored state: the
file port calls `draw_exec_charts` on every save, and each chart is rebuilt from the current
extent of its source table (a chart whose table is empty is left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT
from sop_addin.workbook.dashboard import (
    BRIDGE_COLUMN,
    CHANGES_ROWS,
    CHART_ROWS,
    COLUMN_WIDTH,
    EXEC_DATA_TAB,
    EXEC_TAB,
    changes_row,
    chart_row,
    draw_dashboard,
    print_range,
    sheet_table,
)
from sop_addin.workbook.forecast_chart import add_forecast_chart
from sop_addin.workbook.layout import older_layout
from sop_addin.workbook.sheet_drawing import TableChart

# Three charts side by side under the checklist, three dashboard columns each: a column of
# 16 characters is about 2.9 cm wide in Excel and LibreOffice.
CHART_COLUMNS = 3
WIDTH_CM, HEIGHT_CM = CHART_COLUMNS * COLUMN_WIDTH * 0.18, CHART_ROWS * 0.5


@dataclass(frozen=True)
class ChartSpec:
    """One chart: its title, source table, category column and series columns."""

    title: str
    table: str
    categories: str
    series: tuple[str, ...]
    kind: str  # "line" or "bar"
    y_title: str
    y_format: str


EXEC_CHARTS = (
    ChartSpec(
        "Demand vs constrained supply",
        "MonthlySummary",
        "month",
        ("demand", "served", "unmet"),
        "line",
        "units",
        "#,##0",
    ),
    ChartSpec(
        "Capacity load by resource",
        "ResourceLoad",
        "resource",
        ("average_utilisation", "peak_utilisation"),
        "bar",
        "utilisation",
        "0%",
    ),
    ChartSpec(
        "Revenue and margin vs budget",
        "MonthlySummary",
        "month",
        ("revenue", "revenue_budget", "gross_margin", "gross_margin_budget"),
        "line",
        "currency",
        "#,##0",
    ),
)


POINTS_PER_CM = 72 / 2.54


def exec_table_charts(checks: int) -> list[TableChart]:
    """The Exec charts as a live book draws them: side by side under the checklist."""
    return [
        TableChart(
            name=spec.title,
            table=spec.table,
            categories=spec.categories,
            series=spec.series,
            kind=spec.kind,
            title=spec.title,
            anchor=(chart_row(checks), 1 + index * CHART_COLUMNS),
            width=WIDTH_CM * POINTS_PER_CM,
            height=HEIGHT_CM * POINTS_PER_CM,
        )
        for index, spec in enumerate(EXEC_CHARTS)
    ]


def _table(ws: Worksheet, name: str) -> ExcelTable | None:
    for key in ws.tables:
        if key.lower() == name.lower():
            return ws.tables[key]
    return None


def _chart(ws: Worksheet, spec: ChartSpec) -> ChartBase | None:
    table = _table(ws, spec.table)
    if table is None:
        return None
    min_col, min_row, _, max_row = range_boundaries(table.ref)
    if min_col is None or min_row is None or max_row is None:
        return None
    if ws.cell(min_row + 1, min_col).value is None:  # an empty table: nothing to draw
        return None
    contract_table = CONTRACT.table(spec.table)
    header: dict[str, int] = {}
    for c in range(min_col, min_col + 60):  # header cells hold labels (or, older, names)
        value = ws.cell(min_row, c).value
        named = contract_table.column_for_header(str(value)) if value is not None else None
        if named is not None:
            header[named.name] = c
    if spec.categories not in header or any(s not in header for s in spec.series):
        return None
    chart: BarChart | LineChart = BarChart() if spec.kind == "bar" else LineChart()
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    chart.y_axis.number_format = spec.y_format
    # openpyxl 3.1 marks axes as deleted unless told otherwise: Excel would hide them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM  # type: ignore[assignment]  # cm, floats
    for name in spec.series:
        col = header[name]
        data = Reference(ws, min_col=col, max_col=col, min_row=min_row, max_row=max_row)
        chart.add_data(data, titles_from_data=True)
    cat = header[spec.categories]
    chart.set_categories(
        Reference(ws, min_col=cat, max_col=cat, min_row=min_row + 1, max_row=max_row)
    )
    if spec.categories == "month":
        chart.x_axis.number_format = "yyyy-mm"
    return chart


def _revenue_bridge(ws: Worksheet, top: int) -> BarChart | None:
    """The waterfall of revenue from the approved plan to this run, by family: stacked bars
    on an invisible base (the cells the dashboard wrote right of the page)."""
    if ws.cell(top, BRIDGE_COLUMN).value != "Revenue bridge":
        return None
    steps = 0
    while ws.cell(top + 1 + steps, BRIDGE_COLUMN).value is not None:
        steps += 1
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Revenue: approved plan to this run"
    chart.legend = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = "#,##0"
    # Start the axis just under the lowest level, so the families' steps can be seen.
    cells = [ws.cell(top + 1 + i, BRIDGE_COLUMN + c).value for i in range(steps) for c in (1, 2)]
    levels = [float(v) for v in cells if isinstance(v, int | float)]
    lowest = min((v for v in levels if v > 0), default=0.0)
    if lowest > 0:
        chart.y_axis.scaling.min = float(f"{lowest * 0.98:.2g}")
    chart.width, chart.height = 5 * COLUMN_WIDTH * 0.18, (CHANGES_ROWS - 1) * 0.5  # type: ignore[assignment]  # cm
    first, last = top, top + steps
    data = Reference(
        ws, min_col=BRIDGE_COLUMN + 1, max_col=BRIDGE_COLUMN + 4, min_row=first, max_row=last
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(
        Reference(ws, min_col=BRIDGE_COLUMN, max_col=BRIDGE_COLUMN, min_row=first + 1, max_row=last)
    )
    colours = (None, "1F4E78", "70AD47", "C00000")  # base hidden; plan, up, down
    for series, colour in zip(chart.series, colours, strict=True):
        if colour is None:
            series.graphicalProperties.noFill = True
            series.graphicalProperties.line.noFill = True
        else:
            series.graphicalProperties.solidFill = colour
    return chart


def _charts_beside_tables(ws: Worksheet) -> int:
    """A workbook from before the Exec page: its charts right of the tables on the Exec tab."""
    ws._charts = []  # type: ignore[attr-defined]
    right = max(range_boundaries(t.ref)[2] or 1 for t in ws.tables.values())
    drawn = 0
    for spec in EXEC_CHARTS:
        chart = _chart(ws, spec)
        if chart is not None:
            ws.add_chart(chart, f"{get_column_letter(right + 2)}{3 + drawn * CHART_ROWS}")
            drawn += 1
    return drawn


def _checks(data: Worksheet) -> int:
    """How many rows the Checklist table has (the dashboard lists them above the charts)."""
    table = _table(data, "Checklist")
    if table is None:
        return 0
    _, min_row, _, max_row = range_boundaries(table.ref)
    return (max_row or 0) - (min_row or 0)


def draw_exec_charts(workbook: Workbook) -> int:
    """Replace the Exec dashboard's charts with fresh ones; fit it on one page. Return count.

    The charts read the tables on the Exec data tab and sit side by side under the checklist.
    """
    add_forecast_chart(workbook)  # the other chart of the workbook, also lost on load
    if older_layout(workbook, EXEC_TAB):
        return _charts_beside_tables(cast(Worksheet, workbook[EXEC_TAB]))
    if EXEC_TAB not in workbook.sheetnames or EXEC_DATA_TAB not in workbook.sheetnames:
        return 0
    ws = cast(Worksheet, workbook[EXEC_TAB])
    data = cast(Worksheet, workbook[EXEC_DATA_TAB])  # a worksheet by the contract
    ws._charts = []  # type: ignore[attr-defined]  # drop the charts of an earlier save
    row = chart_row(_checks(data))
    drawn = 0
    for spec in EXEC_CHARTS:
        chart = _chart(data, spec)
        if chart is None:
            continue
        ws.add_chart(chart, f"{get_column_letter(1 + drawn * CHART_COLUMNS)}{row}")
        drawn += 1
    bridge = _revenue_bridge(ws, changes_row(_checks(data)))
    if bridge is not None:
        ws.add_chart(bridge, f"E{changes_row(_checks(data)) + 1}")
        drawn += 1
    # One page for the executives: landscape, scaled to fit, nothing cut.
    ws.print_area = print_range(_checks(data))
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    return drawn


def add_exec_view(workbook: Workbook, heading: str = "") -> bool:
    """The Exec page in a workbook that holds the Exec tables (approved snapshot, Executive
    department file): tiles, checklist and charts from those tables. False when absent."""
    if EXEC_DATA_TAB not in workbook.sheetnames:
        return False
    data = workbook[EXEC_DATA_TAB]
    kpis = sheet_table(data, "KPIs")
    if kpis is None or kpis.empty:
        return False
    checklist = sheet_table(data, "Checklist")
    if checklist is None:
        checklist = pd.DataFrame(columns=CONTRACT.table("Checklist").column_names)
    draw_dashboard(workbook, kpis, checklist, heading, rates={})
    draw_exec_charts(workbook)
    return True
