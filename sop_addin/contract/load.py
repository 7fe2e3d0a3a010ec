"""Build the workbook contract from the CSV files beside this module."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from sop_addin.contract.model import (
    Column,
    Grid,
    KeyFigure,
    Setting,
    Tab,
    Table,
    WorkbookContract,
    header_key,
)

HERE = Path(__file__).parent


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(newline="", encoding="utf-8") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def _flag(text: str) -> bool:
    return text.strip().lower() == "yes"


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _column(row: dict[str, str]) -> Column:
    fields: dict[str, Any] = {
        "name": row["column"],
        "label": row["label"].strip(),
        "type": row["type"],
        "unit": row["unit"],
        "required": _flag(row["required"]),
        "key": _flag(row["key"]),
        "min": _number(row["min"]),
        "max": _number(row["max"]),
        "enum": tuple(v for v in row["enum"].split("|") if v),
        "ref": row["ref"] or None,
        "description": row["description"],
    }
    if row["width"]:
        fields["width"] = int(row["width"])
    return Column(**fields)


@cache
def load_contract() -> WorkbookContract:
    """Read tables.csv, columns.csv and settings.csv into one contract, checked for sense."""
    columns: dict[str, list[Column]] = {}
    for row in _rows("columns.csv"):
        columns.setdefault(row["table"], []).append(_column(row))
    tabs: dict[str, list[Table]] = {}
    for row in _rows("tables.csv"):
        table = Table(
            name=row["table"],
            tab=row["tab"],
            role=row["role"],  # type: ignore[arg-type]
            title=row["title"],
            columns=tuple(columns.pop(row["table"], [])),
        )
        tabs.setdefault(table.tab, []).append(table)
    if columns:
        msg = f"columns.csv names tables missing from tables.csv: {sorted(columns)}"
        raise ValueError(msg)
    settings = tuple(
        Setting(
            name=row["setting"],
            type=row["type"],  # type: ignore[arg-type]
            unit=row["unit"],
            required=_flag(row["required"]),
            default=row["default"] or None,
            min=_number(row["min"]),
            max=_number(row["max"]),
            description=row["description"],
        )
        for row in _rows("settings.csv")
    )
    contract = WorkbookContract(
        tabs=tuple(Tab(name=name, tables=tuple(tables)) for name, tables in tabs.items()),
        settings=settings,
        grids=_grids(),
    )
    _check(contract)
    return contract


def _grids() -> tuple[Grid, ...]:
    figures: dict[str, list[KeyFigure]] = {}
    for row in _rows("grids.csv"):
        if row["months"] not in ("history", "plan"):
            msg = f"grids.csv: months must be history or plan, got {row['months']!r}"
            raise ValueError(msg)
        figures.setdefault(row["tab"], []).append(
            KeyFigure(
                label=row["key_figure"],
                table=row["table"],
                column=row["column"],
                history=row["months"] == "history",
                total=row["total"],  # type: ignore[arg-type]
                editable=_flag(row["editable"]),
                description=row["description"],
            )
        )
    return tuple(Grid(tab=tab, key_figures=tuple(rows)) for tab, rows in figures.items())


@cache
def optional_tables() -> frozenset[str]:
    """Tables added after workbooks were made: a workbook without such an input reads it as
    empty; without such an output, the step skips writing it."""
    names = frozenset(row["table"] for row in _rows("optional_tables.csv"))
    known = load_contract().tables
    unknown = sorted(n for n in names if n not in known)
    if unknown:
        msg = f"optional_tables.csv names tables missing from tables.csv: {unknown}"
        raise ValueError(msg)
    return names


def _check(contract: WorkbookContract) -> None:
    """Fail loudly on a contract that contradicts itself (a typo in the CSVs)."""
    tables = contract.tables
    for table in tables.values():
        if not table.columns:
            msg = f"table {table.name} has no columns"
            raise ValueError(msg)
        if len(set(table.column_names)) != len(table.column_names):
            msg = f"table {table.name} repeats a column name"
            raise ValueError(msg)
        _check_labels(table)
        for col in table.columns:
            for ref_table, ref_column in col.ref_targets:
                if ref_table not in tables or ref_column not in tables[ref_table].column_names:
                    msg = f"{table.name}.{col.name} refers to unknown {ref_table}.{ref_column}"
                    raise ValueError(msg)
    tab_names = {tab.name for tab in contract.tabs}
    for grid in contract.grids:
        if grid.tab in tab_names or grid.data_tab not in tab_names:
            msg = f"grid {grid.tab}: its tables belong on the tab {grid.data_tab!r}"
            raise ValueError(msg)
        for figure in grid.key_figures:
            if (figure.total == "ratio") != figure.is_ratio:
                msg = f"grid {grid.tab}, {figure.label}: a ratio column totals as ratio"
                raise ValueError(msg)
            if figure.editable and (figure.table, figure.column) != ("Consensus", "consensus"):
                msg = f"grid {grid.tab}, {figure.label}: only the consensus can be edited"
                raise ValueError(msg)
            if figure.table not in tables:
                msg = f"grid {grid.tab}, {figure.label}: no table {figure.table}"
                raise ValueError(msg)
            for name in figure.columns:
                tables[figure.table].column(name)  # KeyError names the typo


def _check_labels(table: Table) -> None:
    """Each header a reader accepts (a name or a label) must mean one column only."""
    owner: dict[str, str] = {}
    for col in table.columns:
        for text in {header_key(col.name), header_key(col.heading)}:
            if owner.setdefault(text, col.name) != col.name:
                msg = (
                    f"table {table.name}: the header {text!r} would mean both "
                    f"{owner[text]} and {col.name}"
                )
                raise ValueError(msg)
