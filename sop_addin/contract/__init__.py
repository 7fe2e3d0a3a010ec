"""The workbook contract: every tab, table, column, type, unit and role, defined once as data.

The CSV files in this folder are the single source; the template builder, the readers and
writers, the validation messages and the exports all read them through `CONTRACT`.
"""

from sop_addin.contract.load import load_contract
from sop_addin.contract.model import (
    Column,
    ColumnType,
    Grid,
    KeyFigure,
    Role,
    Setting,
    Tab,
    Table,
    WorkbookContract,
)

CONTRACT = load_contract()

__all__ = [
    "CONTRACT",
    "Column",
    "ColumnType",
    "Grid",
    "KeyFigure",
    "Role",
    "Setting",
    "Tab",
    "Table",
    "WorkbookContract",
    "load_contract",
]
