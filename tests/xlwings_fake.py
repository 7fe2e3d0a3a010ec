"""An in-memory stand-in for the few xlwings objects the xlwings port and the ribbon touch.

No Excel exists on the test machines; this fake behaves like xlwings 0.37.8 on Excel for
exactly the calls XlwingsPort and ribbon.on_action make (tables, ranges, values, protection,
status bar, alerts, the active book), so their few lines are exercised and compared with the
file port on the same workbook. Where real xlwings differs by platform the fake does too:
`sheet.api` is a COM Worksheet on Windows and an appscript reference on the Mac, and
`books.active` never returns None (with no workbook open it wraps Excel's empty
ActiveWorkbook, whose first property read fails: xlwings/_xlwindows.py `Books.active`).
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
        if self.sheet.protected:
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
    """The COM Worksheet (Windows): ProtectContents, Unprotect(), Protect(...)."""

    def __init__(self, protected: bool):
        self.ProtectContents = protected
        self.protect_options: dict[str, Any] = {}

    def Unprotect(self) -> None:
        self.ProtectContents = False

    def Protect(self, **options: Any) -> None:
        self.ProtectContents = True
        self.protect_options = options


class _AppscriptProperty:
    def __init__(self, owner: FakeMacApi):
        self.owner = owner

    def get(self) -> bool:
        return self.owner.state


class FakeMacApi:
    """The appscript reference (Mac): `protect_contents.get()`, `unprotect()`,
    `protect_worksheet(...)`. It has no COM names: using them fails as appscript does."""

    def __init__(self, protected: bool):
        self.state = protected
        self.protect_options: dict[str, Any] = {}

    @property
    def protect_contents(self) -> _AppscriptProperty:
        return _AppscriptProperty(self)

    @property
    def ProtectContents(self) -> bool:  # what the COM names do on a Mac: no such property
        raise AttributeError("Unknown property, element or command: 'ProtectContents'")

    def unprotect(self) -> None:
        self.state = False

    def protect_worksheet(self, **options: Any) -> None:
        self.state = True
        self.protect_options = options


class FakeSheet:
    def __init__(self, name: str, protected: bool, mac: bool = False):
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.tables: list[FakeTable] = []
        self.api: Any = FakeMacApi(protected) if mac else FakeApi(protected)

    @property
    def protected(self) -> bool:
        api = self.api
        return bool(api.state if isinstance(api, FakeMacApi) else api.ProtectContents)

    def range(self, cell: tuple[int, int]) -> FakeRange:
        return FakeRange(self, cell[0], cell[1])


class FakeBooks:
    """`app.books`: the open workbooks, the last opened one active."""

    def __init__(self, app: FakeApp) -> None:
        self.app = app
        self.open: list[FakeBook] = []

    @property
    def active(self) -> FakeBook:
        return self.open[-1] if self.open else FakeBook.no_workbook(self.app)


class FakeApp:
    def __init__(self) -> None:
        self.status_bar: Any = False
        self.history: list[Any] = []
        self.alerts: list[tuple[str | None, str]] = []
        self.books = FakeBooks(self)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and hasattr(self, "history"):
            self.history.append(value)
        super().__setattr__(name, value)

    def alert(self, prompt: str, title: str | None = None, **_: Any) -> str:
        self.alerts.append((title, prompt))
        return "ok"


class FakeBook:
    def __init__(
        self,
        sheets: list[FakeSheet],
        name: str = "plan.xlsm",
        app: FakeApp | None = None,
        folder: str = "C:\\Users\\planner\\Documents",
        separator: str = "\\",
    ):
        self.sheets = sheets
        self.app = app or FakeApp()
        self._name = name
        self._fullname = f"{folder}{separator}{name}"
        self._open = True
        self.app.books.open.append(self)

    @classmethod
    def no_workbook(cls, app: FakeApp) -> FakeBook:
        """What xlwings' books.active returns with no workbook open."""
        book = cls.__new__(cls)
        book.sheets, book.app, book._open = [], app, False
        return book

    def _check(self) -> None:
        if not self._open:  # xlwings: Book(impl=Book(xl=None)).name -> None.Name
            raise AttributeError("'NoneType' object has no attribute 'Name'")

    @property
    def name(self) -> str:
        self._check()
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def fullname(self) -> str:
        self._check()
        return self._fullname

    @fullname.setter
    def fullname(self, value: str) -> None:
        self._fullname = value


def book_from_file(
    path: Path, name: str | None = None, app: FakeApp | None = None, mac: bool = False
) -> FakeBook:
    """A fake live book holding the same cells and tables as an .xlsx file.

    Its full name is the file's path (with `name` instead of the file's name if given), as
    Excel reports a saved workbook's.
    """
    wb = load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        sheet = FakeSheet(ws.title, protected=bool(ws.protection.sheet), mac=mac)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    value = cell.value
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        value = float(value)  # Excel hands every number over as a float
                    if isinstance(value, datetime):
                        value = datetime(value.year, value.month, value.day)
                    sheet.cells[(cell.row, cell.column)] = value
        for table in ws.tables:
            c1, r1, c2, r2 = range_boundaries(ws.tables[table].ref)
            rng = FakeRange(sheet, r1, c1, r2 - r1 + 1, c2 - c1 + 1)
            sheet.tables.append(FakeTable(table, sheet, rng))
        sheets.append(sheet)
    path = Path(path)
    return FakeBook(sheets, name or path.name, app, str(path.parent), "/")
