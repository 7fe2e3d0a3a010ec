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


class _AlertingApp:
    """What on_action needs of xlwings' App beyond the fake: alerts and the open books."""

    def __init__(self, app, active=None):
        self._app, self.alerts, self.books = app, [], type("Books", (), {"active": active})()

    def __getattr__(self, name):
        return getattr(self._app, name)

    def __setattr__(self, name, value):
        if name in ("_app", "alerts", "books"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._app, name, value)

    def alert(self, prompt, title=None, **_):
        self.alerts.append((title, prompt))


def _caller(monkeypatch, book):
    import xlwings as xw

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))


def test_on_action_runs_on_the_calling_workbook(tiny_workbook, monkeypatch):
    from sop_addin.excel.ribbon import on_action

    book = book_from_file(tiny_workbook)
    book.name = "plan.xlsm"
    book.app = _AlertingApp(book.app)
    _caller(monkeypatch, book)
    on_action("refresh_forecast")
    assert book.app.alerts == []
    assert len(read_output(XlwingsPort(book), "Forecast", "t")) == 4


def test_on_action_from_the_addin_acts_on_the_active_workbook(tiny_workbook, monkeypatch):
    from sop_addin.excel.ribbon import NO_WORKBOOK, on_action

    planning = book_from_file(tiny_workbook)
    planning.name = "my plan.xlsx"
    planning.app = _AlertingApp(planning.app)
    addin = book_from_file(tiny_workbook)  # the add-in's own sheets must not be touched
    addin.name = "sop_addin.xlam"
    addin.app = _AlertingApp(addin.app, active=planning)
    _caller(monkeypatch, addin)
    on_action("refresh_forecast")
    assert len(read_output(XlwingsPort(planning), "Forecast", "t")) == 4
    assert read_output(XlwingsPort(addin), "Forecast", "t", allow_empty=True).empty

    addin.app = _AlertingApp(addin.app, active=None)  # no workbook open
    on_action("refresh_forecast")
    assert addin.app.alerts == [("S&OP", NO_WORKBOOK)]


def test_on_action_reports_an_unknown_tag_and_a_failing_action(tiny_workbook, monkeypatch):
    from sop_addin.excel import ribbon

    book = book_from_file(tiny_workbook)
    book.name = "plan.xlsm"
    book.app = _AlertingApp(book.app)
    _caller(monkeypatch, book)
    ribbon.on_action("no_such_button")

    def broken(port, progress):
        progress("Broken step", 0, 1)
        raise KeyError("sku")

    monkeypatch.setitem(ribbon.ACTIONS, "broken", broken)
    ribbon.on_action("broken")
    (t1, unknown), (t2, failed) = book.app.alerts
    assert (t1, t2) == ("S&OP", "S&OP")
    assert "no action" in unknown
    assert "'broken' failed" in failed and "The workbook was not changed" in failed
    assert "Traceback" not in failed
    assert book.app.status_bar is False
