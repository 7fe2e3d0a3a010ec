"""Build the workbook contract from the CSV files beside this module."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from sop_addin.contract.model import Column, Setting, Tab, Table, WorkbookContract

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
    )
    _check(contract)
    return contract


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
        for col in table.columns:
            for ref_table, ref_column in col.ref_targets:
                if ref_table not in tables or ref_column not in tables[ref_table].column_names:
                    msg = f"{table.name}.{col.name} refers to unknown {ref_table}.{ref_column}"
                    raise ValueError(msg)
