"""The file port: the contract's tables in an .xlsx/.xlsm file, through openpyxl."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.utils import (
    column_index_from_string,
    get_column_letter,
    range_boundaries,
)
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT
from sop_addin.workbook.atomic import atomic_write, atomic_write_bytes
from sop_addin.workbook.charts import draw_exec_charts
from sop_addin.workbook.codec import Formula, FormulaWithoutValue, MergedCellValue
from sop_addin.workbook.guard import (
    DEFAULT_LIMITS,
    ReadLimits,
    WorkbookOpenError,
    check_workbook_file,
)
from sop_addin.workbook.layout import all_named_styles, older_layout, style_name
from sop_addin.workbook.package import Package
from sop_addin.workbook.package_writer import Baseline, write_package
from sop_addin.workbook.port import OccupiedCells, TableNotFound
from sop_addin.workbook.sheet_drawing import AlertRule, SheetDrawing
from sop_addin.workbook.sheet_openpyxl import render_drawing

MACRO_SUFFIXES = {".xlsm", ".xlam"}
# A formula cell with a text result: its reference and its content.
_TEXT_RESULT = re.compile(
    r'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+\d+)"[^>]*?\st="str"[^>]*>(.*?)</(?:\w+:)?c>', re.S
)
MAX_TABLE_COLUMNS = 200  # far wider than any contract table; a wider ref is a broken file

__all__ = ["FilePort", "WorkbookOpenError", "set_cell", "table_bounds"]


def _cell_text(value: str) -> str:
    # openpyxl refuses control characters that XML cannot hold; drop them so a save succeeds.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def set_cell(cell: Cell | MergedCell, value: Any) -> None:
    """Write a value as data: a string that looks like a formula stays text.

    Only a `Formula` (made from the contract's formula templates) is written as a formula.
    """
    if isinstance(value, Formula):
        cell.value = value.text
    elif isinstance(value, str):
        cell.value = _cell_text(value)
        cell.data_type = "s"  # never a formula, whatever the first character is
    else:
        cell.value = value


def _split(coordinate: str) -> tuple[int, int]:
    column, row = coordinate_from_string(coordinate)
    return row, column_index_from_string(column)


def table_bounds(ref: str) -> tuple[int, int, int, int]:
    """(min_col, min_row, max_col, max_row) of a table reference such as "A2:F40"."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except ValueError:
        min_col = None
    if min_col is None or min_row is None or max_col is None or max_row is None:
        msg = (
            f"the table reference {ref!r} is not a cell range such as A2:F40 (an open-ended "
            "reference): resize the table in Excel (Table Design > Resize Table)"
        )
        raise WorkbookOpenError(msg)
    return min_col, min_row, max_col, max_row


def view_tabs() -> set[str]:
    """The tabs the product owns wholly and redraws from the tables: the grids (grids.csv),
    the Exec page and the forecast chart tab. A save writes a redrawn one whole."""
    from sop_addin.workbook.dashboard import EXEC_TAB  # here: an import cycle
    from sop_addin.workbook.forecast_chart import FORECAST_TAB

    return {grid.tab for grid in CONTRACT.grids} | {EXEC_TAB, FORECAST_TAB}


class FilePort:
    """A workbook file loaded with openpyxl; tables are read and written in memory, then saved.

    A port opened from a file saves losslessly: only the cells and table parts the product
    changed are written into the original package (sop_addin.workbook.package_writer).
    """

    def __init__(
        self, workbook: Workbook, path: Path | None = None, original: bytes | None = None
    ) -> None:
        self.workbook = workbook
        self.path = path
        self._values_only: Workbook | None = None
        self._styles_ready = False
        self.status_messages: list[str] = []
        self._original = original
        self._baseline = Baseline.of(workbook) if original is not None else None
        self._written: dict[str, set[tuple[int, int]]] = {}
        self._cached: dict[tuple[str, int, int], Any] = {}
        self._empty: dict[str, set[str]] = {}

    @classmethod
    def open(cls, path: Path | str, limits: ReadLimits = DEFAULT_LIMITS) -> FilePort:
        """Open a workbook file through the guard; every failure is a WorkbookOpenError."""
        path = Path(path)
        if not path.is_file():
            msg = f"workbook not found: {path}"
            raise WorkbookOpenError(msg)
        check_workbook_file(path, limits)
        try:
            original = path.read_bytes()
            with warnings.catch_warnings():
                # openpyxl warns about features it drops (extensions, out-of-range dates turned
                # into errors); it never saves this model, so nothing is lost.
                warnings.simplefilter("ignore", UserWarning)
                workbook = load_workbook(
                    io.BytesIO(original), keep_vba=path.suffix.lower() in MACRO_SUFFIXES
                )
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            msg = f"cannot open {path.name} as an Excel workbook (.xlsx/.xlsm): {exc}"
            raise WorkbookOpenError(msg) from exc
        except Exception as exc:  # malformed XML deep in a part: still the user's file, not a bug
            msg = f"cannot read {path.name}: corrupt workbook ({type(exc).__name__}: {exc})"
            raise WorkbookOpenError(msg) from exc
        return cls(workbook, path, original)

    # -- the port interface --------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def _find(self, table: str) -> tuple[Worksheet, ExcelTable]:
        wanted = table.lower()  # Excel table names are case-insensitive
        for ws in self.workbook.worksheets:
            for name in ws.tables:  # TableList.items() yields refs, not tables
                if name.lower() == wanted:
                    return ws, ws.tables[name]
        msg = f"no Excel table named {table!r}"
        raise TableNotFound(msg)

    def table_location(self, table: str) -> tuple[str, int]:
        ws, tbl = self._find(table)
        _, min_row, _, _ = table_bounds(tbl.ref)
        return ws.title, min_row

    def read_block(self, table: str) -> list[list[Any]]:
        ws, tbl = self._find(table)
        min_col, min_row, max_col, max_row = table_bounds(tbl.ref)
        if max_col - min_col + 1 > MAX_TABLE_COLUMNS:
            msg = (
                f"table {table} spans {max_col - min_col + 1} columns ({tbl.ref}): corrupt workbook"
            )
            raise WorkbookOpenError(msg)
        # Only cells that exist are visited: a table ref or a stray cell far down the sheet
        # (XFD1048576) costs nothing, and no <dimension> is trusted.
        found: dict[tuple[int, int], Any] = {}
        for (row, col), cell in ws._cells.items():
            if min_row <= row <= max_row and min_col <= col <= max_col and cell.value is not None:
                if cell.data_type == "f":
                    found[(row, col)] = self._computed_value(ws.title, cell.coordinate)
                else:
                    found[(row, col)] = cell.value
        for merged in ws.merged_cells.ranges:
            for row, col in merged.cells:
                if (row, col) != (merged.min_row, merged.min_col) and (
                    min_row < row <= max_row and min_col <= col <= max_col
                ):
                    found[(row, col)] = MergedCellValue(str(merged.coord))
        last_row = max((row for row, _ in found), default=min_row)
        width = max_col - min_col + 1
        block = [[None] * width for _ in range(last_row - min_row + 1)]
        for (row, col), value in found.items():
            block[row - min_row][col - min_col] = value
        return block

    def _computed_value(self, sheet: str, coordinate: str) -> Any:
        """The value Excel saved for a formula cell, or a marker when there is none."""
        if (sheet, *_split(coordinate)) in self._cached:
            cached = self._cached[(sheet, *_split(coordinate))]
            return FormulaWithoutValue() if cached is None else cached
        if self._values_only is None:
            if self._original is None:
                return FormulaWithoutValue()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._values_only = load_workbook(
                    io.BytesIO(self._original), data_only=True, keep_links=False
                )
        value = self._values_only[sheet][coordinate].value
        if value is None and coordinate in self._empty_results(sheet):
            return ""  # the formula's saved result is empty text (e.g. IF(..., ""))
        return FormulaWithoutValue() if value is None else value

    def _empty_results(self, sheet: str) -> set[str]:
        """Formula cells whose saved result is "" (openpyxl reads them as no value at all)."""
        if sheet not in self._empty:
            found: set[str] = set()
            if self._original is not None:
                package = Package.read(self._original)
                part = package.sheet_parts().get(sheet)
                text = package.parts[part].decode("utf-8", "replace") if part else ""
                for match in _TEXT_RESULT.finditer(text):
                    if re.search(r"<(\w+:)?v\s*/>|<(\w+:)?v>\s*</", match.group(2)):
                        found.add(match.group(1))
            self._empty[sheet] = found
        return self._empty[sheet]

    def write_block(self, table: str, block: list[list[Any]]) -> None:
        ws, tbl = self._find(table)
        if not self._styles_ready:
            self.ensure_styles()
            self._styles_ready = True
        spec = CONTRACT.tables.get(tbl.displayName) or CONTRACT.table(table)
        min_col, min_row, old_max_col, old_max_row = table_bounds(tbl.ref)
        if tbl.totalsRowCount:  # its last row is the totals: rewriting it would corrupt them
            msg = (
                f"the output table {tbl.displayName} on the {ws.title} tab has a totals row: turn "
                "it off (Table Design > Total Row) and run again. Nothing was written."
            )
            raise OccupiedCells(msg)
        width = len(block[0])
        height = max(len(block), 2)  # an Excel table keeps at least one (empty) body row
        max_row = min_row + height - 1
        max_col = min_col + width - 1
        right = max(old_max_col, max_col)
        self._check_free(
            ws, tbl.displayName, (min_col, min_row, old_max_col, old_max_row), (max_col, max_row)
        )
        stale = [
            cell
            for (row, col), cell in ws._cells.items()
            if min_row + height <= row <= old_max_row and min_col <= col <= right
        ]
        written = self._written.setdefault(ws.title, set())
        for cell in stale:  # rows the table no longer covers (existing cells only)
            cell.value = None
            cell.style = "Normal"
            written.add((int(cell.row or 0), int(cell.column or 0)))
        styles = [style_name(spec.role, c) for c in spec.columns]
        for offset in range(height):
            values = block[offset] if offset < len(block) else [None] * width
            for index, value in enumerate(values):
                row, column = min_row + offset, min_col + index
                cell = ws.cell(row, column)
                set_cell(cell, value)
                written.add((row, column))
                if isinstance(value, Formula):
                    self._cached[(ws.title, row, column)] = value.cached
                if offset:
                    cell.style = styles[index] if index < len(styles) else "Normal"
        if [c.name for c in tbl.tableColumns] != [str(v) for v in block[0]]:
            tbl.tableColumns = []  # openpyxl rebuilds them from the header cells on save
        ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
        tbl.ref = ref
        if tbl.autoFilter is not None:
            tbl.autoFilter.ref = ref

    def check_block(self, table: str, block: list[list[Any]]) -> None:
        """Raise OccupiedCells if writing `block` would grow the table over someone's cells."""
        ws, tbl = self._find(table)
        min_col, min_row, old_max_col, old_max_row = table_bounds(tbl.ref)
        corner = (min_col + len(block[0]) - 1, min_row + max(len(block), 2) - 1)
        self._check_free(ws, tbl.displayName, (min_col, min_row, old_max_col, old_max_row), corner)

    def rows_below(self, table: str) -> list[int]:
        """Excel rows right below the table that hold values in its columns (up to a blank)."""
        ws, tbl = self._find(table)
        min_col, _, max_col, max_row = table_bounds(tbl.ref)
        filled = {
            row
            for (row, col), cell in ws._cells.items()
            if row > max_row
            and min_col <= col <= max_col
            and cell.value is not None
            and not (isinstance(cell.value, str) and not cell.value.strip())
        }
        found = []
        row = max_row + 1
        while row in filled:
            found.append(row)
            row += 1
        return found

    def columns_beside(self, table: str) -> list[int]:
        """Columns right beside the table with a header and data in its rows (up to a gap)."""
        ws, tbl = self._find(table)
        _, min_row, max_col, max_row = table_bounds(tbl.ref)
        others = [table_bounds(ws.tables[n].ref) for n in ws.tables if n.lower() != table.lower()]
        filled: dict[int, set[int]] = {}
        for (row, col), cell in ws._cells.items():
            inside = min_row <= row <= max_row and max_col < col <= max_col + MAX_TABLE_COLUMNS
            if inside and cell.value is not None and str(cell.value).strip():
                filled.setdefault(col, set()).add(row)
        found = []
        col = max_col + 1
        while min_row in filled.get(col, set()) and len(filled[col]) > 1:
            if any(a <= col <= c and b <= min_row <= d for a, b, c, d in others):
                break  # the next table, not stray data
            found.append(col)
            col += 1
        return found

    def _check_free(
        self,
        ws: Worksheet,
        name: str,
        old: tuple[int, int, int, int],
        new_corner: tuple[int, int],
    ) -> None:
        """Refuse to grow a table over cells it does not own: values, other tables, merges."""
        min_col, min_row, old_max_col, old_max_row = old
        max_col, max_row = new_corner
        found = [  # merged cells anywhere in the table's new extent (they cannot hold values)
            f"merged cells {merged.coord}"
            for merged in ws.merged_cells.ranges
            if merged.min_row <= max_row
            and merged.max_row >= min_row
            and merged.min_col <= max(max_col, old_max_col)
            and merged.max_col >= min_col
        ]
        if max_col <= old_max_col and max_row <= old_max_row and not found:
            return

        def grown(row: int, col: int) -> bool:
            inside = min_row <= row <= max_row and min_col <= col <= max_col
            return inside and not (row <= old_max_row and col <= old_max_col)

        for (row, col), cell in ws._cells.items():
            if grown(row, col) and cell.value is not None:
                found.append(f"{cell.coordinate} ({str(cell.value)[:40]!r})")
        for other in ws.tables:
            if other.lower() == name.lower():
                continue
            o_min_col, o_min_row, o_max_col, o_max_row = table_bounds(ws.tables[other].ref)
            if (
                o_min_row <= max_row
                and o_max_row >= min_row
                and o_min_col <= max_col
                and (o_max_col >= min_col)
            ):
                found.append(f"the table {other} ({ws.tables[other].ref})")
        if found:
            where = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            msg = (
                f"the output table {name} on the {ws.title} tab needs {where}, but {shown} "
                "would be overwritten; move them (or the table) and run again. "
                "Nothing was written."
            )
            raise OccupiedCells(msg)

    def set_status(self, message: str | None) -> None:
        if message:
            self.status_messages.append(message)

    # -- views ---------------------------------------------------------------------------

    def read_view(self, tab: str) -> list[list[Any]] | None:
        if tab not in self.workbook.sheetnames:
            return None
        ws = self.workbook[tab]
        return [list(row) for row in ws.iter_rows(values_only=True)]

    def view_holds_tables(self, tab: str) -> bool:
        return older_layout(self.workbook, tab)

    def draw_view(self, drawing: SheetDrawing) -> None:
        render_drawing(self.workbook, drawing)

    def draw_alerts(self, tab: str, rules: list[AlertRule]) -> None:
        from sop_addin.workbook.dashboard import add_table_alerts  # here: an import cycle

        add_table_alerts(self.workbook, tab, rules)

    # -- files ---------------------------------------------------------------------------

    def ensure_styles(self) -> None:
        """Register the contract's named styles (a workbook made elsewhere may lack them)."""
        present = set(self.workbook.style_names)
        for style in all_named_styles(CONTRACT):
            if style.name not in present:
                self.workbook.add_named_style(style)

    def save(self, path: Path | str | None = None) -> Path:
        """Save atomically to `path` (default: the file it was opened from)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            msg = "no path to save the workbook to"
            raise ValueError(msg)
        draw_exec_charts(self.workbook)  # openpyxl dropped them on load: draw them again
        if self._original is None or self._baseline is None:  # a new workbook: openpyxl writes all
            atomic_write(target, lambda temp: self.workbook.save(temp))
            return target
        data = write_package(
            self._original,
            self.workbook,
            self._baseline,
            self._written,
            self._cached,
            render=self._render,
            views=view_tabs(),
        )
        atomic_write_bytes(target, data)
        self._original, self._baseline = data, Baseline.of(self.workbook)
        self._written, self._cached, self._values_only, self._empty = {}, {}, None, {}
        return target

    def _render(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()
