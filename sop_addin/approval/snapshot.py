"""Locked workbooks built from table values: the approved snapshot and the department copies.

The workbook is new (openpyxl `Workbook()`), so it holds no formulas, external links or
macros by construction; every value is written as data (text that looks like a formula stays
text). Tables keep the contract's tabs and names, so the file port reads a snapshot like any
working workbook. Every sheet is protected with one random password's SHA-512 hash (the
password is discarded: an approved plan is never edited, a change is a new version) and the
workbook structure is locked.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.approval.protection import PasswordHash, hash_password, lock_structure, protect_sheet
from sop_addin.contract import CONTRACT, Column
from sop_addin.workbook.atomic import atomic_write
from sop_addin.workbook.charts import add_exec_view
from sop_addin.workbook.codec import FormulaWithoutValue
from sop_addin.workbook.file_port import set_cell
from sop_addin.workbook.layout import (
    FIRST_DATA_ROW,
    GAP_COLUMNS,
    HEADER_ROW,
    TITLE_ROW,
    number_format,
    title_text,
)
from sop_addin.workbook.port import TableNotFound, WorkbookPort

COVER_SHEET = "Approval"
_FILL = PatternFill("solid", fgColor="EDEDED")
_HEADER = NamedStyle(
    name="Snapshot header",
    font=Font(bold=True, color="FFFFFF"),
    fill=PatternFill("solid", fgColor="1F4E78"),
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    protection=Protection(locked=True),
)
_TITLE = NamedStyle(name="Snapshot title", font=Font(bold=True, size=12, color="1F4E78"))


@dataclass
class TableValues:
    """One table's header and body as values, read from a workbook."""

    name: str
    block: list[list[Any]]
    blanked_formulas: int = 0


@dataclass
class LockedWorkbook:
    """A built, protected workbook and what went into it."""

    workbook: Workbook
    protection: PasswordHash
    tables: list[str] = field(default_factory=list)
    blanked_formulas: dict[str, int] = field(default_factory=dict)


def read_table_values(port: WorkbookPort, names: Sequence[str]) -> list[TableValues]:
    """Tables as plain values; a formula without a saved value becomes a blank (counted).

    A workbook written by openpyxl has no computed values for its formula columns until a
    spreadsheet recalculates it; the snapshot keeps values only, so such cells stay empty and
    the cover sheet says how many.
    """
    result = []
    for name in names:
        try:
            block = port.read_block(name)
        except TableNotFound:
            continue
        blanked = 0
        clean: list[list[Any]] = []
        for row in block:
            values = []
            for value in row:
                if isinstance(value, FormulaWithoutValue):
                    blanked += 1
                    value = None
                values.append(value)
            clean.append(values)
        result.append(TableValues(name, clean, blanked))
    return result


def _data_style(col: Column | None) -> str:
    # One style per number format (units, money and hours differ within the number type).
    return f"Snapshot {number_format(col) if col else 'general'}"


def _register_styles(wb: Workbook) -> None:
    wb.add_named_style(_HEADER)
    wb.add_named_style(_TITLE)
    seen = set()
    for table in CONTRACT.tables.values():
        for col in table.columns:
            name = _data_style(col)
            if name in seen:
                continue
            seen.add(name)
            wb.add_named_style(
                NamedStyle(
                    name=name,
                    number_format=number_format(col),
                    fill=_FILL,
                    protection=Protection(locked=True),
                )
            )
    wb.add_named_style(NamedStyle(name=_data_style(None), protection=Protection(locked=True)))


def _write_table(ws: Worksheet, first_col: int, values: TableValues) -> int:
    """Write one table at `first_col`; return the column after it (with the gap)."""
    spec = CONTRACT.tables.get(values.name)
    header = [str(h) if h is not None else "" for h in values.block[0]]
    width = len(header)
    # Headers are labels ("Month") or, in older workbooks, names ("month"): match either.
    columns: dict[str, Column | None] = {
        h: spec.column_for_header(h) if spec else None for h in header
    }
    styles = [_data_style(columns.get(h)) for h in header]
    title = ws.cell(TITLE_ROW, first_col)
    set_cell(title, title_text(spec) if spec else values.name)
    title.style = _TITLE.name
    for index, name in enumerate(header):
        cell = ws.cell(HEADER_ROW, first_col + index)
        set_cell(cell, name)
        cell.style = _HEADER.name
        col = columns.get(name)
        width_chars = (col.width if col else 12) + 2
        ws.column_dimensions[get_column_letter(first_col + index)].width = width_chars
    body = values.block[1:] or [[None] * width]  # an Excel table needs one body row
    for offset, row in enumerate(body):
        for index in range(width):
            cell = ws.cell(FIRST_DATA_ROW + offset, first_col + index)
            set_cell(cell, row[index] if index < len(row) else None)
            cell.style = styles[index]
    last_row = FIRST_DATA_ROW + len(body) - 1
    last_col = first_col + width - 1
    ref = f"{get_column_letter(first_col)}{HEADER_ROW}:{get_column_letter(last_col)}{last_row}"
    table = ExcelTable(displayName=values.name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(table)
    return last_col + 1 + GAP_COLUMNS


def _write_cover(ws: Worksheet, cover: Sequence[tuple[str, Any]]) -> None:
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 60
    for row, item in enumerate(cover, start=1):
        for col, value in enumerate(item, start=1):
            cell = ws.cell(row, col)
            set_cell(cell, value)
            cell.protection = Protection(locked=True)
            if col == 1:
                cell.font = Font(bold=True)
    ws.cell(1, 1).font = Font(bold=True, size=14, color="1F4E78")


def build_locked_workbook(
    cover: Sequence[tuple[Any, ...]], tables: Sequence[TableValues]
) -> LockedWorkbook:
    """A new workbook: the cover sheet, then each table on its contract tab; all locked."""
    wb = Workbook()
    _register_styles(wb)
    cover_ws = wb.active
    assert cover_ws is not None
    cover_ws.title = COVER_SHEET
    _write_cover(cover_ws, cover)
    sheets: dict[str, Worksheet] = {}
    next_col: dict[str, int] = {}
    by_name = {t.name: t for t in tables}
    for table in CONTRACT.tables.values():  # contract order: tabs and tables as in the template
        values = by_name.pop(table.name, None)
        if values is None or not values.block:
            continue
        if table.tab not in sheets:
            sheets[table.tab] = wb.create_sheet(table.tab)
            sheets[table.tab].freeze_panes = sheets[table.tab].cell(FIRST_DATA_ROW, 1).coordinate
            next_col[table.tab] = 1
        next_col[table.tab] = _write_table(sheets[table.tab], next_col[table.tab], values)
    if by_name:
        msg = f"tables not in the workbook contract: {', '.join(sorted(by_name))}"
        raise ValueError(msg)
    add_exec_view(wb)  # the Exec page (tiles, checklist, charts) when the Exec tables are in
    hashed = hash_password(secrets.token_urlsafe(32))
    for ws in wb.worksheets:
        protect_sheet(ws, hashed)
    lock_structure(wb, hashed)
    wb.active = 0
    wb.properties.creator = "sop-addin"
    return LockedWorkbook(
        workbook=wb,
        protection=hashed,
        tables=[t.name for t in tables],
        blanked_formulas={t.name: t.blanked_formulas for t in tables if t.blanked_formulas},
    )


def save_workbook(locked: LockedWorkbook, target: Path) -> Path:
    """Save atomically: a crash mid-save leaves whatever was at `target` before."""
    atomic_write(target, lambda temp: locked.workbook.save(temp))
    return target
