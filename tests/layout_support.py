"""Find the contract's tables in a workbook wherever the layout puts them.

Tests that reach into a workbook's cells locate a table by its Excel table name (the tab
that holds it, its header corner) and a column by its header, which may be the contract's
label ("Unit price") or its name ("unit_price"), as the readers accept both. A test that
names a tab or a header text of one layout breaks when the layout moves; these do not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT


def sheet_with_table(wb: Workbook, table: str) -> Worksheet:
    """The worksheet holding the Excel table `table`."""
    found = [ws for ws in wb.worksheets if table in ws.tables]
    assert len(found) == 1, f"the Excel table {table} is on {len(found)} sheets"
    return found[0]


def tab_of(source: Path | Workbook, table: str) -> str:
    """The name of the tab holding `table` in a workbook (or a workbook file)."""
    wb = load_workbook(source) if isinstance(source, Path) else source
    return sheet_with_table(wb, table).title


def table_bounds(ws: Worksheet, table: str) -> tuple[int, int, int, int]:
    """First column, header row, last column, last row of `table` on `ws`."""
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
    assert None not in (min_col, min_row, max_col, max_row)
    return int(min_col or 0), int(min_row or 0), int(max_col or 0), int(max_row or 0)


def table_corner(source: Path | Workbook, table: str) -> tuple[str, int, int]:
    """The tab, header row and first column of `table`."""
    wb = load_workbook(source) if isinstance(source, Path) else source
    ws = sheet_with_table(wb, table)
    first_col, header_row, _, _ = table_bounds(ws, table)
    return ws.title, header_row, first_col


def header_columns(ws: Worksheet, table: str) -> dict[str, int]:
    """The sheet column of each contract column of `table`, found by its header cell (the
    label or the name)."""
    contract = CONTRACT.table(table)
    first_col, header_row, last_col, _ = table_bounds(ws, table)
    found: dict[str, int] = {}
    for column in range(first_col, last_col + 1):
        value = ws.cell(header_row, column).value
        col = contract.column_for_header(str(value)) if value is not None else None
        if col is not None:
            found.setdefault(col.name, column)
    return found


def fake_sheet_with_table(book: Any, table: str) -> tuple[Any, Any]:
    """The sheet and table of a stand-in xlwings book (tests/xlwings_fake.py) by table name."""
    found = [(s, t) for s in book.sheets for t in s.tables if t.name == table]
    assert len(found) == 1, f"the Excel table {table} is on {len(found)} sheets"
    return found[0]


def package_tab_of(package: Any, table: str) -> str:
    """The tab holding `table` in a sop_addin.workbook.package.Package (no openpyxl load)."""
    found = [
        tab
        for tab, part in package.sheet_parts().items()
        if table.lower() in package.table_parts(part)
    ]
    assert len(found) == 1, f"the Excel table {table} is on {len(found)} sheets"
    return found[0]
