"""Draw the time-phased grids (sop_addin.core.grid) on their tabs with openpyxl.

A grid tab is a view: it is redrawn from the tables on every run, from A1, with the
families grouped over their SKUs in an Excel outline (the + / - buttons at the left).
"""

from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import Outline, PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT, Grid
from sop_addin.contract.problems import Problem
from sop_addin.core.grid import FAMILY, SKU, TOTAL, GridData, GridRow
from sop_addin.core.grid_edits import GridEdit
from sop_addin.workbook.layout import EDITABLE_FILL, HEADER_FILL, view_cell

TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3
EDIT_COLUMNS = ("Edited by", "Reason")  # beside the Total, on editable rows
REASONS = CONTRACT.table("Overrides").column("reason_code").enum
LABEL_COLUMNS = ("Family", "SKU", "Key figure")
FIRST_MONTH_COLUMN = len(LABEL_COLUMNS) + 1

HISTORY_FILL = PatternFill("solid", fgColor="7F7F7F")  # history months: grey headers
TOTAL_FILL = PatternFill("solid", fgColor="BDD7EE")
FAMILY_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="BFBFBF")
_BLOCK_TOP = Border(top=_THIN)


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


def prepare_grid_sheet(workbook: Workbook, grid: Grid) -> Worksheet:
    """The grid's tab, emptied (created before its data tab when missing)."""
    if grid.tab in workbook.sheetnames:
        index = workbook.sheetnames.index(grid.tab)
        del workbook[grid.tab]
    elif grid.data_tab in workbook.sheetnames:
        index = workbook.sheetnames.index(grid.data_tab)
    else:
        index = len(workbook.sheetnames)
    ws = workbook.create_sheet(grid.tab, index)
    ws.sheet_properties.tabColor = "1F4E78"
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=False)
    title = ws.cell(TITLE_ROW, 1, _hint(grid))
    title.font = Font(bold=True, size=12, color="1F4E78")
    for index, text in enumerate(LABEL_COLUMNS, start=1):
        _header(ws, index, text)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 22
    ws.freeze_panes = ws.cell(FIRST_ROW, FIRST_MONTH_COLUMN).coordinate
    # Printed: landscape, one page wide, the header rows and label columns on every page.
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.print_title_cols = "A:C"
    return ws


def _header(
    ws: Worksheet, column: int, value: str | datetime, fill: PatternFill = HEADER_FILL
) -> None:
    cell = ws.cell(HEADER_ROW, column, value)
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = fill
    cell.alignment = Alignment(horizontal="center")


def draw_grid(workbook: Workbook, data: GridData) -> Worksheet:
    """Redraw one grid on its tab from A1; return the sheet."""
    ws = prepare_grid_sheet(workbook, data.grid)
    for offset, month in enumerate(data.months):
        column = FIRST_MONTH_COLUMN + offset
        fill = HISTORY_FILL if data.is_history(month) else HEADER_FILL
        _header(ws, column, month.to_pydatetime(), fill)
        ws.cell(HEADER_ROW, column).number_format = "mmm yyyy"
        ws.column_dimensions[get_column_letter(column)].width = 11
    total_column = FIRST_MONTH_COLUMN + len(data.months)
    _header(ws, total_column, "Total")
    ws.column_dimensions[get_column_letter(total_column)].width = 13
    editable = any(f.editable for f in data.grid.key_figures)
    if editable:
        for offset, text in enumerate(EDIT_COLUMNS, start=1):
            _header(ws, total_column + offset, text)
            ws.column_dimensions[get_column_letter(total_column + offset)].width = 14
        reasons = DataValidation(type="list", formula1=f'"{",".join(REASONS)}"', allow_blank=True)
        reasons.error = f"Choose one of: {', '.join(REASONS)}"
        reasons.showErrorMessage = True
        ws.add_data_validation(reasons)
    previous: tuple[int, str, str] | None = None
    for offset, row in enumerate(data.rows):
        excel_row = FIRST_ROW + offset
        member = (row.level, row.family, row.sku)
        labels = (
            "Total" if row.level == TOTAL else row.family,
            row.sku,
            row.figure.label,
        )
        for column, text in enumerate(labels, start=1):
            view_cell(ws, excel_row, column, text)
        fmt = _number_format(row)
        for column, value in enumerate((*row.values, row.total), start=FIRST_MONTH_COLUMN):
            cell = ws.cell(excel_row, column, value)
            cell.number_format = fmt
        _style_row(ws, excel_row, row, total_column, data)
        if editable and row.figure.editable and row.level in (FAMILY, SKU):
            for offset in (1, 2):  # author and reason of an edit, typed beside it
                edit = ws.cell(excel_row, total_column + offset)
                edit.fill = EDITABLE_FILL
                edit.protection = Protection(locked=False)
            reasons.add(ws.cell(excel_row, total_column + 2).coordinate)
        if member != previous:  # a line above each member's block
            for column in range(1, total_column + 1):
                ws.cell(excel_row, column).border = _BLOCK_TOP
        previous = member
        dims = ws.row_dimensions[excel_row]
        if row.level != TOTAL:
            dims.outlineLevel = row.level
        if row.level == SKU:
            dims.hidden = True  # families start closed: the + opens them
    return ws


def _style_row(ws: Worksheet, excel_row: int, row: GridRow, last: int, data: GridData) -> None:
    fill = {TOTAL: TOTAL_FILL, FAMILY: FAMILY_FILL}.get(row.level)
    bold = row.level in (TOTAL, FAMILY)
    for column in range(1, last + 1):
        cell = ws.cell(excel_row, column)
        if fill is not None:
            cell.fill = fill
        if bold:
            cell.font = Font(bold=True)
    if row.figure.editable and row.level in (FAMILY, SKU):
        for offset, month in enumerate(data.months):
            if not data.is_history(month):
                cell = ws.cell(excel_row, FIRST_MONTH_COLUMN + offset)
                cell.fill = EDITABLE_FILL
                cell.protection = Protection(locked=False)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def read_grid_edits(ws: Worksheet, drawn: GridData) -> tuple[list[GridEdit], list[Problem]]:
    """The editable cells whose value differs from the grid as drawn, with author and reason.

    Rows are matched by their labels and outline level, months by the header, so a grid
    drawn for other SKUs or months only yields edits where both still exist.
    """
    expected = {
        (r.level, r.family, r.sku, r.figure.label): r for r in drawn.rows if r.figure.editable
    }
    months: dict[int, int] = {}  # Excel column -> index into drawn.months
    index_of = {m.to_pydatetime(): i for i, m in enumerate(drawn.months)}
    for column in range(FIRST_MONTH_COLUMN, ws.max_column + 1):
        value = ws.cell(HEADER_ROW, column).value
        if value in index_of and not drawn.is_history(drawn.months[index_of[value]]):
            months[column] = index_of[value]
    author_column, reason_column = _edit_columns(ws)
    edits: list[GridEdit] = []
    problems: list[Problem] = []

    def problem(row: int, column: str, message: str) -> None:
        problems.append(
            Problem(tab=ws.title, table="grid", row=row, column=column, message=message)
        )

    for row in range(FIRST_ROW, ws.max_row + 1):
        level = ws.row_dimensions[row].outlineLevel or TOTAL
        family = "" if level == TOTAL else _text(ws.cell(row, 1).value)
        key = (level, family, _text(ws.cell(row, 2).value), _text(ws.cell(row, 3).value))
        drawn_row = expected.get(key)
        if drawn_row is None or level == TOTAL:
            continue
        changed = []
        for column, index in months.items():
            value = ws.cell(row, column).value
            before = drawn_row.values[index]
            if value is None or before is None:
                continue
            label = ws.cell(HEADER_ROW, column).coordinate
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
        author = _text(ws.cell(row, author_column).value) if author_column else ""
        reason = _text(ws.cell(row, reason_column).value).lower() if reason_column else ""
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


def _edit_columns(ws: Worksheet) -> tuple[int | None, int | None]:
    """The columns of the "Edited by" and "Reason" headers (right of the Total)."""
    found: dict[str, int] = {}
    for column in range(FIRST_MONTH_COLUMN, ws.max_column + 1):
        value = _text(ws.cell(HEADER_ROW, column).value)
        if value in EDIT_COLUMNS:
            found[value] = column
    return found.get(EDIT_COLUMNS[0]), found.get(EDIT_COLUMNS[1])
