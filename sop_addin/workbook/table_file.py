"""One contract table from a CSV or .xlsx file (actuals exported from an ERP), validated.

Every problem names the file, the table, the row (CSV line or Excel row) and the column.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.contract import CONTRACT, ColumnType
from sop_addin.contract.cells import CellError, convert_cell
from sop_addin.contract.problems import ValidationError
from sop_addin.contract.validation import check_table
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.file_port import FilePort, WorkbookOpenError
from sop_addin.workbook.port import TableNotFound

MAX_CSV_BYTES = 200 * 1024 * 1024


def _lenient(value: str, column_type: ColumnType) -> Any:
    """CSV cells are all text: read numbers and months as such, keep the rest for the report."""
    text = value.strip()
    if not text:
        return None
    if column_type is ColumnType.TEXT:
        return text
    try:
        return convert_cell(text, column_type, strict=False)
    except CellError:
        return text  # block_to_frame reports it with its row and column


def _csv_block(path: Path, table_name: str) -> list[list[Any]]:
    if path.stat().st_size > MAX_CSV_BYTES:
        msg = f"{path.name} is larger than {MAX_CSV_BYTES:,} bytes"
        raise WorkbookOpenError(msg)
    table = CONTRACT.table(table_name)
    types = {c.name: c.type for c in table.columns}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        msg = f"{path.name} is not UTF-8 text: save it as CSV UTF-8 ({exc})"
        raise WorkbookOpenError(msg) from exc
    except csv.Error as exc:
        msg = f"{path.name} is not a readable CSV file: {exc}"
        raise WorkbookOpenError(msg) from exc
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    column_types = [types.get(h, ColumnType.TEXT) for h in header]
    body = [[_lenient(v, t) for v, t in zip(row, column_types, strict=False)] for row in rows[1:]]
    return [header, *body]


def _xlsx_block(path: Path, table_name: str) -> tuple[list[list[Any]], int]:
    port = FilePort.open(path)
    try:
        _, header_row = port.table_location(table_name)
        return port.read_block(table_name), header_row
    except TableNotFound:
        pass
    ws = port.workbook.worksheets[0]  # a plain sheet: the header in row 1
    block = [list(row) for row in ws.iter_rows(values_only=True)]
    return block, 1


def read_table_file(path: Path, table_name: str) -> pd.DataFrame:
    """The table read from `path` (.csv, or .xlsx with an Excel table of that name or the
    header in row 1 of the first sheet); ValidationError listing every problem."""
    path = Path(path)
    if not path.is_file():
        msg = f"file not found: {path}"
        raise WorkbookOpenError(msg)
    table = CONTRACT.table(table_name)
    if path.suffix.lower() == ".csv":
        block, header_row = _csv_block(path, table_name), 1
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        block, header_row = _xlsx_block(path, table_name)
    else:
        msg = f"{path.name}: actuals must be a .csv or .xlsx file"
        raise WorkbookOpenError(msg)
    frame, problems = block_to_frame(block, table, header_row)
    unreadable = {(p.row, p.column) for p in problems}
    problems += [p for p in check_table(frame, table) if (p.row, p.column) not in unreadable]
    if problems:
        raise ValidationError([p.model_copy(update={"tab": path.name}) for p in problems])
    return frame  # indexed by CSV line / Excel row, for later messages
