"""The one table codec: 2-D blocks of cell values <-> typed pandas frames.

Both ports (openpyxl files and live xlwings books) only move 2-D blocks; every conversion,
type check and error message lives here so the two behave alike.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sop_addin.contract import Column, ColumnType, Table
from sop_addin.contract.cells import CellError, convert_cell
from sop_addin.contract.problems import Problem

ROW_LABEL = "_row"  # index name: the Excel row each frame row came from


class FormulaWithoutValue:
    """Marker for a formula cell whose computed value was never saved (no cached value)."""

    def __repr__(self) -> str:
        return "<formula without a saved value>"


class Formula:
    """A live formula for a cell of a designated formula column (contract/formulas.csv).

    Only sop_addin.workbook.finance_formulas creates these, from the contract's templates;
    text from a workbook or a user never becomes one, so a port writes every plain string as
    text and only a Formula as a formula.
    """

    __slots__ = ("cached", "text")

    def __init__(self, text: str, cached: Any = None) -> None:
        if not text.startswith("="):
            msg = f"a formula starts with '=', got {text[:20]!r}"
            raise ValueError(msg)
        self.text = text
        # The formula's computed result, saved with it so that a viewer that does not
        # recalculate (or an approved snapshot) shows the number; None: no saved result.
        self.cached = cached

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


class MergedCellValue:
    """Marker for a cell hidden inside a merged range (its value lives in the range's corner)."""

    def __init__(self, merged_range: str) -> None:
        self.merged_range = merged_range

    def __repr__(self) -> str:
        return f"<merged into {self.merged_range}>"


_DTYPES = {
    ColumnType.TEXT: "object",
    ColumnType.NUMBER: "float64",
    ColumnType.FRACTION: "float64",
    ColumnType.INTEGER: "Int64",
    ColumnType.MONTH: "datetime64[ns]",
}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_column(value: Any, table: Table) -> str | None:
    """The column name a header cell stands for (its label or its name), if any."""
    if value is None:
        return None
    col = table.column_for_header(str(value))
    return col.name if col else None


def _padded_code(value: Any, col: Column) -> bool:
    """A code (key or reference) with spaces around it: the reader would trim it, but the
    workbook's live formulas compare the cell as it is."""
    return (
        isinstance(value, str)
        and col.type is ColumnType.TEXT
        and bool(col.key or col.ref_targets)
        and value.strip() != value
        and bool(value.strip())
    )


def empty_frame(table: Table) -> pd.DataFrame:
    """A frame with the table's columns and dtypes and no rows."""
    frame = pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.type]) for c in table.columns})
    frame.index.name = ROW_LABEL
    return frame


def block_to_frame(
    block: list[list[Any]], table: Table, header_row: int
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a table's header + body block into a typed frame.

    Args:
        block: rows of cell values, the header first, as a port returns them.
        table: the contract table the block should hold.
        header_row: the Excel row number of the header, for error messages.

    Returns:
        The frame (indexed by Excel row number) and every problem found. Cells that
        cannot be read become missing values and are reported; nothing is guessed.
    """
    problems: list[Problem] = []

    def report(message: str, row: int | None = None, column: str | None = None) -> None:
        problems.append(
            Problem(tab=table.tab, table=table.name, row=row, column=column, message=message)
        )

    if not block:
        report("the table has no header row")
        return empty_frame(table), problems
    header = [_header_column(v, table) for v in block[0]]
    positions: dict[str, int] = {}
    absent: set[str] = set()
    for col in table.columns:
        if header.count(col.name) > 1:  # which one holds the data is anyone's guess
            where = [i for i, h in enumerate(header) if h == col.name]
            report(
                f"the header names {col.name!r} {len(where)} times (table columns "
                f"{', '.join(str(i + 1) for i in where)}): rename or delete the extra one",
                header_row,
                col.name,
            )
            continue
        if col.name in header:
            positions[col.name] = header.index(col.name)
        elif col.required:
            report(
                f"column {col.heading!r} ({col.name}) is missing from the header",
                header_row,
                col.name,
            )
        else:
            # An optional column added in a later version: older workbooks and approved
            # snapshots stay readable, the column reads as blank.
            absent.add(col.name)
    if len(positions) + len(absent) < len(table.columns) or problems:
        return empty_frame(table), problems

    data: dict[str, list[Any]] = {c.name: [] for c in table.columns}
    rows: list[int] = []
    blank_rows: list[int] = []
    for offset, raw in enumerate(block[1:], start=1):
        cells = list(raw) + [None] * (len(header) - len(raw))
        excel_row = header_row + offset
        if all(_is_blank(v) for v in cells):
            blank_rows.append(excel_row)
            continue
        rows.append(excel_row)
        for col in table.columns:
            value = cells[positions[col.name]] if col.name in positions else None
            converted: Any = None
            if isinstance(value, MergedCellValue):
                report(
                    f"merged cells ({value.merged_range}) in a table: unmerge them",
                    excel_row,
                    col.name,
                )
            elif isinstance(value, FormulaWithoutValue):
                report(
                    "formula without a saved result: recalculate and save the workbook in "
                    "Excel, or type the value",
                    excel_row,
                    col.name,
                )
            elif _padded_code(value, col):
                report(
                    f"{value!r} starts or ends with a space: Excel formulas (SUMIFS) and "
                    "lookups would not match it to the same code elsewhere; remove the space",
                    excel_row,
                    col.name,
                )
            elif not _is_blank(value):
                try:
                    converted = convert_cell(value, col.type)
                except CellError as exc:
                    report(str(exc), excel_row, col.name)
            data[col.name].append(converted)
    # A blank row between data rows is a stray (often a half-deleted line): name it. Blank
    # rows after the last data row are the ordinary empty end of an Excel table.
    last = rows[-1] if rows else header_row
    for excel_row in blank_rows:
        if excel_row < last:
            report("blank row inside the table: delete it or fill it in", excel_row)
    frame = pd.DataFrame(
        {c.name: pd.Series(data[c.name], dtype=_DTYPES[c.type]) for c in table.columns}
    )
    frame.index = pd.Index(rows, name=ROW_LABEL)
    return frame, problems


def _cell_value(value: Any, column_type: ColumnType) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    if column_type is ColumnType.MONTH:
        return pd.Timestamp(value).to_pydatetime()
    if column_type is ColumnType.TEXT:
        return str(value)
    if column_type is ColumnType.INTEGER:
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        msg = f"refusing to write the non-finite number {number} to a workbook"
        raise ValueError(msg)
    return number


def frame_to_block(frame: pd.DataFrame, table: Table, *, labels: bool = True) -> list[list[Any]]:
    """Turn a frame into a header + body block of plain Python cell values.

    The header holds the columns' labels (what a planner reads) unless `labels` is False
    (machine files such as CSV exports keep the stable column names).
    """
    missing = [c.name for c in table.columns if c.name not in frame.columns and c.required]
    if missing:
        msg = f"frame for table {table.name} lacks columns {missing}"
        raise ValueError(msg)
    blank = [None] * len(frame)  # an optional column the frame does not carry stays empty
    columns = [
        [_cell_value(v, col.type) for v in frame[col.name].tolist()]
        if col.name in frame.columns
        else blank
        for col in table.columns
    ]
    body = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return [table.headings if labels else table.column_names, *body]
