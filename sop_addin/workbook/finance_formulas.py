"""Live Excel formulas for the P&L tables, from the templates in contract/formulas.csv.

A template names other tables' columns as `{Table.column}` (a whole-column reference on the
table's tab, so it follows the table as it grows or shrinks), cells of its own row as
`{column}`, and finance rates as `{rate:name}` (a SUMIFS over the FinanceRates table). The
key columns are written as values; every other column of a formula table is a formula.
Nothing typed by a user ever becomes a formula: templates are package data.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.workbook.codec import Formula, frame_to_block
from sop_addin.workbook.layout import FIRST_DATA_ROW, placements
from sop_addin.workbook.port import WorkbookPort

FORMULAS_CSV = Path(__file__).parent.parent / "contract" / "formulas.csv"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@cache
def formula_templates() -> dict[str, dict[str, str]]:
    """table -> column -> template, checked against the contract."""
    templates: dict[str, dict[str, str]] = {}
    with FORMULAS_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table = CONTRACT.table(row["table"])
            table.column(row["column"])  # KeyError for a typo
            templates.setdefault(table.name, {})[row["column"]] = row["formula"]
    return templates


@cache
def _column_letters() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) -> (tab, column letter) where the contract places it."""
    letters: dict[tuple[str, str], tuple[str, str]] = {}
    for tab in CONTRACT.tabs:
        for placement in placements(CONTRACT, tab.name):
            for index, column in enumerate(placement.table.column_names):
                letters[(placement.table.name, column)] = (tab.name, placement.column_letter(index))
    return letters


def render(template: str, table: str, row: int) -> str:
    """The formula text of one cell of `table` on Excel row `row`."""
    letters = _column_letters()

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("rate:"):
            name = token.removeprefix("rate:")
            if name not in CONTRACT.table("FinanceRates").column("rate").enum:
                msg = f"formula template names unknown rate {name!r}"
                raise KeyError(msg)
            value, key = replace_ref("FinanceRates.value"), replace_ref("FinanceRates.rate")
            return f'SUMIFS({value},{key},"{name}")'
        if "." in token:
            return replace_ref(token)
        _, letter = letters[(table, token)]
        return f"${letter}{row}"

    def replace_ref(token: str) -> str:
        other, column = token.split(".", 1)
        tab, letter = letters[(other, column)]
        return f"'{tab}'!${letter}:${letter}"

    return _PLACEHOLDER.sub(replace, template)


def formula_block(name: str, rows: pd.DataFrame, header_row: int) -> list[list[Any]]:
    """Header and body of a formula table: key values from `rows`, formulas elsewhere.

    A formula column that `rows` also holds (Python's figure for the same line) gives each
    formula its cached result, so a viewer that does not recalculate shows the numbers; a
    blank figure is cached as "" (what the formula's IF(...,"") yields).
    """
    table = CONTRACT.table(name)
    templates = formula_templates()[name]
    block = frame_to_block(rows.reindex(columns=table.column_names), table)
    positions = {c: i for i, c in enumerate(table.column_names)}
    for offset, cells in enumerate(block[1:], start=1):
        row = header_row + offset
        for column, template in templates.items():
            text = render(template, name, row)
            if column in rows.columns:
                value = cells[positions[column]]
                cells[positions[column]] = Formula(text, cached="" if value is None else value)
            else:
                cells[positions[column]] = Formula(text)
    return block


def write_formula_table(port: WorkbookPort, name: str, rows: pd.DataFrame) -> int:
    """Write a formula table (its key rows, formulas in the designated columns); return rows.

    `rows` holds the keys and, where known, Python's figures for the formula columns (their
    cached results).
    """
    sheet, header_row = port.table_location(name)
    table = CONTRACT.table(name)
    if sheet != table.tab or header_row != FIRST_DATA_ROW - 1:
        # The formulas reference other tables where the contract places them.
        msg = f"the {name} table must stay where the template puts it ({table.tab}, row 2)"
        raise ValueError(msg)
    port.write_block(name, formula_block(name, rows, header_row))
    return len(rows)


def contract_formula(tab: str, row: int, column: int) -> str | None:
    """The formula the contract puts in a cell (1-based column), or None for a data cell."""
    if row < FIRST_DATA_ROW:
        return None
    for placement in placements(CONTRACT, tab):
        if placement.first_column <= column <= placement.last_column:
            name = placement.table.column_names[column - placement.first_column]
            template = formula_templates().get(placement.table.name, {}).get(name)
            return None if template is None else render(template, placement.table.name, row)
    return None
