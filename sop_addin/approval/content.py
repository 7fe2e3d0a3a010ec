"""A content hash over a workbook's cell values, and per-row / per-column digests.

The hash depends only on sheet names, cell positions and typed values, never on the zip
container, styles or timestamps, so a workbook saved again unchanged keeps its hash. The
row and column digests let `sop verify` name the cell that changed: a changed cell shows up
as one row digest and one column digest that differ.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

SHORT = 16  # hex characters kept of each row/column digest: 64 bits, plenty to spot a change


def normalise(value: Any) -> str | None:
    """One canonical text per typed value; None for an empty cell.

    Whole numbers and floats hash alike (Excel stores 5 and 5.0 the same way) and numbers
    count to 15 significant digits (Excel's precision; LibreOffice saves no more), so a
    spreadsheet saving the file again keeps the hash. A date keeps its calendar meaning
    whatever the number format.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return f"b:{int(value)}"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return "n:nan"
        # 15 significant digits: Excel's precision, and what LibreOffice writes back.
        return f"n:{(number or 0.0):.15g}"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return f"d:{value.date().isoformat()}"
        return f"d:{value.isoformat()}"
    if isinstance(value, date):
        return f"d:{value.isoformat()}"
    if isinstance(value, time | timedelta):
        return f"t:{value}"
    return f"s:{value}"


@dataclass
class SheetDigest:
    """Digests of one sheet: the whole, each row and each column (only non-empty ones)."""

    name: str
    digest: str
    cells: int
    rows: dict[int, str] = field(default_factory=dict)
    columns: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "cells": self.cells,
            "rows": {str(k): v for k, v in self.rows.items()},
            "columns": {str(k): v for k, v in self.columns.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SheetDigest:
        return cls(
            name=data["name"],
            digest=data["digest"],
            cells=int(data["cells"]),
            rows={int(k): v for k, v in data["rows"].items()},
            columns={int(k): v for k, v in data["columns"].items()},
        )


def sheet_digest(name: str, values: list[tuple[int, int, str]]) -> SheetDigest:
    """Digests of a sheet from its non-empty cells (row, column, normalised value)."""
    whole = hashlib.sha256(f"sheet\x00{name}\x00".encode())
    rows: dict[int, Any] = {}
    columns: dict[int, Any] = {}
    for row, col, text in sorted(values):
        item = f"{row}\x00{col}\x00{text}\x01".encode()
        whole.update(item)
        rows.setdefault(row, hashlib.sha256()).update(item)
        columns.setdefault(col, hashlib.sha256()).update(item)
    return SheetDigest(
        name=name,
        digest=whole.hexdigest(),
        cells=len(values),
        rows={r: h.hexdigest()[:SHORT] for r, h in rows.items()},
        columns={c: h.hexdigest()[:SHORT] for c, h in columns.items()},
    )


def workbook_digests(wb: Workbook) -> list[SheetDigest]:
    """One digest per worksheet, in the workbook's order."""
    digests = []
    for ws in wb.worksheets:
        values: list[tuple[int, int, str]] = []
        # The cells that exist, not the used rectangle: tables of different lengths side by
        # side leave most of the rectangle empty, and iterating it costs seconds.
        for (row, col), cell in ws._cells.items():
            text = normalise(cell.value)
            if text is not None:
                values.append((row, col, text))
        digests.append(sheet_digest(ws.title, values))
    return digests


def content_hash(digests: list[SheetDigest]) -> str:
    """SHA-256 over the sheets' names and digests, in order."""
    whole = hashlib.sha256(b"sop-addin content v1\x00")
    for sheet in digests:
        whole.update(f"{sheet.name}\x00{sheet.digest}\x00".encode())
    return whole.hexdigest()


def changed_cells(expected: SheetDigest, actual: SheetDigest, limit: int = 20) -> list[str]:
    """The cells (A1 references) whose value differs: rows that differ x columns that differ."""
    rows = sorted(
        r
        for r in set(expected.rows) | set(actual.rows)
        if expected.rows.get(r) != actual.rows.get(r)
    )
    cols = sorted(
        c
        for c in set(expected.columns) | set(actual.columns)
        if expected.columns.get(c) != actual.columns.get(c)
    )
    cells = [f"{get_column_letter(c)}{r}" for r in rows for c in cols]
    return cells[:limit]
