"""Pydantic models of the workbook contract: tabs, tables, columns and settings."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


def header_key(text: str) -> str:
    """How a header cell is compared: case, spaces and underscores do not matter."""
    return " ".join(text.replace("_", " ").split()).casefold()


class Role(StrEnum):
    """Who fills a table: the planner (input), finance (assumption) or Python (output)."""

    INPUT = "input"
    ASSUMPTION = "assumption"
    OUTPUT = "output"

    @property
    def editable(self) -> bool:
        return self is not Role.OUTPUT


class ColumnType(StrEnum):
    """Cell types a column can hold."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    FRACTION = "fraction"
    MONTH = "month"


class Column(BaseModel):
    """One column of a table."""

    model_config = ConfigDict(frozen=True)

    name: str
    # The header the planner reads ("Gross margin %"); readers also accept the name.
    label: str = ""
    type: ColumnType
    unit: str = ""
    required: bool = False
    key: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] = ()
    # "Table.column", or several joined by "|" when a value may live in any of them.
    ref: str | None = None
    width: int = 12
    description: str = ""

    @property
    def heading(self) -> str:
        """The header cell text: the label, or the name when the column has none."""
        return self.label or self.name

    @property
    def ref_targets(self) -> tuple[tuple[str, str], ...]:
        if not self.ref:
            return ()
        pairs = (target.split(".", 1) for target in self.ref.split("|"))
        return tuple((table, column) for table, column in pairs)


class Table(BaseModel):
    """A named Excel table (ListObject) on a tab."""

    model_config = ConfigDict(frozen=True)

    name: str
    tab: str
    role: Role
    title: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def headings(self) -> list[str]:
        return [c.heading for c in self.columns]

    @property
    def key_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.key]

    def column_for_header(self, text: str) -> Column | None:
        """The column a header cell names, by its label or (older workbooks) its name."""
        key = header_key(text)
        for col in self.columns:
            if key in (header_key(col.name), header_key(col.heading)):
                return col
        return None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        msg = f"table {self.name} has no column {name!r}"
        raise KeyError(msg)


class Tab(BaseModel):
    """A worksheet and the tables placed on it, left to right."""

    model_config = ConfigDict(frozen=True)

    name: str
    tables: tuple[Table, ...]

    @property
    def protected(self) -> bool:
        """Tabs holding only outputs are protected so nobody types over computed numbers."""
        return all(t.role is Role.OUTPUT for t in self.tables)


class Setting(BaseModel):
    """One row of the Settings table: a typed scalar."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    unit: str = ""
    required: bool = False
    default: str | None = None
    min: float | None = None
    max: float | None = None
    description: str = ""


class KeyFigure(BaseModel):
    """One row of a time-phased grid: a column of a table, summed by month (grids.csv).

    `column` is a column of `table`, or "numerator/denominator" for a ratio of two sums.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    table: str
    column: str
    history: bool = False  # filled in the months before the plan (else in the plan months)
    total: Literal["sum", "last", "ratio"] = "sum"  # stocks total as their last month
    editable: bool = False
    description: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.column.split("/"))

    @property
    def is_ratio(self) -> bool:
        return "/" in self.column


class Grid(BaseModel):
    """A time-phased grid on its own tab: key figures in rows, months across.

    Its source tables live on the companion tab "<tab> data".
    """

    model_config = ConfigDict(frozen=True)

    tab: str
    key_figures: tuple[KeyFigure, ...]

    @property
    def data_tab(self) -> str:
        return f"{self.tab} data"


class WorkbookContract(BaseModel):
    """Every tab, table, column and setting of an S&OP workbook, and the grids over them."""

    model_config = ConfigDict(frozen=True)

    tabs: tuple[Tab, ...]
    settings: tuple[Setting, ...]
    grids: tuple[Grid, ...] = ()

    @property
    def tables(self) -> dict[str, Table]:
        return {t.name: t for tab in self.tabs for t in tab.tables}

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            msg = f"the workbook contract has no table {name!r}"
            raise KeyError(msg) from None

    def tables_with_role(self, *roles: Role) -> list[Table]:
        return [t for t in self.tables.values() if t.role in roles]

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        msg = f"the workbook contract has no setting {name!r}"
        raise KeyError(msg)
