"""Render a `SheetDrawing` into a live Excel book through xlwings.

Every COM (or AppleScript) call crosses to Excel, so the drawing goes over in blocks: one
`range.value = 2-D list` per block of values, and each style attribute (number format, fill,
font, alignment, border) set once per rectangle of cells that share it; on Windows the
rectangles of one value go together in one multi-area range.

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
from collections.abc import Iterable
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from sop_addin.contract import CONTRACT
from sop_addin.workbook.codec import Formula
from sop_addin.workbook.export import FORMULA_STARTS
from sop_addin.workbook.sheet_drawing import AlertRule, Box, SheetDrawing, Style, TableChart
from sop_addin.workbook.xlwings_protection import unprotected

MAX_ADDRESS = 250  # Excel refuses a multi-area address of more than 255 characters
# Excel's cellIs operators (openpyxl, alerts.csv) -> xlwings' conditional-format operators.
OPERATORS = {
    "between": "between",
    "notBetween": "not_between",
    "equal": "equal_to",
    "notEqual": "not_equal_to",
    "greaterThan": "greater_than",
    "lessThan": "less_than",
    "greaterThanOrEqual": "greater_than_or_equal",
    "lessThanOrEqual": "less_than_or_equal",
}
XL_SUMMARY_ABOVE = 0  # Excel's xlSummaryAbove: a group's +/- on the row above it


def excel_value(value: Any) -> Any:
    """A value as Excel should get it: a `Formula` live, any other text as text."""
    if isinstance(value, Formula):  # built by the product from cell references
        return value.text
    # Excel would evaluate "=..." typed into a cell; a leading apostrophe keeps it text.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def view_name(tab: str) -> str:
    """The workbook name that records the area a view covers on its tab."""
    return "SOP_view_" + re.sub(r"\W", "_", tab)


def address(box: Box) -> str:
    first = f"{get_column_letter(box.column)}{box.row}"
    return f"{first}:{get_column_letter(box.last_column)}{box.last_row}"


def rectangles(cells: Iterable[tuple[int, int]]) -> list[Box]:
    """Cover the cells with few rectangles: runs along each row, stacked where rows match."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, column in cells:
        by_row[row].append(column)
    open_boxes: dict[tuple[int, int], Box] = {}  # (first, last column) -> box still growing
    done: list[Box] = []
    for row in sorted(by_row):
        columns = sorted(set(by_row[row]))
        runs: list[tuple[int, int]] = []
        for column in columns:
            if runs and column == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], column)
            else:
                runs.append((column, column))
        still: dict[tuple[int, int], Box] = {}
        for run in runs:
            box = open_boxes.pop(run, None)
            if box is not None and box.last_row == row - 1:
                still[run] = Box(box.row, box.column, box.rows + 1, box.columns)
            else:
                if box is not None:
                    done.append(box)
                still[run] = Box(row, run[0], 1, run[1] - run[0] + 1)
        done += open_boxes.values()
        open_boxes = still
    return done + list(open_boxes.values())


class LiveSheet:
    """One tab of a live book, written in as few calls as its shapes allow."""

    def __init__(self, sheet: Any, platform: str) -> None:
        self.sheet = sheet
        self.windows = platform != "darwin"

    def ranges(self, boxes: list[Box]) -> list[Any]:
        """xlwings ranges covering the boxes: multi-area ones on Windows, one a box on the Mac."""
        if not self.windows:
            return [self.sheet.range(address(box)) for box in boxes]
        out, part = [], ""
        for box in boxes:
            one = address(box)
            if part and len(part) + 1 + len(one) > MAX_ADDRESS:
                out.append(self.sheet.range(part))
                part = ""
            part = f"{part},{one}" if part else one
        if part:
            out.append(self.sheet.range(part))
        return out

    def each(self, cells: dict[Any, list[tuple[int, int]]]) -> Iterable[tuple[Any, Any]]:
        """(value, range) for each value and each range of the cells that share it."""
        for value, where in cells.items():
            for rng in self.ranges(rectangles(where)):
                yield value, rng


def _group(styles: dict[tuple[int, int], Style], key: Any) -> dict[Any, list[tuple[int, int]]]:
    grouped: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for cell, style in styles.items():
        value = key(style)
        if value is not None:
            grouped[value].append(cell)
    return grouped


def _font(style: Style) -> tuple[Any, ...] | None:
    return (style.bold, style.italic, style.size, style.color) if style.has_font else None


def _alignment(style: Style) -> tuple[Any, ...] | None:
    return (style.horizontal, style.vertical, style.wrap) if style.has_alignment else None


def apply_styles(live: LiveSheet, styles: dict[tuple[int, int], Style]) -> None:
    """Each attribute once per range of cells sharing its value."""
    for fmt, rng in live.each(_group(styles, lambda s: s.number_format)):
        rng.number_format = fmt
    for fill, rng in live.each(_group(styles, lambda s: s.fill)):
        rng.color = f"#{fill}"
    for (bold, italic, size, color), rng in live.each(_group(styles, _font)):
        font = rng.font
        if bold is not None:
            font.bold = bold
        if italic is not None:
            font.italic = italic
        if size is not None:
            font.size = size
        if color is not None:
            font.color = f"#{color}"
    for (horizontal, vertical, wrap), rng in live.each(_group(styles, _alignment)):
        if horizontal is not None:
            rng.horizontal_alignment = horizontal
        if vertical is not None:
            rng.vertical_alignment = vertical
        if wrap is not None:
            rng.wrap_text = wrap
    for color, rng in live.each(_group(styles, lambda s: s.top_border)):
        # A box of several rows: a line above each of them, as the file draws it.
        sides = ["edge_top", "inside_horizontal"]
        rng.borders.set(sides, line_style="continuous", weight="thin", color=f"#{color}")
    if live.windows:  # no xlwings API for a cell's lock: COM's Range.Locked
        for _, rng in live.each(_group(styles, lambda s: True if s.unlocked else None)):
            rng.api.Locked = False


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def find_sheet(book: Any, tab: str) -> Any | None:
    """The book's sheet of that name (any case, as Excel matches it); None without one.

    One lookup by name; only when the engine refuses it are the names listed, so a missing
    tab is told from an Excel that is busy (whose error goes on).
    """
    try:
        return book.sheets[tab]
    except Exception:  # the engine's own error: COM's "out of range", AppleScript's
        if tab.lower() in (s.name.lower() for s in book.sheets):
            raise
        return None


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
        widths: dict[float, list[int]] = defaultdict(list)
        for column, size in drawing.column_widths.items():
            widths[size].append(column)
        for size, columns in widths.items():
            for first, last in _runs(columns):
                sheet.range((1, first), (1, last)).column_width = size
        for first, last in _runs(drawing.hidden_columns):
            sheet.range((1, first), (1, last)).columns.hidden = True
        for row, height in drawing.row_heights.items():
            sheet.range((row, 1)).row_height = height
        if windows and drawing.outline:
            _outline(sheet, drawing)
        if windows and drawing.freeze is not None:
            _freeze(book, sheet, drawing.freeze)
        for rule in drawing.lists:
            source: Any = list(rule.values)
            if rule.source is not None:
                source = sheet.range(address(rule.source))
            for rng in live.ranges(list(rule.boxes)):
                rng.data_validation.set_list(source)
                if windows:  # xlwings sets no error text: COM's Validation.ErrorMessage
                    rng.api.Validation.ErrorMessage = rule.error
        for alert in drawing.alerts:
            _add_alert(sheet, alert)
        if drawing.print_area is not None:
            sheet.page_setup.print_area = drawing.print_area
        if drawing.chart is not None:
            _chart(sheet, drawing)
        if windows:  # a chart over several table columns takes a multi-area source
            for spec in drawing.table_charts:
                _table_chart(book, sheet, spec)
        extent = drawing.extent()
        book.names.add(view_name(sheet.name), f"='{sheet.name}'!{_absolute(extent)}")
    return sheet


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


def _table_chart(book: Any, sheet: Any, spec: TableChart) -> None:
    """An Exec chart: made once, its source updated on later runs, removed with its data."""
    existing = next((c for c in sheet.charts if c.name == spec.name), None)
    source = _table_source(book, spec)
    if source is None:
        if existing is not None:
            existing.delete()
        return
    if existing is not None:
        existing.set_source_data(source)
        return
    chart = sheet.charts.add(
        width=spec.width,
        height=spec.height,
        chart_type="column_clustered" if spec.kind == "bar" else "line",
        source=source,
        plot_by="columns",
        name=spec.name,
        anchor=sheet.range(spec.anchor),
    )
    chart.title = spec.title


def _absolute(box: Box) -> str:
    first = f"${get_column_letter(box.column)}${box.row}"
    return f"{first}:${get_column_letter(box.last_column)}${box.last_row}"


def _outline(sheet: Any, drawing: SheetDrawing) -> None:
    """Group the family and SKU rows (COM: Range.OutlineLevel), SKUs closed under families."""
    sheet.api.Outline.SummaryRow = XL_SUMMARY_ABOVE
    by_level: dict[int, list[int]] = defaultdict(list)
    for row, level in drawing.outline.items():
        by_level[level].append(row)
    for level, rows in by_level.items():
        for first, last in _runs(rows):
            # Excel counts the ungrouped rows as level 1; openpyxl's outlineLevel from 0.
            sheet.range(f"{first}:{last}").api.OutlineLevel = level + 1
    for first, last in _runs(drawing.collapsed):
        sheet.range(f"{first}:{last}").rows.hidden = True


def _chart(sheet: Any, drawing: SheetDrawing) -> None:
    """The view's line chart: made once, its source updated on later runs."""
    spec = drawing.chart
    assert spec is not None
    source = sheet.range(address(spec.source))
    name = drawing.tab
    existing = next((c for c in sheet.charts if c.name == name), None)
    if existing is not None:
        existing.set_source_data(source)
        return
    chart = sheet.charts.add(
        width=spec.width,
        height=spec.height,
        chart_type="line",
        source=source,
        name=name,
        anchor=sheet.range(spec.anchor),
    )
    chart.title = spec.title
