"""LibreOffice as the real spreadsheet: the live P&L formulas and the Exec tab's charts.

Two soffice starts for the module: one recalculates two workbooks (the plan as written, and
a copy where finance edited assumption cells without running Python); one renders the Exec
tab to PDF.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from sop_addin.actions.cycle import run_cycle
from sop_addin.contract import CONTRACT
from sop_addin.core.finance import finance_plan, sku_finance
from sop_addin.workbook.charts import EXEC_CHARTS
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs, read_output, read_table
from tests.factories import tiny_tables
from tests.libreoffice import convert

NEW_PRICE_B, NEW_LABOUR_RATE = 33.0, 1.5


def _edit_assumption(port: FilePort, table: str, key: str, column: str, value: float) -> None:
    """Type a value into an assumption cell, as finance would in Excel."""
    frame, _ = read_table(port, table)
    assert frame is not None
    row = int(frame.index[frame.iloc[:, 0] == key][0])  # the Excel row of the key
    ws = port.workbook["Finance data"]
    min_col, header_row, max_col, _ = range_boundaries(ws.tables[table].ref)
    heading = CONTRACT.table(table).column(column).heading
    col = next(c for c in range(min_col, max_col + 1) if ws.cell(header_row, c).value == heading)
    ws.cell(row, col).value = value


@pytest.fixture(scope="module")
def exec_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("exec")
    plan = create_workbook(tmp / "plan.xlsx", tiny_tables())
    port = FilePort.open(plan)
    run_cycle(port)
    port.save()

    edited = tmp / "edited.xlsx"
    shutil.copy(plan, edited)
    port = FilePort.open(edited)
    _edit_assumption(port, "Prices", "B", "unit_price", NEW_PRICE_B)
    _edit_assumption(port, "FinanceRates", "labour_rate", "value", NEW_LABOUR_RATE)
    port.save()

    # The Exec tab alone, as the executives print it: its charts read the (hidden) Exec data.
    exec_only = tmp / "exec_only.xlsx"
    # A new workbook from the plan's cells (saved whole by openpyxl, charts drawn afresh):
    # the lossless save of an opened file never removes tabs.
    port = FilePort(load_workbook(plan), exec_only)
    for name in list(port.workbook.sheetnames):
        if name not in ("Exec", "Exec data"):
            del port.workbook[name]
    port.workbook["Exec data"].sheet_state = "hidden"
    port.save()

    recalculated = convert([plan, edited], tmp / "xlsx", "xlsx")
    (pdf,) = convert([exec_only], tmp / "pdf", "pdf")
    return {
        "plan": plan,
        "edited": edited,
        "plan_lo": recalculated[0],
        "edited_lo": recalculated[1],
        "pdf": pdf,
    }


def _formula_values(path: Path, table: str) -> pd.DataFrame:
    """The formula results LibreOffice saved (a formula giving "" reads as a blank)."""
    workbook = load_workbook(path, data_only=True)
    ws = workbook[CONTRACT.table(table).tab]
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
    block = [
        list(row)
        for row in ws.iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True
        )
    ]
    frame, problems = block_to_frame(block, CONTRACT.table(table), min_row)
    assert not problems, problems
    return frame.reset_index(drop=True)


def _compare(formulas: pd.DataFrame, python: pd.DataFrame, keys: list[str]) -> None:
    left = formulas.set_index(keys).sort_index()
    right = python.set_index(keys).sort_index()[left.columns]
    assert len(left) == len(right) > 0
    for column in left.columns:
        if left[column].dtype == object:
            got = left[column].fillna("").tolist()
            assert got == right[column].fillna("").tolist(), column
        else:
            pd.testing.assert_series_equal(
                left[column].astype(float),
                right[column].astype(float),
                rtol=1e-9,
                atol=1e-9,
                check_index_type=False,
            )


def test_the_file_holds_formulas_and_charts(exec_files):
    port = FilePort.open(exec_files["plan"])
    cell = port.workbook["Finance data"]
    formulas = [c.value for row in cell.iter_rows() for c in row if c.data_type == "f"]
    assert any(str(f).startswith("=SUMIFS('Supply data'!") for f in formulas)
    # The Exec charts and the Forecast chart tab's one.
    names = zipfile.ZipFile(exec_files["plan"]).namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == len(EXEC_CHARTS) + 1
    # Charts survive a later open and save by another step (openpyxl drops them on load).
    names = zipfile.ZipFile(exec_files["edited"]).namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == len(EXEC_CHARTS) + 1


def test_formula_pnl_equals_python_after_recalculation(exec_files):
    plan_port = FilePort.open(exec_files["plan"])
    python = read_output(plan_port, "FinancePlan", "t")
    _compare(_formula_values(exec_files["plan_lo"], "PnL"), python, ["family", "month"])
    inputs = read_inputs(plan_port)
    balance = read_output(plan_port, "ProductBalance", "t")
    _compare(
        _formula_values(exec_files["plan_lo"], "SkuPnL"),
        sku_finance(inputs, balance),
        ["sku", "month"],
    )


def test_finance_edits_recalculate_without_python(exec_files):
    port = FilePort.open(exec_files["edited"])
    inputs = read_inputs(port)  # the edited assumptions
    assert inputs["Prices"].set_index("sku").loc["B", "unit_price"] == NEW_PRICE_B
    expected = finance_plan(inputs, read_output(port, "ProductBalance", "t"))
    stale = read_output(port, "FinancePlan", "t")  # Python's figures from before the edit
    recalculated = _formula_values(exec_files["edited_lo"], "PnL")
    _compare(recalculated, expected, ["family", "month"])
    assert recalculated["revenue"].sum() > stale["revenue"].sum()
    assert recalculated["cogs"].sum() == pytest.approx(1.5 * stale["cogs"].sum())


def test_exec_tab_renders_on_one_page_with_its_charts(exec_files):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTCurve, LTFigure, LTTextContainer

    pages = list(extract_pages(str(exec_files["pdf"])))
    # Fitted to one page for the executives (LibreOffice may append an empty page).
    assert all(len(list(page)) == 0 for page in pages[1:])
    text, shapes = [], 0

    def walk(item: object) -> None:
        nonlocal shapes
        if isinstance(item, LTTextContainer):
            text.append(item.get_text())
        elif isinstance(item, LTCurve):  # lines, rectangles and paths: bars, plot lines, axes
            shapes += 1
        if isinstance(item, LTFigure | LTTextContainer) or hasattr(item, "__iter__"):
            for child in item:  # type: ignore[attr-defined]
                if not isinstance(child, LTChar):
                    walk(child)

    walk(pages[0])
    content = "".join("".join(text).split())  # PDF text may split words: compare unspaced
    for spec in EXEC_CHARTS:
        assert spec.title.replace(" ", "") in content, f"chart {spec.title!r} missing"
    # The tiles and the checklist share the page with the charts.
    for words in ("Fill rate", "Unmet demand", "Supply feasible", "Gross margin %"):
        assert words.replace(" ", "") in content, words
    # Three charts draw at least their axes, gridlines, series lines and bars as paths.
    assert shapes > 30
