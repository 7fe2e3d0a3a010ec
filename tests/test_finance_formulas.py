"""The live P&L formulas: rendered from the contract, pointing at the right cells, and only
ever written where the contract designates a formula column."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.utils import column_index_from_string

from sop_addin.contract import CONTRACT
from sop_addin.workbook.codec import Formula
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.finance_formulas import (
    contract_formula,
    formula_block,
    formula_templates,
    render,
)
from sop_addin.workbook.layout import placements
from sop_addin.workbook.tables import write_table
from sop_addin.workbook.template import build_workbook
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.factories import M1
from tests.xlwings_fake import book_from_file

_WHOLE_COLUMN = re.compile(r"'([^']+)'!\$([A-Z]+):\$([A-Z]+)")


@cache
def _template() -> Workbook:
    return build_workbook()


def _located(tab: str, letter: str) -> tuple[str, str]:
    """(table, column) whose cells fill that column of the tab, from the template's headers."""
    index = column_index_from_string(letter)
    placement = next(
        p for p in placements(CONTRACT, tab) if p.first_column <= index <= p.last_column
    )
    header = _template()[tab].cell(2, index).value
    column = placement.table.columns[index - placement.first_column]
    assert header == column.heading
    return placement.table.name, column.name


def test_every_reference_points_at_its_column_header():
    for table, columns in formula_templates().items():
        for column, template in columns.items():
            text = render(template, table, 7)
            named = set(re.findall(r"\{(\w+)\.(\w+)\}", template))
            if "{rate:" in template:
                named |= {("FinanceRates", "value"), ("FinanceRates", "rate")}
            found = set()
            for tab, letter, same in _WHOLE_COLUMN.findall(text):
                assert letter == same
                found.add(_located(tab, letter))
            assert found == named, (table, column)
            # Cells of the formula's own row are on row 7, in the table's own columns.
            own = set(re.findall(r"\{(\w+)\}", template)) - {"rate"}
            row_refs = re.findall(r"(?<![:!A-Z$])\$([A-Z]+)7\b", text)
            assert {_located(CONTRACT.table(table).tab, c) for c in row_refs} == {
                (table, c) for c in own
            }, (table, column)


def test_rendered_pnl_revenue_by_hand():
    finance = {p.table.name: p for p in placements(CONTRACT, "Finance data")}
    sku = finance["SkuPnL"]
    pnl = finance["PnL"]

    def letter(placement, column):
        return placement.column_letter(placement.table.column_names.index(column))

    tab = "'Finance data'!"
    expected = (
        f"=SUMIFS({tab}${letter(sku, 'revenue')}:${letter(sku, 'revenue')},"
        f"{tab}${letter(sku, 'family')}:${letter(sku, 'family')},${letter(pnl, 'family')}5,"
        f"{tab}${letter(sku, 'month')}:${letter(sku, 'month')},${letter(pnl, 'month')}5)"
    )
    assert render(formula_templates()["PnL"]["revenue"], "PnL", 5) == expected
    flag = render(formula_templates()["PnL"]["margin_flag"], "PnL", 5)
    assert "SUMIFS('Finance data'!" in flag and '"gross_margin_threshold")' in flag


def test_formula_block_keys_are_values_and_the_rest_formulas():
    keys = pd.DataFrame({"family": ["=evil()"], "month": [M1]})
    block = formula_block("PnL", keys, header_row=2)
    assert block[0] == CONTRACT.table("PnL").headings  # "Gross margin %", not gross_margin_pct
    family, month, *rest = block[1]
    assert family == "=evil()" and not isinstance(family, Formula)  # data stays data
    assert month == M1.to_pydatetime()
    assert all(isinstance(v, Formula) for v in rest)
    assert (
        contract_formula(
            "Finance data",
            3,
            column_index_from_string(placements(CONTRACT, "Finance data")[0].column_letter(0)),
        )
        is None
    )  # Prices.sku: a data cell


def test_ports_write_contract_formulas_live_and_user_text_as_text(tiny_workbook):
    keys = pd.DataFrame({"family": ["=1+1"], "month": [M1]})
    port = FilePort.open(tiny_workbook)
    port.write_block("PnL", formula_block("PnL", keys, header_row=2))
    ws = port.workbook["Finance data"]
    start = next(p for p in placements(CONTRACT, "Finance data") if p.table.name == "PnL")
    assert ws.cell(3, start.first_column).data_type == "s"  # "=1+1" typed by a user: text
    assert ws.cell(3, start.first_column + 3).data_type == "f"
    # Writing text through an ordinary output table never makes a formula.
    write_table(port, "KPIs", pd.DataFrame({"kpi": ["=SUM(A:A)"], "value": [1.0], "unit": [""]}))
    assert port.workbook["Exec data"].cell(3, 1).data_type == "s"

    book = book_from_file(tiny_workbook)
    XlwingsPort(book).write_block("PnL", formula_block("PnL", keys, header_row=2))
    sheet = next(s for s in book.sheets if s.name == "Finance data")
    assert sheet.cells[(3, start.first_column)] == "=1+1"  # kept as text (apostrophe)
    assert sheet.formulas[(3, start.first_column + 3)].startswith("=SUMIFS(")
    with pytest.raises(AssertionError, match="live formula"):
        sheet.range((3, start.first_column + 3)).value = [["=SUM(A1)"]]
