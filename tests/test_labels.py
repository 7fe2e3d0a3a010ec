"""Headers in words: the contract's labels are written, and labels or old names are read."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.contract import CONTRACT, Column, Role, Table
from sop_addin.contract.load import _check_labels
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs, read_output, write_table
from tests.factories import tiny_tables


def test_every_column_has_a_label_in_words():
    for table in CONTRACT.tables.values():
        for col in table.columns:
            assert col.label, f"{table.name}.{col.name} has no label"
            assert "_" not in col.label, f"{table.name}.{col.name}: {col.label!r}"
            assert col.label[0].isupper() or col.label.startswith("wMAPE"), col.label
    assert CONTRACT.table("PnL").column("gross_margin_pct").heading == "Gross margin %"
    assert CONTRACT.table("Products").column("sku").heading == "SKU"


def test_the_template_shows_labels(tiny_workbook):
    ws = load_workbook(tiny_workbook)["Products"]
    assert ws.cell(2, 1).value == "SKU"
    assert "Launch month" in [c.value for c in ws[2]]


def test_older_workbooks_with_snake_case_headers_still_read(tiny_workbook):
    """A workbook made before labels has the column names as headers: it reads the same."""
    wb = load_workbook(tiny_workbook)
    for table in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION):
        ws = wb[table.tab]
        ref = ws.tables[table.name].ref
        first = ws[ref][0]
        for cell, col in zip(first, table.columns, strict=True):
            cell.value = col.name
        ws.tables[table.name].tableColumns = []
    wb.save(tiny_workbook)
    inputs = read_inputs(FilePort.open(tiny_workbook))
    want = tiny_tables()["Products"].reset_index(drop=True)
    got = inputs["Products"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_an_output_written_over_old_headers_gets_labels_and_table_columns(tiny_workbook):
    """Writing renames the header cells and the Excel table's columns together."""
    wb = load_workbook(tiny_workbook)
    old = wb["Exec data"].tables["KPIs"]
    names = CONTRACT.table("KPIs").column_names
    for cell, name in zip(wb["Exec data"][old.ref][0], names, strict=True):
        cell.value = name  # the headers of a workbook made before labels
    old.tableColumns = []
    wb.save(tiny_workbook)
    port = FilePort.open(tiny_workbook)
    frame = pd.DataFrame({"kpi": ["Fill rate"], "value": [0.5], "unit": ["share"]})
    write_table(port, "KPIs", frame)
    port.save()
    wb = load_workbook(tiny_workbook)
    ws = wb["Exec data"]
    table = ws.tables["KPIs"]
    headers = [c.value for c in ws[table.ref][0]]
    assert headers == CONTRACT.table("KPIs").headings
    assert [c.name for c in table.tableColumns] == headers  # Excel refuses a mismatch
    back = read_output(FilePort.open(tiny_workbook), "KPIs", "test")
    assert back["value"].tolist() == [0.5]


def test_a_label_that_names_another_column_is_refused():
    cols = (
        Column(name="unit", label="Units", type="text"),
        Column(name="units", label="Count", type="number"),
    )
    table = Table(name="T", tab="X", role=Role.OUTPUT, title="t", columns=cols)
    with pytest.raises(ValueError, match="would mean both unit and units"):
        _check_labels(table)
