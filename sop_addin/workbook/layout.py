"""Where each table sits on its tab and how its cells look: derived from the contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import Column, ColumnType, Role, Table, WorkbookContract

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
GAP_COLUMNS = 1  # blank columns between tables side by side, so each can grow downwards

EDITABLE_COLOR = "FFF2CC"  # inputs and assumptions: pale yellow
HEADER_COLOR = "1F4E78"
EDITABLE_FILL = PatternFill("solid", fgColor=EDITABLE_COLOR)
OUTPUT_FILL = PatternFill("solid", fgColor="EDEDED")  # computed outputs: grey
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOR)


@dataclass(frozen=True)
class Placement:
    """The anchor of a table: its first column and header row."""

    table: Table
    first_column: int

    @property
    def last_column(self) -> int:
        return self.first_column + len(self.table.columns) - 1

    def column_letter(self, index: int) -> str:
        return get_column_letter(self.first_column + index)


def placements(contract: WorkbookContract, tab_name: str) -> list[Placement]:
    """Tables of a tab placed left to right with a gap column between them."""
    tab = next(t for t in contract.tabs if t.name == tab_name)
    result = []
    column = 1
    for table in tab.tables:
        result.append(Placement(table=table, first_column=column))
        column += len(table.columns) + GAP_COLUMNS
    return result


def older_layout(workbook: Workbook, view: str) -> bool:
    """True when a sheet named like a view holds tables: a workbook from before the views
    (its Demand, Supply, Finance and Exec tabs hold the tables), never to be redrawn over."""
    return view in workbook.sheetnames and bool(getattr(workbook[view], "tables", None))


def view_cell(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write a value into a view (grid, dashboard, chart tab) as data, never as a formula.

    Names come from the planner's tables: a SKU called "=cmd|..." stays text. (The file
    port's set_cell does the same for tables; views are drawn below it, so they keep their
    own three lines rather than import the port.)
    """
    cell = cast(Cell, ws.cell(row, column))  # views never merge cells
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def number_format(col: Column) -> str:
    if col.type is ColumnType.TEXT:
        return "@"
    if col.type is ColumnType.INTEGER:
        return "#,##0"
    if col.type is ColumnType.FRACTION:
        return "0.0%"
    if col.type is ColumnType.MONTH:
        return "yyyy-mm"
    if "currency" in col.unit:
        return "#,##0.00"
    # Units read as whole numbers with thousands separators; the cell keeps the exact value.
    return "#,##0" if col.unit == "units" else "#,##0.0"


def style_name(role: Role, col: Column) -> str:
    kind = "editable" if role.editable else "output"
    fmt = col.type.value
    if col.type is ColumnType.NUMBER and "currency" in col.unit:
        fmt = "money"
    elif col.type is ColumnType.NUMBER and col.unit == "units":
        fmt = "units"
    return f"SOP {kind} {fmt}"


def named_style(role: Role, col: Column) -> NamedStyle:
    """The cell style of a data cell: fill by role, number format by type, lock by role."""
    style = NamedStyle(name=style_name(role, col))
    style.number_format = number_format(col)
    style.fill = EDITABLE_FILL if role.editable else OUTPUT_FILL
    style.protection = Protection(locked=not role.editable)
    if col.type is ColumnType.TEXT:
        style.alignment = Alignment(horizontal="left")
    return style


HEADER_STYLE = NamedStyle(
    name="SOP header",
    font=Font(bold=True, color="FFFFFF"),
    fill=HEADER_FILL,
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    protection=Protection(locked=True),
)
TITLE_STYLE = NamedStyle(
    name="SOP title", font=Font(bold=True, size=12, color="1F4E78"), protection=Protection()
)


def all_named_styles(contract: WorkbookContract) -> list[NamedStyle]:
    """Every named style the contract needs, each once, in a stable order."""
    styles: dict[str, NamedStyle] = {HEADER_STYLE.name: HEADER_STYLE, TITLE_STYLE.name: TITLE_STYLE}
    for table in contract.tables.values():
        for col in table.columns:
            name = style_name(table.role, col)
            if name not in styles:
                styles[name] = named_style(table.role, col)
    return list(styles.values())


def title_text(table: Table) -> str:
    return f"{table.name} ({table.role.value}): {table.title}"
