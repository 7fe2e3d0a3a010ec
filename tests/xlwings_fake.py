"""An in-memory stand-in for the xlwings objects the xlwings port, its view renderer and the
ribbon touch.

No Excel exists on the test machines; this fake follows xlwings 0.37.8 (xlwings/main.py and
its desktop engines _xlwindows.py / _xlmac.py) for exactly the calls the product makes, and
raises where xlwings raises:

- `Range.value` reads a scalar for one cell, a flat list for one row or column and a list of
  rows for a block (`options(ndim=2)`: always a list of rows); empty cells are None; numbers
  come back as floats; writing a list of rows fills from the top-left cell whatever the
  range's size, a scalar fills every cell of the range.
- `Range.rows` / `Range.columns` are RangeRows / RangeColumns: a length and `hidden`, no
  int() (the port uses `range.shape`).
- `book.sheets.add` raises ValueError for a name in use (any case) and activates the new
  sheet; `Charts.add` refuses a name in use and `anchor` together with `top`/`left`.
- The desktop engines have no `Range.group` or `Sheet.freeze_panes` (those are the remote
  engine's): the fake has none either, so the product must go through `.api`, which is a
  COM object on Windows and an appscript reference on the Mac (where COM names fail).
- `sheet.api` is a COM Worksheet on Windows and an appscript reference on the Mac, and
  `books.active` never returns None (with no workbook open it wraps Excel's empty
  ActiveWorkbook, whose first property read fails: xlwings/_xlwindows.py `Books.active`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from sop_addin.workbook.finance_formulas import contract_formula

# Tabs whose formulas the product builds from cell references (the forecast chart's lookups);
# anywhere else only the contract's own formulas, each in its designated cell, may be live.
VIEW_FORMULA_TABS = {"Forecast chart"}
# xlwings' cell-value operators (base_classes.ConditionalFormatOperator) and alignments.
CF_OPERATORS = (
    "between",
    "not_between",
    "equal_to",
    "not_equal_to",
    "greater_than",
    "less_than",
    "greater_than_or_equal",
    "less_than_or_equal",
)
CHART_TYPES = ("line", "line_markers", "column_clustered", "bar_clustered", "pie", "area")
HORIZONTAL = ("general", "left", "center", "right", "fill", "justify")
VERTICAL = ("top", "center", "bottom", "justify", "distributed")
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_ROWS = re.compile(r"^\$?(\d+):\$?(\d+)$")


class ShapeAlreadyExists(Exception):
    """xlwings.ShapeAlreadyExists: a chart name already on the sheet."""


def _rgb(color: Any) -> tuple[int, int, int]:
    """xlwings' colours: '#RRGGBB' or an RGB tuple, read back as a tuple."""
    if isinstance(color, str):
        if not re.fullmatch(r"#?[0-9a-fA-F]{6}", color):
            raise ValueError(f"Invalid color {color!r}")
        text = color.lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    if isinstance(color, tuple) and len(color) == 3:
        return color
    raise ValueError(f"Invalid color {color!r}")


def _parse(address: str) -> list[tuple[int, int, int, int]]:
    """Areas (row, column, rows, columns) of an A1 address: "A1", "A1:C3", "3:5", "A1,C2:D4"."""
    areas = []
    for part in address.replace("$", "").split(","):
        part = part.strip()
        rows = _ROWS.match(part)
        if rows:
            first, last = int(rows.group(1)), int(rows.group(2))
            areas.append((first, 1, last - first + 1, 16384))
            continue
        ends = part.split(":")
        cells = []
        for end in ends:
            m = _CELL.match(end)
            if m is None:
                raise ValueError(f"Excel cannot read the address {address!r}")
            cells.append((int(m.group(2)), column_index_from_string(m.group(1))))
        (r1, c1), (r2, c2) = cells[0], cells[-1]
        areas.append((min(r1, r2), min(c1, c2), abs(r2 - r1) + 1, abs(c2 - c1) + 1))
    return areas


class FakeRangeRows:
    """RangeRows: len(), count and hidden (of the entire worksheet rows)."""

    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def __len__(self) -> int:
        return self.rng.shape[0]

    @property
    def count(self) -> int:
        return len(self)

    @property
    def hidden(self) -> bool | None:
        states = {r in self.rng.sheet.hidden_rows for r in self.rng.row_numbers()}
        return states.pop() if len(states) == 1 else None

    @hidden.setter
    def hidden(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError("hidden must be a boolean")
        for row in self.rng.row_numbers():
            (self.rng.sheet.hidden_rows.add if value else self.rng.sheet.hidden_rows.discard)(row)


class FakeRangeColumns:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def __len__(self) -> int:
        return self.rng.shape[1]

    @property
    def count(self) -> int:
        return len(self)

    @property
    def hidden(self) -> bool | None:
        states = {c in self.rng.sheet.hidden_columns for c in self.rng.column_numbers()}
        return states.pop() if len(states) == 1 else None

    @hidden.setter
    def hidden(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError("hidden must be a boolean")
        for column in self.rng.column_numbers():
            target = self.rng.sheet.hidden_columns
            (target.add if value else target.discard)(column)


class FakeFont:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def _set(self, key: str, value: Any) -> None:
        for cell in self.rng.cell_list():
            self.rng.sheet.style(cell)[key] = value

    def _get(self, key: str) -> Any:
        values = {self.rng.sheet.styles.get(c, {}).get(key) for c in self.rng.cell_list()}
        return values.pop() if len(values) == 1 else None

    bold = property(lambda self: self._get("bold"), lambda self, v: self._set("bold", bool(v)))
    italic = property(
        lambda self: self._get("italic"), lambda self, v: self._set("italic", bool(v))
    )
    size = property(lambda self: self._get("size"), lambda self, v: self._set("size", float(v)))
    color = property(
        lambda self: self._get("font_color"), lambda self, v: self._set("font_color", _rgb(v))
    )


class FakeBorders:
    """`range.borders.set(sides, line_style=, weight=, color=)`, as xlwings 0.37.1+."""

    SIDES = (
        "edge_top",
        "edge_bottom",
        "edge_left",
        "edge_right",
        "inside_vertical",
        "inside_horizontal",
        "diagonal_down",
        "diagonal_up",
    )

    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def set(
        self, which: Any = "all", line_style: Any = None, weight: Any = None, color: Any = None
    ):
        sides = [which] if isinstance(which, str) else list(which)
        for side in sides:
            if side not in self.SIDES:
                raise ValueError(f"Invalid border side {side!r}")

        for row, column, rows, columns in self.rng.areas:
            for r in range(row, row + rows):
                top = (r == row and "edge_top" in sides) or (
                    r > row and "inside_horizontal" in sides
                )
                if top:
                    for c in range(column, column + columns):
                        self.rng.sheet.style((r, c))["top_border"] = (
                            line_style,
                            weight,
                            _rgb(color) if color is not None else None,
                        )


class FakeDataValidation:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def set_list(self, source: Any, *, in_cell_dropdown: bool = True) -> None:
        if isinstance(source, FakeRange):
            if source.sheet.book is not self.rng.sheet.book:
                raise ValueError("source must belong to the same workbook as the target")
            if source.shape[0] != 1 and source.shape[1] != 1:
                raise ValueError("a list validation source Range must be one-dimensional")
            rule: Any = ("range", source.sheet.name, source.address)
        else:
            if isinstance(source, str | bytes) or not source:
                raise ValueError("source must be a non-empty sequence, Range, or Name")
            values = [str(v) for v in source]
            if any("," in v or ";" in v for v in values):
                raise ValueError("literal list values cannot contain ',' or ';'")
            if len(",".join(values)) > 255:
                raise ValueError("a literal list source cannot exceed 255 characters")
            rule = ("list", tuple(values))
        for cell in self.rng.cell_list():
            self.rng.sheet.validations[cell] = rule

    def delete(self) -> None:
        for cell in self.rng.cell_list():
            self.rng.sheet.validations.pop(cell, None)


class FakeConditionalFormats:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def add_cell_value(
        self,
        operator: str,
        formula1: Any,
        formula2: Any = None,
        *,
        fill_color: Any = None,
        font_color: Any = None,
        font_bold: bool | None = None,
        font_italic: bool | None = None,
        stop_if_true: bool = False,
    ) -> None:
        if operator not in CF_OPERATORS:
            raise ValueError(f"Invalid conditional-format operator {operator!r}.")
        for name, value in (("formula1", formula1), ("formula2", formula2)):
            if value is not None and (value == "" or isinstance(value, bool)):
                raise ValueError(f"{name} must be a non-empty string or a finite number.")
        between = operator in ("between", "not_between")
        if between and formula2 is None:
            raise ValueError(f"formula2 is required for operator {operator!r}.")
        if not between and formula2 is not None:
            raise ValueError("formula2 is only valid for between/not_between rules.")
        self.rng.sheet.conditional_formats.append(
            {
                "cells": set(self.rng.cell_list()),
                "operator": operator,
                "formulas": (str(formula1), None if formula2 is None else str(formula2)),
                "fill": None if fill_color is None else _rgb(fill_color),
                "font": None if font_color is None else _rgb(font_color),
                "bold": font_bold,
            }
        )

    def clear(self) -> None:
        cells = set(self.rng.cell_list())
        self.rng.sheet.conditional_formats = [
            rule for rule in self.rng.sheet.conditional_formats if not rule["cells"] & cells
        ]


class _Validation:
    ErrorMessage = ""


class _EntireRow:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def ClearOutline(self) -> None:
        for row in self.rng.row_numbers():
            self.rng.sheet.outline.pop(row, None)


class FakeRangeApi:
    """The COM Range (Windows): Locked, OutlineLevel, EntireRow.ClearOutline(), Validation."""

    def __init__(self, rng: FakeRange) -> None:
        self.__dict__["rng"] = rng
        self.__dict__["Validation"] = _Validation()
        self.__dict__["EntireRow"] = _EntireRow(rng)

    def __setattr__(self, name: str, value: Any) -> None:
        rng = self.rng
        if name == "Locked":
            for cell in rng.cell_list():
                rng.sheet.style(cell)["locked"] = bool(value)
        elif name == "OutlineLevel":
            if not 1 <= int(value) <= 8:
                raise ValueError("OutlineLevel is 1 to 8")
            for row in rng.row_numbers():
                rng.sheet.outline[row] = int(value)
        else:
            raise AttributeError(f"the fake COM Range has no settable {name!r}")


class FakeMacRangeApi:
    """An appscript reference: COM names fail, read or set."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"Unknown property, element or command: {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Unknown property, element or command: {name!r}")


class FakeRange:
    def __init__(
        self,
        sheet: FakeSheet,
        row: int,
        column: int,
        rows: int = 1,
        columns: int = 1,
        areas: list[tuple[int, int, int, int]] | None = None,
        ndim: int | None = None,
    ):
        self.sheet = sheet
        self.areas = areas or [(row, column, rows, columns)]
        self._ndim = ndim

    # -- geometry ------------------------------------------------------------------------

    @property
    def row(self) -> int:
        return self.areas[0][0]

    @property
    def column(self) -> int:
        return self.areas[0][1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.areas[0][2], self.areas[0][3]

    @property
    def rows(self) -> FakeRangeRows:
        return FakeRangeRows(self)

    @property
    def columns(self) -> FakeRangeColumns:
        return FakeRangeColumns(self)

    @property
    def address(self) -> str:
        """ "$A$1:$C$3"; the areas of a multi-area range joined by commas, as Excel does."""
        parts = []
        for row, column, rows, columns in self.areas:
            first = f"${get_column_letter(column)}${row}"
            if rows == 1 and columns == 1:
                parts.append(first)
            else:
                last = f"${get_column_letter(column + columns - 1)}${row + rows - 1}"
                parts.append(f"{first}:{last}")
        return ",".join(parts)

    @property
    def last_cell(self) -> FakeRange:
        row, column, rows, columns = self.areas[0]
        return FakeRange(self.sheet, row + rows - 1, column + columns - 1)

    def row_numbers(self) -> list[int]:
        return sorted({r for r, _, n, _ in self.areas for r in range(r, r + n)})

    def column_numbers(self) -> list[int]:
        return sorted({c for _, c, _, n in self.areas for c in range(c, c + n)})

    def cell_list(self) -> list[tuple[int, int]]:
        cells = []
        for row, column, rows, columns in self.areas:
            if columns == 16384:  # entire rows: the cells in use on them
                used = {c for (r, c) in self.sheet.touched() if row <= r < row + rows}
                cells += [(r, c) for r in range(row, row + rows) for c in sorted(used)]
                continue
            cells += [
                (r, c) for r in range(row, row + rows) for c in range(column, column + columns)
            ]
        return cells

    def options(self, ndim: int | None = None, **_: Any) -> FakeRange:
        return FakeRange(self.sheet, 0, 0, areas=self.areas, ndim=ndim)

    def resize(self, rows: int, columns: int) -> FakeRange:
        return FakeRange(self.sheet, self.row, self.column, rows, columns)

    # -- values --------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        row, column, rows, columns = self.areas[0]
        block = [
            [self.sheet.cells.get((r, c)) for c in range(column, column + columns)]
            for r in range(row, row + rows)
        ]
        if self._ndim == 2:
            return block
        if rows == 1 and columns == 1:
            return block[0][0]
        if rows == 1:
            return block[0]
        if columns == 1:
            return [line[0] for line in block]
        return block

    @value.setter
    def value(self, data: Any) -> None:
        if self.sheet.protected:
            raise RuntimeError("Excel refuses to write to a protected sheet")
        if isinstance(data, list | tuple):
            block = (
                [list(line) for line in data]
                if data and isinstance(data[0], list | tuple)
                else [list(data)]
            )
        else:  # a scalar fills every cell of the range
            rows, columns = self.shape
            block = [[data] * columns for _ in range(rows)]
        for i, line in enumerate(block):
            for j, v in enumerate(line):
                self.sheet.put((self.row + i, self.column + j), v)

    def clear_contents(self) -> None:
        for cell in self.cell_list():
            self.sheet.cells.pop(cell, None)
            self.sheet.formulas.pop(cell, None)

    def clear(self) -> None:
        """Contents and formats (Excel's Range.Clear)."""
        for cell in self.cell_list():
            self.sheet.cells.pop(cell, None)
            self.sheet.formulas.pop(cell, None)
            self.sheet.styles.pop(cell, None)

    # -- formats -------------------------------------------------------------------------

    def _set(self, key: str, value: Any) -> None:
        for cell in self.cell_list():
            self.sheet.style(cell)[key] = value

    def _get(self, key: str) -> Any:
        return self.sheet.styles.get((self.row, self.column), {}).get(key)

    @property
    def number_format(self) -> str:
        return self._get("number_format") or "General"

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._set("number_format", value)

    @property
    def color(self) -> tuple[int, int, int] | None:
        return self._get("fill")

    @color.setter
    def color(self, value: Any) -> None:
        self._set("fill", None if value is None else _rgb(value))

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    @property
    def borders(self) -> FakeBorders:
        return FakeBorders(self)

    @property
    def data_validation(self) -> FakeDataValidation:
        return FakeDataValidation(self)

    @property
    def conditional_formats(self) -> FakeConditionalFormats:
        return FakeConditionalFormats(self)

    @property
    def horizontal_alignment(self) -> str | None:
        return self._get("horizontal")

    @horizontal_alignment.setter
    def horizontal_alignment(self, value: str) -> None:
        if value not in HORIZONTAL:
            raise ValueError(f"Invalid horizontal alignment {value!r}")
        self._set("horizontal", value)

    @property
    def vertical_alignment(self) -> str | None:
        return self._get("vertical")

    @vertical_alignment.setter
    def vertical_alignment(self, value: str) -> None:
        if value not in VERTICAL:
            raise ValueError(f"Invalid vertical alignment {value!r}")
        self._set("vertical", value)

    @property
    def wrap_text(self) -> bool | None:
        return self._get("wrap")

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self._set("wrap", bool(value))

    @property
    def column_width(self) -> float | None:
        return self.sheet.column_widths.get(self.column)

    @column_width.setter
    def column_width(self, value: float) -> None:
        if not 0 <= value <= 255:
            raise ValueError("column_width must be between 0 and 255 characters")
        for column in self.column_numbers():
            self.sheet.column_widths[column] = value

    @property
    def row_height(self) -> float | None:
        return self.sheet.row_heights.get(self.row)

    @row_height.setter
    def row_height(self, value: float) -> None:
        for row in self.row_numbers():
            self.sheet.row_heights[row] = value

    @property
    def api(self) -> Any:
        return FakeMacRangeApi() if self.sheet.mac else FakeRangeApi(self)


class FakeTable:
    def __init__(self, name: str, sheet: FakeSheet, rng: FakeRange):
        self.name, self.sheet, self.range = name, sheet, rng

    @property
    def data_body_range(self) -> FakeRange | None:
        rows, columns = self.range.shape
        if rows < 2:
            return None
        return FakeRange(self.sheet, self.range.row + 1, self.range.column, rows - 1, columns)

    def resize(self, rng: FakeRange) -> None:
        self.range = rng


class _Tab:
    Color: int | None = None


class _Outline:
    SummaryRow = 1  # xlSummaryBelow, Excel's default


class FakeApi:
    """The COM Worksheet (Windows): ProtectContents, Unprotect(), Protect(...), Tab, Outline."""

    def __init__(self, protected: bool):
        self.ProtectContents = protected
        self.protect_options: dict[str, Any] = {}
        self.Tab = _Tab()
        self.Outline = _Outline()

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

    def __getattr__(self, name: str) -> Any:  # ProtectContents, Tab, Outline, ...
        raise AttributeError(f"Unknown property, element or command: {name!r}")

    def unprotect(self) -> None:
        self.state = False

    def protect_worksheet(self, **options: Any) -> None:
        self.state = True
        self.protect_options = options


class FakeChart:
    def __init__(
        self,
        charts: FakeCharts,
        name: str,
        chart_type: str | None,
        source: FakeRange | None,
        anchor: Any,
    ):
        self.charts, self.name, self.chart_type, self.anchor = charts, name, chart_type, anchor
        self.source: str | None = None
        self.source_sheet: str | None = None
        if source is not None:
            self.set_source_data(source)
        self.title: str | None = None

    def set_source_data(self, source: FakeRange) -> None:
        self.source, self.source_sheet = source.address, source.sheet.name

    def delete(self) -> None:
        self.charts.items.remove(self)


class FakeCharts:
    def __init__(self, sheet: FakeSheet) -> None:
        self.sheet = sheet
        self.items: list[FakeChart] = []

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name: str) -> bool:
        return any(c.name == name for c in self.items)

    def add(
        self,
        left: float = 0,
        top: float = 0,
        width: float = 355,
        height: float = 211,
        chart_type: str | None = None,
        source: FakeRange | None = None,
        plot_by: str | None = None,
        name: str | None = None,
        anchor: FakeRange | None = None,
        style: int | None = 227,
    ) -> FakeChart:
        if anchor and (top or left):
            raise ValueError("You must either provide 'anchor' or 'top'/'left', but not both.")
        if plot_by is not None and source is None:
            raise ValueError("'plot_by' requires 'source'.")
        if name and name in self:
            raise ShapeAlreadyExists(f"'{name}' is already present on {self.sheet.name}.")
        if chart_type is not None and chart_type not in CHART_TYPES:
            raise ValueError(f"Invalid chart type {chart_type!r}")
        chart = FakeChart(self, name or f"Chart {len(self.items) + 1}", chart_type, source, anchor)
        self.items.append(chart)
        return chart


class FakePageSetup:
    def __init__(self) -> None:
        self.print_area: str | None = None


class FakeSheet:
    def __init__(self, name: str, protected: bool, mac: bool = False, book: Any = None):
        self.name = name
        self.book = book
        self.mac = mac
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.styles: dict[tuple[int, int], dict[str, Any]] = {}
        self.validations: dict[tuple[int, int], Any] = {}
        self.conditional_formats: list[dict[str, Any]] = []
        self.column_widths: dict[int, float] = {}
        self.row_heights: dict[int, float] = {}
        self.hidden_rows: set[int] = set()
        self.hidden_columns: set[int] = set()
        self.outline: dict[int, int] = {}  # Excel's OutlineLevel (1: not grouped)
        self.freeze: tuple[int, int] | None = None  # the first cell that scrolls
        self.show_gridlines = True
        self.page_setup = FakePageSetup()
        self.charts = FakeCharts(self)
        self.tables: list[FakeTable] = []
        self.api: Any = FakeMacApi(protected) if mac else FakeApi(protected)

    @property
    def protected(self) -> bool:
        api = self.api
        return bool(api.state if isinstance(api, FakeMacApi) else api.ProtectContents)

    def style(self, cell: tuple[int, int]) -> dict[str, Any]:
        return self.styles.setdefault(cell, {})

    def touched(self) -> set[tuple[int, int]]:
        return set(self.cells) | set(self.formulas) | set(self.styles)

    def put(self, cell: tuple[int, int], v: Any) -> None:
        """One cell written as Excel takes it from xlwings."""
        self.formulas.pop(cell, None)
        if isinstance(v, str) and v.startswith("'"):
            v = v[1:]  # Excel keeps the text and hides the apostrophe
        elif isinstance(v, str) and v.startswith("="):
            if self.name not in VIEW_FORMULA_TABS and v != contract_formula(self.name, *cell):
                raise AssertionError(f"the port wrote a live formula: {v}")
            # Excel shows the formula's result, which the fake cannot compute (None).
            self.formulas[cell] = v
            v = None
        elif isinstance(v, bool):
            pass
        elif isinstance(v, int | float):
            v = float(v)  # Excel holds every number as a double
        elif isinstance(v, date) and not isinstance(v, datetime):
            v = datetime(v.year, v.month, v.day)
        elif isinstance(v, str) and v == "":
            v = None  # an empty string leaves the cell empty
        if v is None:
            self.cells.pop(cell, None)
        else:
            self.cells[cell] = v

    def range(self, cell1: Any, cell2: Any = None) -> FakeRange:
        if isinstance(cell1, FakeRange):
            cell1 = (cell1.row, cell1.column)
        if isinstance(cell2, FakeRange):
            cell2 = (cell2.last_cell.row, cell2.last_cell.column)
        if isinstance(cell1, str):
            return FakeRange(self, 0, 0, areas=_parse(cell1))
        if cell2 is None:
            return FakeRange(self, cell1[0], cell1[1])
        (r1, c1), (r2, c2) = cell1, cell2
        return FakeRange(self, min(r1, r2), min(c1, c2), abs(r2 - r1) + 1, abs(c2 - c1) + 1)

    @property
    def used_range(self) -> FakeRange:
        """Excel's UsedRange: every cell holding a value or a format; A1 on an empty sheet."""
        used = self.touched()
        if not used:
            return FakeRange(self, 1, 1)
        rows = [r for r, _ in used]
        columns = [c for _, c in used]
        top, left = min(rows), min(columns)
        return FakeRange(self, top, left, max(rows) - top + 1, max(columns) - left + 1)

    def activate(self) -> None:
        self.book.active_sheet = self


class FakeSheets:
    """`book.sheets`: iterable, sized, indexed by position or name; `add` and `active`."""

    def __init__(self, book: FakeBook, sheets: list[FakeSheet]) -> None:
        self.book = book
        self.items = sheets
        for sheet in sheets:
            sheet.book = book

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self.items[key]
        found = next((s for s in self.items if s.name.lower() == key.lower()), None)
        if found is None:  # COM: "Subscript out of range"
            raise KeyError(key)
        return found

    @property
    def active(self) -> FakeSheet:
        return self.book.active_sheet or self.items[0]

    def add(
        self,
        name: str | None = None,
        before: FakeSheet | None = None,
        after: FakeSheet | None = None,
    ) -> FakeSheet:
        if name is not None and name.lower() in (s.name.lower() for s in self.items):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        mac = bool(self.items and self.items[0].mac)
        sheet = FakeSheet(name or f"Sheet{len(self.items) + 1}", False, mac=mac, book=self.book)
        if before is not None:
            self.items.insert(self.items.index(before), sheet)
        elif after is not None:
            self.items.insert(self.items.index(after) + 1, sheet)
        else:  # Excel adds before the active sheet
            self.items.insert(self.items.index(self.active), sheet)
        self.book.active_sheet = sheet  # the new sheet becomes the active one
        return sheet


class FakeName:
    def __init__(self, name: str, refers_to: str) -> None:
        self.name, self.refers_to = name, refers_to


class FakeNames:
    def __init__(self) -> None:
        self.items: dict[str, FakeName] = {}

    def add(self, name: str, refers_to: str) -> FakeName:
        # COM Names.Add replaces a name of the same spelling (case-insensitive).
        self.items[name.lower()] = FakeName(name, refers_to)
        return self.items[name.lower()]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.items

    def __getitem__(self, name: str) -> FakeName:
        return self.items[name.lower()]


class FakeBooks:
    """`app.books`: the open workbooks, the last opened one active."""

    def __init__(self, app: FakeApp) -> None:
        self.app = app
        self.open: list[FakeBook] = []

    @property
    def active(self) -> FakeBook:
        return self.open[-1] if self.open else FakeBook.no_workbook(self.app)


class _Window:
    """COM's ActiveWindow: freezing applies to the active sheet of the active book."""

    def __init__(self, app: FakeApp) -> None:
        self.__dict__.update(app=app, FreezePanes=False, SplitRow=0, SplitColumn=0)
        self.__dict__.update(ScrollRow=1, ScrollColumn=1)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value
        if name == "FreezePanes":
            sheet = self.app.books.active.sheets.active
            sheet.freeze = (self.SplitRow + 1, self.SplitColumn + 1) if value else None


class _AppApi:
    def __init__(self, app: FakeApp) -> None:
        self.ActiveWindow = _Window(app)


class FakeApp:
    def __init__(self) -> None:
        self.status_bar: Any = False
        self.history: list[Any] = []
        self.alerts: list[tuple[str | None, str]] = []
        self.screen_updating = True
        self.books = FakeBooks(self)
        self.api = _AppApi(self)

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
        self.active_sheet: FakeSheet | None = None
        self.sheets = FakeSheets(self, sheets)
        self.names = FakeNames()
        self.app = app or FakeApp()
        self._name = name
        self._fullname = f"{folder}{separator}{name}"
        self._open = True
        self.app.books.open.append(self)

    @classmethod
    def no_workbook(cls, app: FakeApp) -> FakeBook:
        """What xlwings' books.active returns with no workbook open."""
        book = cls.__new__(cls)
        book.active_sheet = None
        book.sheets, book.app, book._open = FakeSheets(book, []), app, False
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
    Excel reports a saved workbook's. The file's active sheet is the book's.
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
    book = FakeBook(sheets, name or path.name, app, str(path.parent), "/")
    book.active_sheet = book.sheets[wb.active.title] if wb.active is not None else None
    return book
