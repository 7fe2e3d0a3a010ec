"""Charts in a live Excel book (xlwings): the forecast chart tab's line chart and the Exec
charts over table columns. Each is made once and its source updated on later runs."""

from __future__ import annotations

from typing import Any

from sop_addin.contract import CONTRACT
from sop_addin.workbook.sheet_drawing import Box, SheetDrawing, TableChart
from sop_addin.workbook.xlwings_cells import address, find_sheet


def _table_source(book: Any, spec: TableChart) -> Any | None:
    """The table's category and series columns, header to last row, as one multi-area range
    (the categories first); None when the table is missing, empty or lacks a column."""
    table = CONTRACT.table(spec.table)
    sheet = find_sheet(book, table.tab)
    if sheet is None:
        return None
    found = next((t for t in sheet.tables if t.name.lower() == spec.table.lower()), None)
    if found is None:
        return None
    top, left = int(found.range.row), int(found.range.column)
    rows, width = found.range.shape
    if rows < 2:
        return None
    header = sheet.range((top, left), (top, left + width - 1)).options(ndim=2).value[0]
    columns: dict[str, int] = {}
    for offset, text in enumerate(header):
        column = table.column_for_header(str(text)) if text is not None else None
        if column is not None:
            columns.setdefault(column.name, left + offset)
    wanted = (spec.categories, *spec.series)
    if any(name not in columns for name in wanted):
        return None
    parts = [address(Box(top, columns[name], rows, 1)) for name in wanted]
    return sheet.range(",".join(parts))


def _chart(sheet: Any, name: str, source: Any, spec: Any, **kind: str) -> Any | None:
    """The chart called `name`: its source updated when it exists (None returned), else
    made at the spec's anchor and size, with `kind` (chart_type, plot_by) passed on."""
    existing = next((c for c in sheet.charts if c.name == name), None)
    if existing is not None:
        existing.set_source_data(source)
        return None
    return sheet.charts.add(
        width=spec.width,
        height=spec.height,
        source=source,
        name=name,
        anchor=sheet.range(spec.anchor),
        **kind,
    )


def table_chart(book: Any, sheet: Any, spec: TableChart) -> None:
    """An Exec chart: made once, its source updated on later runs, removed with its data."""
    source = _table_source(book, spec)
    if source is None:
        existing = next((c for c in sheet.charts if c.name == spec.name), None)
        if existing is not None:
            existing.delete()
        return
    chart_type = "column_clustered" if spec.kind == "bar" else "line"
    chart = _chart(sheet, spec.name, source, spec, chart_type=chart_type, plot_by="columns")
    if chart is not None:
        chart.title = spec.title


def line_chart(sheet: Any, drawing: SheetDrawing) -> None:
    """The view's line chart: made once, its source updated on later runs."""
    spec = drawing.chart
    assert spec is not None
    chart = _chart(sheet, drawing.tab, sheet.range(address(spec.source)), spec, chart_type="line")
    if chart is not None:
        chart.title = spec.title
