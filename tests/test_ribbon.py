"""The ribbon entry point on a stand-in Excel book: actions run, failures become messages."""

from __future__ import annotations

from sop_addin.excel.ribbon import run_action
from sop_addin.workbook.tables import read_output
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.xlwings_fake import book_from_file


def test_unknown_tag_is_reported(tiny_workbook):
    messages: list[str] = []
    port = XlwingsPort(book_from_file(tiny_workbook))
    assert run_action("no_such_button", port, messages.append) is False
    assert "no action" in messages[0]


def test_step_out_of_order_is_a_clear_message(tiny_workbook):
    messages: list[str] = []
    book = book_from_file(tiny_workbook)
    assert run_action("run_plan", XlwingsPort(book), messages.append) is False
    assert "run Refresh Forecast first" in messages[0]
    assert "Traceback" not in messages[0]
    assert book.app.status_bar is False  # status bar handed back to Excel


def test_forecast_button_writes_the_demand_tab_and_reports_progress(tiny_workbook):
    messages: list[str] = []
    book = book_from_file(tiny_workbook)
    port = XlwingsPort(book)
    assert run_action("refresh_forecast", port, messages.append) is True
    assert messages == []
    assert len(read_output(port, "Forecast", "t")) == 4  # 2 SKUs x 2 months
    assert any(str(s).startswith("S&OP: Forecast") for s in book.app.history)
    assert run_action("run_cycle", port, messages.append) is True
