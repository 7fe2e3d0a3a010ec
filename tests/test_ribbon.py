"""The ribbon entry point on a stand-in Excel book: actions run, failures become messages."""

from __future__ import annotations

import pytest

from sop_addin.excel import busy, ribbon
from sop_addin.excel.busy import BUSY, click_lock
from sop_addin.excel.ribbon import NO_WORKBOOK, is_open, on_action, run_action
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


def _caller(monkeypatch, book):
    """Make xw.Book.caller() return `book`, as RunPython's --wb argument would."""
    import xlwings as xw

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))


@pytest.fixture(autouse=True)
def _private_click_locks(tmp_path, monkeypatch):
    monkeypatch.setattr(busy, "lock_folder", lambda: tmp_path / "clicks")


def test_on_action_runs_on_the_active_workbook(tiny_workbook, monkeypatch):
    # The embedded VBA (xlwings' custom add-in module) passes ActiveWorkbook as the caller.
    book = book_from_file(tiny_workbook, name="plan.xlsm")
    _caller(monkeypatch, book)
    on_action("refresh_forecast")
    assert book.app.alerts == []
    assert len(read_output(XlwingsPort(book), "Forecast", "t")) == 4
    assert book.app.history[0] == "S&OP: starting"  # the first status before any heavy import


def test_an_old_addin_caller_still_reaches_the_active_workbook(tiny_workbook, monkeypatch):
    # An add-in built with the standalone xlwings module passes the add-in itself.
    addin = book_from_file(tiny_workbook, name="sop_addin.xlam")
    planning = book_from_file(tiny_workbook, name="my plan.xlsx", app=addin.app)
    assert addin.app.books.active is planning
    _caller(monkeypatch, addin)
    on_action("refresh_forecast")
    assert addin.app.alerts == []
    assert len(read_output(XlwingsPort(planning), "Forecast", "t")) == 4
    assert read_output(XlwingsPort(addin), "Forecast", "t", allow_empty=True).empty


def test_no_workbook_open_is_a_message_not_a_traceback(tiny_workbook, monkeypatch):
    addin = book_from_file(tiny_workbook, name="sop_addin.xlam")
    addin.app.books.open.remove(addin)  # an add-in is never the active workbook
    assert addin.app.books.active is not None  # like real xlwings: never None ...
    assert not is_open(addin.app.books.active)  # ... but not a workbook either
    _caller(monkeypatch, addin)
    on_action("refresh_forecast")
    assert addin.app.alerts == [("S&OP", NO_WORKBOOK)]


def test_a_second_click_while_one_runs_is_told_so(tiny_workbook, monkeypatch):
    book = book_from_file(tiny_workbook, name="plan.xlsm")
    _caller(monkeypatch, book)
    seen = []

    def slow(port, progress):
        on_action("refresh_forecast")  # the second click arrives while this one runs
        seen.append(list(book.app.alerts))
        return {}

    monkeypatch.setitem(ribbon.ACTIONS, "slow", slow)
    on_action("slow")
    assert seen == [[("S&OP", BUSY.format(running="slow"))]]  # no button: the tag
    with click_lock(book.fullname, ribbon.button_label("run_plan"), busy.lock_folder()):
        on_action("refresh_forecast")
    assert book.app.alerts[-1] == ("S&OP", BUSY.format(running="Run Plan"))
    assert read_output(XlwingsPort(book), "Forecast", "t", allow_empty=True).empty
    on_action("refresh_forecast")  # the lock is released when the first click ends
    assert len(read_output(XlwingsPort(book), "Forecast", "t")) == 4


def test_click_locks_are_per_workbook(tmp_path):
    with click_lock("C:\\a\\plan.xlsm", "run_plan", tmp_path) as first:
        with click_lock("C:\\A\\PLAN.XLSM", "accuracy", tmp_path) as same:
            assert same == "run_plan"  # Windows paths: case does not make another file
        with click_lock("C:\\b\\plan.xlsm", "accuracy", tmp_path) as other:
            assert other is None
    assert first is None


def test_on_action_reports_an_unknown_tag_and_a_failing_action(tiny_workbook, monkeypatch):
    book = book_from_file(tiny_workbook, name="plan.xlsm")
    _caller(monkeypatch, book)
    on_action("no_such_button")

    def broken(port, progress):
        progress("Broken step", 0, 1)
        raise KeyError("sku")

    monkeypatch.setitem(ribbon.ACTIONS, "broken", broken)
    on_action("broken")
    (t1, unknown), (t2, failed) = book.app.alerts
    assert (t1, t2) == ("S&OP", "S&OP")
    assert "no action" in unknown
    assert "'broken' failed" in failed and "The workbook was not changed" in failed
    assert "Traceback" not in failed
    assert book.app.status_bar is False


def test_a_click_imports_only_what_its_action_needs():
    # A fresh Python, as RunPython starts: the ribbon module imports no action, and the
    # forecast button's action does not bring in the supply planner (PuLP) or pandas'
    # heavier neighbours before its first status message. Structure, not timing
    # (benchmarks/bench_click.py measures the time).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sop_addin.excel.ribbon as r\n"
        "heavy = ('pandas', 'pulp', 'statsmodels', 'scipy.stats', 'openpyxl')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "r.ACTIONS['refresh_forecast']\n"
        "print(sorted(m for m in ('pulp', 'sop_addin.core.planning.solve') if m in sys.modules))\n"
        "r.ACTIONS['run_plan']\n"
        "print('pulp' in sys.modules)\n"
    )
    root = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["[]", "[]", "True"]


def test_every_lazy_action_path_resolves_to_a_function():
    from sop_addin.actions import ACTION_PATHS, ACTIONS, LazyActions

    for tag, path in ACTION_PATHS.items():
        assert callable(ACTIONS[tag]), (tag, path)
    lazy = LazyActions({"x": "sop_addin.actions.forecast:no_such_function"})
    with pytest.raises(AttributeError):
        lazy["x"]
    with pytest.raises(KeyError):
        lazy["unknown"]
    assert "unknown" not in lazy and "x" in lazy and len(lazy) == 1
