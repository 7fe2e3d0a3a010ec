"""Render a `SheetDrawing` into a live Excel book through xlwings.

Every COM (or AppleScript) call crosses to Excel, so the drawing goes over in blocks: one
`range.value = 2-D list` per block of values, and each style attribute (number format, fill,
font, alignment, border) set once per rectangle of cells that share it (xlwings_cells.py);
charts are xlwings_charts.py's.

Unlike a file's view tab, which is dropped and drawn afresh, a live tab keeps the planner's
own cells: only the area the last drawing covered (a workbook name, `SOP_view_<tab>`) is
cleared before the new one is drawn. A tab drawn by a file run (no such name yet) was the
product's alone, so its used range is cleared.

xlwings 0.37 has no API for row outlines, freeze panes, locked cells or a validation's error
text in the desktop engines (its `group` and `freeze_panes` are those of the remote engine):
those go through `.api` (COM) on Windows and are left out on the Mac, where the template's
own tabs already carry the panes and where SKU rows are left open (there is no + to open
them without the outline). The tab's colour and page set-up come with the template's tab.
The Exec charts read several columns of a table: one multi-area source each, on Windows; on
the Mac (where AppleScript's multi-area ranges are untested) the Exec page has no charts.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from typing import Any

from sop_addin.workbook.sheet_drawing import AlertRule, SheetDrawing
from sop_addin.workbook.xlwings_cells import (
    OPERATORS,
    LiveSheet,
    absolute,
    address,
    apply_styles,
    excel_value,
    find_sheet,
    runs,
)
from sop_addin.workbook.xlwings_charts import line_chart, table_chart
from sop_addin.workbook.xlwings_protection import unprotected

XL_SUMMARY_ABOVE = 0  # Excel's xlSummaryAbove: a group's +/- on the row above it


def view_name(tab: str) -> str:
    """The workbook name that records the area a view covers on its tab."""
    return "SOP_view_" + re.sub(r"\W", "_", tab)


def read_view(book: Any, tab: str) -> list[list[Any]] | None:
    """A view's values from A1 to the last cell it drew (its used range's before the first
    live drawing), as a list of rows; None without the tab."""
    sheet = find_sheet(book, tab)
    if sheet is None:
        return None
    last = _drawn_area(book, sheet).last_cell
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def _drawn_area(book: Any, sheet: Any) -> Any:
    """The range the last live drawing covered (the workbook name that records it), else the
    used range: a tab drawn by a file run was the product's alone."""
    name = view_name(sheet.name)
    if name in book.names:
        return sheet.range(str(book.names[name].refers_to).rsplit("!", 1)[-1].replace("$", ""))
    return sheet.used_range


def _freeze(book: Any, sheet: Any, cell: tuple[int, int]) -> None:
    """Freeze the rows above and the columns left of `cell`, as the file does on every run.

    Panes belong to a window, not a sheet (COM: ActiveWindow), so the tab is activated for
    the moment it takes (the screen is not updating) and the planner's tab activated again.
    """
    active = book.sheets.active
    sheet.activate()
    window = book.app.api.ActiveWindow
    window.FreezePanes = False
    window.ScrollRow, window.ScrollColumn = 1, 1
    window.SplitRow, window.SplitColumn = cell[0] - 1, cell[1] - 1
    window.FreezePanes = True
    active.activate()


def _clear_previous(book: Any, sheet: Any, live: LiveSheet) -> None:
    """Clear what the last drawing covered (its name), or the used range of a file's view."""
    old = _drawn_area(book, sheet)
    old.clear()
    old.conditional_formats.clear()
    old.data_validation.delete()
    if live.windows:
        old.api.EntireRow.ClearOutline()
    old.rows.hidden = False


def draw_live(book: Any, drawing: SheetDrawing, platform: str = sys.platform) -> Any:
    """Draw the view on its tab of a live book.

    The tab must exist: like a file's, a live book's view tabs come with the template and
    validation names a missing one before any step runs (the product never adds a tab).
    """
    windows = platform != "darwin"
    sheet = find_sheet(book, drawing.tab)
    if sheet is None:
        msg = f"the tab {drawing.tab!r} is missing: add an empty tab with that name"
        raise ValueError(msg)
    live = LiveSheet(sheet, platform)
    with unprotected(sheet, platform):
        _clear_previous(book, sheet, live)
        for row, column, block in drawing.blocks:
            width = max(len(line) for line in block)
            values = [[excel_value(v) for v in line] for line in block]
            values = [line + [None] * (width - len(line)) for line in values]
            sheet.range((row, column)).resize(len(values), width).value = values
        apply_styles(live, drawing.cell_styles())
        _sizes(sheet, drawing)
        if windows and drawing.outline:
            _outline(sheet, drawing)
        if windows and drawing.freeze is not None:
            _freeze(book, sheet, drawing.freeze)
        _lists(live, drawing)
        for alert in drawing.alerts:
            _add_alert(sheet, alert)
        if drawing.print_area is not None:
            sheet.page_setup.print_area = drawing.print_area
        if drawing.chart is not None:
            line_chart(sheet, drawing)
        if windows:  # a chart over several table columns takes a multi-area source
            for spec in drawing.table_charts:
                table_chart(book, sheet, spec)
        extent = drawing.extent()
        book.names.add(view_name(sheet.name), f"='{sheet.name}'!{absolute(extent)}")
    return sheet


def _sizes(sheet: Any, drawing: SheetDrawing) -> None:
    """Column widths (a run of equal widths at once), hidden columns, row heights."""
    widths: dict[float, list[int]] = defaultdict(list)
    for column, size in drawing.column_widths.items():
        widths[size].append(column)
    for size, columns in widths.items():
        for first, last in runs(columns):
            sheet.range((1, first), (1, last)).column_width = size
    for first, last in runs(drawing.hidden_columns):
        sheet.range((1, first), (1, last)).columns.hidden = True
    for row, height in drawing.row_heights.items():
        sheet.range((row, 1)).row_height = height


def _lists(live: LiveSheet, drawing: SheetDrawing) -> None:
    """The dropdowns; their refusal text through COM (xlwings sets none)."""
    for rule in drawing.lists:
        source: Any = list(rule.values)
        if rule.source is not None:
            source = live.sheet.range(address(rule.source))
        for rng in live.ranges(list(rule.boxes)):
            rng.data_validation.set_list(source)
            if live.windows:
                rng.api.Validation.ErrorMessage = rule.error


def _add_alert(sheet: Any, alert: AlertRule) -> None:
    operands = [*alert.operands, None]
    sheet.range(address(alert.box)).conditional_formats.add_cell_value(
        OPERATORS[alert.operator],
        operands[0],
        operands[1],
        fill_color=f"#{alert.fill}",
        font_color=f"#{alert.font_color}",
        font_bold=True,
    )


def replace_alerts(book: Any, tab: str, rules: list[AlertRule], platform: str) -> None:
    """A table tab's alert colours: the columns' earlier rules cleared, these added. The
    planner's own conditional formats elsewhere on the tab stay."""
    sheet = find_sheet(book, tab)
    if sheet is None:
        return
    with unprotected(sheet, platform):  # output tabs are protected
        for box in dict.fromkeys(rule.box for rule in rules):
            sheet.range(address(box)).conditional_formats.clear()
        for rule in rules:
            _add_alert(sheet, rule)


def _outline(sheet: Any, drawing: SheetDrawing) -> None:
    """Group the family and SKU rows (COM: Range.OutlineLevel), SKUs closed under families."""
    sheet.api.Outline.SummaryRow = XL_SUMMARY_ABOVE
    by_level: dict[int, list[int]] = defaultdict(list)
    for row, level in drawing.outline.items():
        by_level[level].append(row)
    for level, rows in by_level.items():
        for first, last in runs(rows):
            # Excel counts the ungrouped rows as level 1; openpyxl's outlineLevel from 0.
            sheet.range(f"{first}:{last}").api.OutlineLevel = level + 1
    for first, last in runs(drawing.collapsed):
        sheet.range(f"{first}:{last}").rows.hidden = True
