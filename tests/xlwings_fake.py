"""An in-memory stand-in for the few xlwings objects the xlwings port touches.

No Excel exists on the test machines; this fake behaves like Excel for exactly the calls
XlwingsPort makes (tables, ranges, values, protection, status bar), so the port's few lines
are exercised and compared with the file port on the same workbook.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from sop_addin.workbook.finance_formulas import contract_formula


class FakeRange:
    def __init__(self, sheet: FakeSheet, row: int, column: int, rows: int = 1, columns: int = 1):
        self.sheet, self.row, self.column = sheet, row, column
        self.rows, self.columns = rows, columns

    def options(self, ndim: int = 2) -> FakeRange:
        assert ndim == 2
        return self

    def resize(self, rows: int, columns: int) -> FakeRange:
        return FakeRange(self.sheet, self.row, self.column, rows, columns)

    @property
    def value(self) -> list[list[Any]]:
        return [
            [self.sheet.cells.get((r, c)) for c in range(self.column, self.column + self.columns)]
            for r in range(self.row, self.row + self.rows)
        ]

    @value.setter
    def value(self, block: list[list[Any]]) -> None:
        if self.sheet.api.ProtectContents:
            raise RuntimeError("Excel refuses to write to a protected sheet")
        for i, row in enumerate(block):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]  # Excel keeps the text and hides the apostrophe
                elif isinstance(v, str) and v.startswith("="):
                    # Only the contract's own formulas, each in its designated cell, may be
                    # live; Excel shows their result, which the fake cannot compute (None).
                    cell = (self.row + i, self.column + j)
                    if v != contract_formula(self.sheet.name, *cell):
                        raise AssertionError(f"the port wrote a live formula: {v}")
                    self.sheet.formulas[cell] = v
                    v = None
                self.sheet.cells[(self.row + i, self.column + j)] = v

    def clear_contents(self) -> None:
        for r in range(self.row, self.row + self.rows):
            for c in range(self.column, self.column + self.columns):
                self.sheet.cells.pop((r, c), None)


class FakeTable:
    def __init__(self, name: str, sheet: FakeSheet, rng: FakeRange):
        self.name, self.sheet, self.range = name, sheet, rng

    @property
    def data_body_range(self) -> FakeRange | None:
        if self.range.rows < 2:
            return None
        r = self.range
        return FakeRange(self.sheet, r.row + 1, r.column, r.rows - 1, r.columns)

    def resize(self, rng: FakeRange) -> None:
        self.range = rng


class FakeApi:
    def __init__(self, protected: bool):
        self.ProtectContents = protected

    def Unprotect(self) -> None:
        self.ProtectContents = False

    def Protect(self, **_: Any) -> None:
        self.ProtectContents = True


class FakeSheet:
    def __init__(self, name: str, protected: bool):
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.tables: list[FakeTable] = []
        self.api = FakeApi(protected)

    def range(self, cell: tuple[int, int]) -> FakeRange:
        return FakeRange(self, cell[0], cell[1])


class FakeApp:
    def __init__(self) -> None:
        self.status_bar: Any = False
        self.history: list[Any] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and hasattr(self, "history"):
            self.history.append(value)
        super().__setattr__(name, value)


class FakeBook:
    def __init__(self, sheets: list[FakeSheet]):
        self.sheets = sheets
        self.app = FakeApp()


def book_from_file(path: Path) -> FakeBook:
    """A fake live book holding the same cells and tables as an .xlsx file."""
    wb = load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        sheet = FakeSheet(ws.title, protected=bool(ws.protection.sheet))
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    value = cell.value
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        value = float(value)  # Excel hands every number over as a float
                    if isinstance(value, datetime):
                        value = datetime(value.year, value.month, value.day)
                    sheet.cells[(cell.row, cell.column)] = value
        for name in ws.tables:
            c1, r1, c2, r2 = range_boundaries(ws.tables[name].ref)
            rng = FakeRange(sheet, r1, c1, r2 - r1 + 1, c2 - c1 + 1)
            sheet.tables.append(FakeTable(name, sheet, rng))
        sheets.append(sheet)
    return FakeBook(sheets)
