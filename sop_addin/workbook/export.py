"""CSV exports of output tables (for ERP upload), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.contract import CONTRACT, ColumnType
from sop_addin.workbook.atomic import atomic_write_text
from sop_addin.workbook.codec import frame_to_block

# A spreadsheet opening the CSV would run these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: Any, column_type: ColumnType) -> Any:
    if value is None:
        return ""
    if column_type is ColumnType.MONTH:
        return pd.Timestamp(value).strftime("%Y-%m")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(frames: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write each frame as <out_dir>/<table>.csv with the contract's columns; return the paths."""
    out_dir = Path(out_dir)
    written = []
    for name, frame in frames.items():
        table = CONTRACT.table(name)
        block = frame_to_block(frame, table, labels=False)
        buffer = io.StringIO()
        # RFC 4180 line ends; with them csv quotes any field holding a CR or LF.
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(block[0])
        types = [c.type for c in table.columns]
        for row in block[1:]:
            writer.writerow([csv_cell(v, t) for v, t in zip(row, types, strict=True)])
        target = out_dir / f"{name}.csv"
        atomic_write_text(target, buffer.getvalue())
        written.append(target)
    return written
