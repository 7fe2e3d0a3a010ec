"""The xlwings port: the contract's tables in a live Excel book (e.g. `xw.Book.caller()`).

Only 2-D blocks cross this boundary; typing and validation are the codec's, shared with the
file port. xlwings is imported lazily so the CLI runs where Excel (and xlwings' engines) are
absent.
"""

from __future__ import annotations

import sys
from typing import Any

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.export import FORMULA_STARTS
from sop_addin.workbook.port import TableNotFound
from sop_addin.workbook.xlwings_protection import unprotected


def _as_excel_text(value: Any) -> Any:
    if isinstance(value, Formula):  # a contract formula column: Excel evaluates it
        return value.text
    # Excel would evaluate "=..." typed into a cell; a leading apostrophe keeps it text.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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

    def write_block(self, table: str, block: list[list[Any]]) -> None:
        sheet, tbl = self._find(table)
        top, left = tbl.range.row, tbl.range.column
        rows, width = max(len(block), 2), len(block[0])
        with unprotected(sheet, self.platform):
            if tbl.data_body_range is not None:
                tbl.data_body_range.clear_contents()
            tbl.resize(sheet.range((top, left)).resize(rows, width))
            values = [[_as_excel_text(v) for v in row] for row in block]
            sheet.range((top, left)).resize(len(values), width).value = values

    def set_status(self, message: str | None) -> None:
        # False hands the status bar back to Excel.
        self.book.app.status_bar = message if message else False
