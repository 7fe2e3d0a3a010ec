"""Round trips through the file port: what is written is what is read back."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.contract import CONTRACT
from sop_addin.workbook.file_port import FilePort, WorkbookOpenError
from sop_addin.workbook.tables import read_inputs, read_output, write_table
from tests.factories import INPUT_TABLES, M1, tiny_tables


def test_input_tables_round_trip(tiny_workbook):
    expected = tiny_tables()
    inputs = read_inputs(FilePort.open(tiny_workbook))
    for name in INPUT_TABLES:
        got = inputs[name].reset_index(drop=True)
        want = expected[name].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    assert inputs.settings.horizon_months == 2
    assert inputs.settings.first_plan_month == M1
    assert inputs.settings.carrying_rate == pytest.approx(0.12)


def test_frame_index_is_the_excel_row(tiny_workbook):
    inputs = read_inputs(FilePort.open(tiny_workbook))
    assert inputs["Products"].index.tolist() == [3, 4]  # title row 1, header row 2


def test_output_table_grows_shrinks_and_round_trips(tiny_workbook, tmp_path):
    port = FilePort.open(tiny_workbook)
    big = pd.DataFrame(
        {"kpi": [f"k{i}" for i in range(30)], "value": [float(i) for i in range(30)], "unit": "u"}
    )
    write_table(port, "KPIs", big)
    port.save()
    port = FilePort.open(tiny_workbook)
    back = read_output(port, "KPIs", "test")
    assert back["detail"].isna().all()  # an optional column the frame lacked is left blank
    pd.testing.assert_frame_equal(back[big.columns], big, check_dtype=False)
    small = big.head(3)
    write_table(port, "KPIs", small)
    port.save()
    wb = load_workbook(tiny_workbook)
    ws = wb["Exec data"]
    assert ws.tables["KPIs"].ref == "A2:D5"  # kpi, value, unit, detail
    assert ws["A6"].value is None and ws["A32"].value is None  # old rows cleared
    pd.testing.assert_frame_equal(
        read_output(FilePort.open(tiny_workbook), "KPIs", "test")[small.columns],
        small,
        check_dtype=False,
    )


def test_text_that_looks_like_a_formula_stays_text(tiny_workbook):
    port = FilePort.open(tiny_workbook)
    evil = pd.DataFrame({"kpi": ["=1+1", "+SUM(A1)", "@x", "-2"], "value": [1.0] * 4, "unit": ""})
    write_table(port, "KPIs", evil)
    port.save()
    ws = load_workbook(tiny_workbook)["Exec data"]
    assert [ws.cell(r, 1).data_type for r in range(3, 7)] == ["s"] * 4
    assert read_output(FilePort.open(tiny_workbook), "KPIs", "t")["kpi"].tolist() == [
        "=1+1",
        "+SUM(A1)",
        "@x",
        "-2",
    ]


def test_planning_steps_never_write_input_tables(tiny_workbook):
    port = FilePort.open(tiny_workbook)
    with pytest.raises(ValueError, match="never overwrite inputs"):
        write_table(port, "Products", tiny_tables()["Products"])


def test_every_contract_table_is_in_the_workbook(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    found = {name: ws.title for ws in wb.worksheets for name in ws.tables}
    assert found == {t.name: t.tab for t in CONTRACT.tables.values()}


def test_not_a_workbook_is_a_clear_error(tmp_path):
    bogus = tmp_path / "plan.xlsx"
    bogus.write_text("not a zip")
    with pytest.raises(WorkbookOpenError, match="corrupt workbook"):
        FilePort.open(bogus)
    with pytest.raises(WorkbookOpenError, match="not found"):
        FilePort.open(tmp_path / "missing.xlsx")


def test_an_optional_column_missing_from_an_older_workbook_reads_blank(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    ws = wb["Products"]
    header = [c.value for c in ws[2]]
    column = header.index("Launch month") + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row, column).value = "ignored" if row == 2 else None  # an unknown header
    wb.save(tiny_workbook)
    products = read_inputs(FilePort.open(tiny_workbook))["Products"]
    assert products["launch_month"].isna().all()
    assert products["sku"].tolist() == ["A", "B"]
