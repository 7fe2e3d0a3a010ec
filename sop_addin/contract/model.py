"""Pydantic models of the workbook contract: tabs, tables, columns and settings."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


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
    def key_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.key]

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


class WorkbookContract(BaseModel):
    """Every tab, table, column and setting of an S&OP workbook."""

    model_config = ConfigDict(frozen=True)

    tabs: tuple[Tab, ...]
    settings: tuple[Setting, ...]

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
