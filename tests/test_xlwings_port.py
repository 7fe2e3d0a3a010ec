"""The xlwings port behaves like the file port (same codec), on an Excel-like fake book."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.port import TableNotFound
from sop_addin.workbook.tables import read_inputs, read_output, write_table
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.factories import INPUT_TABLES
from tests.xlwings_fake import book_from_file


def test_both_ports_read_the_same_inputs(tiny_workbook):
    from_file = read_inputs(FilePort.open(tiny_workbook))
    from_excel = read_inputs(XlwingsPort(book_from_file(tiny_workbook)))
    assert from_excel.settings == from_file.settings
    for name in INPUT_TABLES:
        pd.testing.assert_frame_equal(from_excel[name], from_file[name], check_dtype=False)


def test_writes_unprotect_then_reprotect_and_keep_text(tiny_workbook):
    book = book_from_file(tiny_workbook)
    port = XlwingsPort(book)
    exec_sheet = next(s for s in book.sheets if s.name == "Exec data")
    assert exec_sheet.api.ProtectContents
    kpis = pd.DataFrame({"kpi": ["=cmd|' /c calc'!A0", "b"], "value": [1.0, 2.0], "unit": "u"})
    write_table(port, "KPIs", kpis)
    assert exec_sheet.api.ProtectContents  # protection restored
    pd.testing.assert_frame_equal(
        read_output(port, "KPIs", "t")[kpis.columns], kpis, check_dtype=False
    )
    write_table(port, "KPIs", kpis.head(1))
    assert port.read_block("KPIs") == [
        ["KPI", "Value", "Unit", "Detail"],  # the contract's labels
        ["=cmd|' /c calc'!A0", 1.0, "u", None],
    ]


def test_status_bar_and_missing_table(tiny_workbook):
    book = book_from_file(tiny_workbook)
    port = XlwingsPort(book)
    port.set_status("Forecast 3/40")
    port.set_status(None)
    assert book.app.history == ["Forecast 3/40", False]
    with pytest.raises(TableNotFound):
        port.read_block("NoSuchTable")


def _sheet_holding(book, table: str):
    """The (protected, output) tab that holds an Excel table."""
    return next(s for s in book.sheets if any(t.name == table for t in s.tables))


def test_mac_lifts_and_restores_protection_through_appscript(tiny_workbook):
    book = book_from_file(tiny_workbook, mac=True)
    exec_sheet = _sheet_holding(book, "KPIs")
    assert exec_sheet.protected
    kpis = pd.DataFrame({"kpi": ["a"], "value": [1.0], "unit": "u"})
    write_table(XlwingsPort(book, platform="darwin"), "KPIs", kpis)
    assert exec_sheet.protected  # restored, with the planner's allowances
    assert exec_sheet.api.protect_options == {
        "contents": True,
        "allow_filtering": True,
        "allow_sorting": True,
        "allow_formatting_columns": True,
    }
    assert XlwingsPort(book, platform="darwin").read_block("KPIs")[1][:2] == ["a", 1.0]


def test_windows_names_on_a_mac_fail_with_a_message_naming_the_tab(tiny_workbook):
    # What the port did before: COM names on an appscript reference.
    book = book_from_file(tiny_workbook, mac=True)
    kpis = pd.DataFrame({"kpi": ["a"], "value": [1.0], "unit": "u"})
    sheet = _sheet_holding(book, "KPIs")
    with pytest.raises(RuntimeError, match=f"protection of the {sheet.name} tab"):
        write_table(XlwingsPort(book, platform="win32"), "KPIs", kpis)
    assert sheet.protected


def test_windows_restores_protection_with_the_same_allowances(tiny_workbook):
    book = book_from_file(tiny_workbook)
    write_table(XlwingsPort(book, platform="win32"), "KPIs", pd.DataFrame({"kpi": ["a"]}))
    exec_sheet = _sheet_holding(book, "KPIs")
    assert exec_sheet.api.ProtectContents
    assert exec_sheet.api.protect_options == {
        "AllowFiltering": True,
        "AllowSorting": True,
        "AllowFormattingColumns": True,
    }
