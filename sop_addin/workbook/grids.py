"""Lay out the time-phased grids (sop_addin.core.grid) on their tabs, and read edits back.

A grid tab is a view: it is redrawn from the tables on every run, from A1, with the
families grouped over their SKUs in an Excel outline (the + / - buttons at the left). The
layout is a `SheetDrawing`, drawn by openpyxl into a file and by xlwings into a live book.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT, Grid
from sop_addin.contract.problems import Problem
from sop_addin.core.grid import FAMILY, SKU, TOTAL, GridData, GridRow
from sop_addin.core.grid_edits import GridEdit
from sop_addin.workbook.layout import EDITABLE_COLOR, HEADER_COLOR
from sop_addin.workbook.sheet_drawing import Box, ListRule, SheetDrawing, Style
from sop_addin.workbook.sheet_openpyxl import render_drawing

TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3
EDIT_COLUMNS = ("Edited by", "Reason")  # beside the Total, on editable rows
REASONS = CONTRACT.table("Overrides").column("reason_code").enum
LABEL_COLUMNS = ("Family", "SKU", "Key figure")
FIRST_MONTH_COLUMN = len(LABEL_COLUMNS) + 1

HISTORY_COLOR = "7F7F7F"  # history months: grey headers
TOTAL_COLOR = "BDD7EE"
FAMILY_COLOR = "DDEBF7"
LINE_COLOR = "BFBFBF"  # the thin line above each member's block
TAB_COLOR = "1F4E78"

TITLE = Style(bold=True, size=12, color="1F4E78")
HEADER = Style(fill=HEADER_COLOR, bold=True, color="FFFFFF", horizontal="center")
EDITABLE = Style(fill=EDITABLE_COLOR, unlocked=True)
MONTH_HEADER = Style(number_format="mmm yyyy")


def _hint(grid: Grid) -> str:
    """The title line: what the grid shows and how to work it."""
    parts = [f"{grid.tab}: key figures by month"]
    if any(f.history for f in grid.key_figures):
        parts.append("history months in grey, then the plan")
    parts.append("the + / - at the left open a family's SKUs")
    editable = [f.label for f in grid.key_figures if f.editable]
    if editable:
        parts.append(f"yellow cells ({', '.join(editable)}) are yours to edit")
    return "; ".join(parts) + "."


def _number_format(row: GridRow) -> str:
    return "0.0%" if row.figure.is_ratio else "#,##0"


def grid_frame(grid: Grid) -> SheetDrawing:
    """The grid's tab before any numbers: title, label headers, panes and print set-up."""
    drawing = SheetDrawing(tab=grid.tab, before=grid.data_tab, tab_color=TAB_COLOR)
    drawing.outline_above = True
    drawing.cell(TITLE_ROW, 1, _hint(grid), TITLE)
    drawing.write(HEADER_ROW, 1, [list(LABEL_COLUMNS)])
    drawing.style(Box(HEADER_ROW, 1, 1, len(LABEL_COLUMNS)), HEADER)
    drawing.column_widths.update({1: 16, 2: 14, 3: 22})
    drawing.freeze = (FIRST_ROW, FIRST_MONTH_COLUMN)
    # Printed: landscape, one page wide, the header rows and label columns on every page.
    drawing.landscape = drawing.fit_width = True
    drawing.print_titles = (f"{TITLE_ROW}:{HEADER_ROW}", "A:C")
    return drawing


def prepare_grid_sheet(workbook: Workbook, grid: Grid) -> Worksheet:
    """The grid's tab, emptied (created before its data tab when missing)."""
    return render_drawing(workbook, grid_frame(grid))


def grid_drawing(data: GridData) -> SheetDrawing:
    """The whole grid: month headers, one row per key figure and member, totals at the right."""
    drawing = grid_frame(data.grid)
    total_column = FIRST_MONTH_COLUMN + len(data.months)
    editable = any(f.editable for f in data.grid.key_figures)
    headers: list[Any] = [m.to_pydatetime() for m in data.months]
    headers += ["Total", *(EDIT_COLUMNS if editable else ())]
    drawing.write(HEADER_ROW, FIRST_MONTH_COLUMN, [headers])
    drawing.style(Box(HEADER_ROW, FIRST_MONTH_COLUMN, 1, len(headers)), HEADER)
    for offset, month in enumerate(data.months):
        column = FIRST_MONTH_COLUMN + offset
        if data.is_history(month):
            drawing.style(Box(HEADER_ROW, column), Style(fill=HISTORY_COLOR))
        drawing.column_widths[column] = 11
    drawing.style(Box(HEADER_ROW, FIRST_MONTH_COLUMN, 1, len(data.months)), MONTH_HEADER)
    drawing.column_widths[total_column] = 13
    reasons: list[Box] = []
    if editable:
        for offset in (1, 2):
            drawing.column_widths[total_column + offset] = 14
    body: list[list[Any]] = []
    previous: tuple[int, str, str] | None = None
    for offset, row in enumerate(data.rows):
        excel_row = FIRST_ROW + offset
        member = (row.level, row.family, row.sku)
        labels = ("Total" if row.level == TOTAL else row.family, row.sku, row.figure.label)
        body.append([*labels, *row.values, row.total])
        width = total_column
        drawing.style(
            Box(excel_row, FIRST_MONTH_COLUMN, 1, len(data.months) + 1),
            Style(number_format=_number_format(row)),
        )
        fill = {TOTAL: TOTAL_COLOR, FAMILY: FAMILY_COLOR}.get(row.level)
        if fill is not None:  # the total and the families: shaded, bold
            drawing.style(Box(excel_row, 1, 1, width), Style(fill=fill, bold=True))
        if row.figure.editable and row.level in (FAMILY, SKU):
            for index, month in enumerate(data.months):
                if not data.is_history(month):
                    drawing.style(Box(excel_row, FIRST_MONTH_COLUMN + index), EDITABLE)
            # The author and reason of an edit, typed beside it.
            drawing.style(Box(excel_row, total_column + 1, 1, 2), EDITABLE)
            reasons.append(Box(excel_row, total_column + 2))
        if member != previous:  # a line above each member's block
            drawing.style(Box(excel_row, 1, 1, width), Style(top_border=LINE_COLOR))
        previous = member
        if row.level != TOTAL:
            drawing.outline[excel_row] = row.level
        if row.level == SKU:
            drawing.collapsed.append(excel_row)  # families start closed: the + opens them
    drawing.write(FIRST_ROW, 1, body)
    if editable:
        drawing.lists.append(
            ListRule(
                boxes=tuple(reasons),
                values=tuple(REASONS),
                error=f"Choose one of: {', '.join(REASONS)}",
                allow_blank=True,
            )
        )
    return drawing


def draw_grid(workbook: Workbook, data: GridData) -> Worksheet:
    """Redraw one grid on its tab from A1; return the sheet."""
    return render_drawing(workbook, grid_drawing(data))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _at(values: list[list[Any]], row: int, column: int) -> Any:
    """The value of an Excel cell in a block read from A1 (None outside it)."""
    if row > len(values) or column > len(values[row - 1]):
        return None
    return values[row - 1][column - 1]


def _levels(values: list[list[Any]]) -> dict[int, int]:
    """Each grid row's level, told by its labels: a SKU row names its SKU; the first
    "Total" row of a key figure is the total (drawn first), any later one a family so named."""
    levels: dict[int, int] = {}
    seen: set[str] = set()
    for row in range(FIRST_ROW, len(values) + 1):
        first, sku, figure = (_text(_at(values, row, c)) for c in (1, 2, 3))
        if sku:
            levels[row] = SKU
        elif first == "Total" and figure not in seen:
            seen.add(figure)
            levels[row] = TOTAL
        else:
            levels[row] = FAMILY
    return levels


def read_grid_edits(
    values: list[list[Any]], tab: str, drawn: GridData
) -> tuple[list[GridEdit], list[Problem]]:
    """The editable cells whose value differs from the grid as drawn, with author and reason.

    Args:
        values: the grid tab's cells from A1 (as either port reads them).
        tab: the tab's name, for messages.
        drawn: the grid as drawn from the tables the run started with.

    Rows are matched by their labels, months by the header, so a grid drawn for other SKUs
    or months only yields edits where both still exist.
    """
    expected = {
        (r.level, r.family, r.sku, r.figure.label): r for r in drawn.rows if r.figure.editable
    }
    width = max((len(line) for line in values), default=0)
    months: dict[int, int] = {}  # Excel column -> index into drawn.months
    index_of = {m.to_pydatetime(): i for i, m in enumerate(drawn.months)}
    for column in range(FIRST_MONTH_COLUMN, width + 1):
        value = _at(values, HEADER_ROW, column)
        if value in index_of and not drawn.is_history(drawn.months[index_of[value]]):
            months[column] = index_of[value]
    author_column, reason_column = _edit_columns(values)
    edits: list[GridEdit] = []
    problems: list[Problem] = []

    def problem(row: int, column: str, message: str) -> None:
        problems.append(Problem(tab=tab, table="grid", row=row, column=column, message=message))

    for row, level in _levels(values).items():
        family = "" if level == TOTAL else _text(_at(values, row, 1))
        key = (level, family, _text(_at(values, row, 2)), _text(_at(values, row, 3)))
        drawn_row = expected.get(key)
        if drawn_row is None or level == TOTAL:
            continue
        changed = []
        for column, index in months.items():
            value = _at(values, row, column)
            before = drawn_row.values[index]
            if value is None or before is None:
                continue
            label = f"{get_column_letter(column)}{HEADER_ROW}"
            if isinstance(value, bool) or not isinstance(value, int | float):
                problem(row, label, f"{value!r} is not a number of units")
                continue
            if abs(float(value) - before) <= 1e-6 * max(1.0, abs(before)):
                continue
            if value < 0:
                problem(row, label, "demand cannot be negative")
                continue
            changed.append((drawn.months[index], float(value)))
        if not changed:
            continue
        author = _text(_at(values, row, author_column)) if author_column else ""
        reason = _text(_at(values, row, reason_column)).lower() if reason_column else ""
        if not author:
            problem(row, EDIT_COLUMNS[0], "an edited consensus needs the author's name")
        if reason not in REASONS:
            problem(
                row, EDIT_COLUMNS[1], f"an edited consensus needs a reason: {', '.join(REASONS)}"
            )
        if author and reason in REASONS:
            edits += [
                GridEdit(drawn_row.family, drawn_row.sku, month, value, author, reason, row)
                for month, value in changed
            ]
    return edits, problems


def _edit_columns(values: list[list[Any]]) -> tuple[int | None, int | None]:
    """The columns of the "Edited by" and "Reason" headers (right of the Total)."""
    found: dict[str, int] = {}
    header = values[HEADER_ROW - 1] if len(values) >= HEADER_ROW else []
    for column in range(FIRST_MONTH_COLUMN, len(header) + 1):
        value = _text(header[column - 1])
        if value in EDIT_COLUMNS:
            found[value] = column
    return found.get(EDIT_COLUMNS[0]), found.get(EDIT_COLUMNS[1])
