"""Create a working S&OP workbook: the template, optionally filled with tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sop_addin.contract import CONTRACT, Role
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import write_input_table
from sop_addin.workbook.template import build_workbook


def create_workbook(path: Path, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write a new workbook at `path` (atomically), its input tables filled from `tables`."""
    port = FilePort(build_workbook(), Path(path))
    for name, frame in (tables or {}).items():
        if CONTRACT.table(name).role is Role.OUTPUT:
            msg = f"{name} is an output table; a new workbook is filled with inputs only"
            raise ValueError(msg)
        write_input_table(port, name, frame)
    return port.save()
