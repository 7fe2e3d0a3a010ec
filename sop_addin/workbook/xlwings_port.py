"""The xlwings port: the contract's tables in a live Excel book (e.g. `xw.Book.caller()`).

Only 2-D blocks cross this boundary; typing and validation are the codec's, shared with the
file port. A range's size is its `shape` (xlwings' `range.rows` is a RangeRows, not a number).
The views (grids, Exec page, forecast chart tab) are drawn by sop_addin.workbook.xlwings_views.
xlwings is imported lazily so the CLI runs where Excel (and xlwings' engines) are
absent.
"""

from __future__ import annotations

import sys
from typing import Any

from sop_addin.workbook.port import OccupiedCells, TableNotFound
from sop_addin.workbook.sheet_drawing import AlertRule, SheetDrawing
from sop_addin.workbook.xlwings_cells import excel_value, find_sheet
from sop_addin.workbook.xlwings_protection import unprotected
from sop_addin.workbook.xlwings_views import draw_live, read_view, replace_alerts

SCAN_ROWS = 500  # rows read at a time when looking below a table


class XlwingsPort:
    """Tables of an open Excel workbook, read and written through xlwings."""

    def __init__(self, book: Any, platform: str = sys.platform) -> None:
        self.book = book
        self.platform = platform  # "darwin": Excel for Mac, driven through appscript

    @classmethod
    def caller(cls) -> XlwingsPort:
        """The workbook that called Python (from a ribbon button or RunPython)."""
        import xlwings as xw

        return cls(xw.Book.caller())

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def _find(self, table: str) -> tuple[Any, Any]:
        wanted = table.lower()
        for sheet in self.book.sheets:
            for tbl in sheet.tables:
                if tbl.name.lower() == wanted:
                    return sheet, tbl
        msg = f"no Excel table named {table!r}"
        raise TableNotFound(msg)

    def table_location(self, table: str) -> tuple[str, int]:
        sheet, tbl = self._find(table)
        return sheet.name, int(tbl.range.row)

    def read_block(self, table: str) -> list[list[Any]]:
        _, tbl = self._find(table)
        return [list(row) for row in tbl.range.options(ndim=2).value]

    def check_block(self, table: str, block: list[list[Any]]) -> None:
        """Raise OccupiedCells if writing `block` would grow the table over someone's cells."""
        sheet, tbl = self._find(table)
        top, left = int(tbl.range.row), int(tbl.range.column)
        old_rows, old_width = tbl.range.shape
        rows, width = max(len(block), 2), len(block[0])
        found: list[str] = []
        if rows > old_rows:  # the rows the table grows into, across its new width
            below = sheet.range((top + old_rows, left)).resize(rows - old_rows, width)
            found += _filled(below.options(ndim=2).value, top + old_rows, left)
        if width > old_width:  # the columns it grows into, over its old rows
            beside = sheet.range((top, left + old_width)).resize(old_rows, width - old_width)
            found += _filled(beside.options(ndim=2).value, top, left + old_width)
        for other in sheet.tables:
            if other.name.lower() == tbl.name.lower():
                continue
            r, c = int(other.range.row), int(other.range.column)
            if (
                r < top + rows
                and r + other.range.shape[0] > top
                and (c < left + width and c + other.range.shape[1] > left)
            ):
                found.append(f"the table {other.name}")
        if found:
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            msg = (
                f"the output table {tbl.name} on the {sheet.name} tab would grow over {shown}; "
                "move them (or the table) and run again. Nothing was written."
            )
            raise OccupiedCells(msg)

    def rows_below(self, table: str) -> list[int]:
        """Excel rows right below the table that hold values in its columns (up to a blank)."""
        sheet, tbl = self._find(table)
        top, left = int(tbl.range.row), int(tbl.range.column)
        height, width = tbl.range.shape
        row = top + height
        found: list[int] = []
        while True:
            values = sheet.range((row, left)).resize(SCAN_ROWS, width).options(ndim=2).value
            for offset, line in enumerate(values):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
                    return found
                found.append(row + offset)
            row += SCAN_ROWS

    def columns_beside(self, table: str) -> list[int]:
        """Columns right beside the table with a header and data in its rows (up to a gap)."""
        sheet, tbl = self._find(table)
        top, left = int(tbl.range.row), int(tbl.range.column)
        rows, width = tbl.range.shape
        found: list[int] = []
        column = left + width
        while True:
            if any(
                int(o.range.column) <= column < int(o.range.column) + o.range.shape[1]
                and int(o.range.row) <= top < int(o.range.row) + o.range.shape[0]
                for o in sheet.tables
                if o.name.lower() != tbl.name.lower()
            ):
                return found
            values = [
                r[0] for r in sheet.range((top, column)).resize(rows, 1).options(ndim=2).value
            ]
            filled = [v for v in values if v is not None and str(v).strip()]
            if values[0] is None or not str(values[0]).strip() or len(filled) < 2:
                return found
            found.append(column)
            column += 1

    def write_block(self, table: str, block: list[list[Any]]) -> None:
        self.check_block(table, block)
        sheet, tbl = self._find(table)
        top, left = tbl.range.row, tbl.range.column
        rows, width = max(len(block), 2), len(block[0])
        with unprotected(sheet, self.platform):
            if tbl.data_body_range is not None:
                tbl.data_body_range.clear_contents()
            tbl.resize(sheet.range((top, left)).resize(rows, width))
            values = [[excel_value(v) for v in row] for row in block]
            sheet.range((top, left)).resize(len(values), width).value = values

    def set_status(self, message: str | None) -> None:
        # False hands the status bar back to Excel.
        self.book.app.status_bar = message if message else False

    def read_view(self, tab: str) -> list[list[Any]] | None:
        return read_view(self.book, tab)

    def view_holds_tables(self, tab: str) -> bool:
        sheet = find_sheet(self.book, tab)
        return sheet is not None and len(sheet.tables) > 0

    def draw_view(self, drawing: SheetDrawing) -> None:
        """Draw a view in the live book with Excel's screen updating off (far fewer redraws)."""
        app = self.book.app
        updating = app.screen_updating
        app.screen_updating = False
        try:
            draw_live(self.book, drawing, self.platform)
        finally:
            app.screen_updating = updating

    def draw_alerts(self, tab: str, rules: list[AlertRule]) -> None:
        replace_alerts(self.book, tab, rules, self.platform)


def _filled(values: list[list[Any]], top: int, left: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [
        f"{get_column_letter(left + j)}{top + i} ({str(v)[:40]!r})"
        for i, line in enumerate(values)
        for j, v in enumerate(line)
        if v is not None and not (isinstance(v, str) and not v.strip())
    ]
