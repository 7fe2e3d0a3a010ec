"""The Setup buttons: Diagnose and Self-test, through the ribbon on a stand-in book."""

from __future__ import annotations

import pytest

from sop_addin.excel import busy, setup_actions
from sop_addin.excel.ribbon import on_action
from sop_addin.excel.setup import WINDOWS, Paths
from tests.xlwings_fake import book_from_file


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(busy, "lock_folder", lambda: tmp_path / "clicks")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # Path.home(): an empty home


def _click(monkeypatch, book, tag):
    import xlwings as xw

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    on_action(tag)
    return book.app.alerts


def test_diagnose_button_shows_the_doctors_report(tiny_workbook, monkeypatch):
    book = book_from_file(tiny_workbook)
    ((title, report),) = _click(monkeypatch, book, "diagnose")
    assert title == "S&OP"
    assert report.startswith("Problems found, each with its fix:")
    assert "PROBLEM Python: no INTERPRETER_" in report  # nothing installed in this home
    assert "fix: run `sop addin install`" in report
    assert book.app.status_bar is False


def test_self_test_runs_a_tiny_cycle_on_a_scratch_workbook(tmp_path):
    steps, total = setup_actions.run_self_test(tmp_path)
    assert len(steps) == total and all(s.ok for s in steps), steps
    assert [s.name for s in steps][-1] == "Save and read back"
    # 10 SKUs x 3 months of forecast read back from the saved scratch file.
    assert steps[-1].detail.endswith("with 30 rows")
    assert (tmp_path / "self_test.xlsx").is_file()


def test_self_test_reports_the_failing_step_and_skips_the_rest(
    tiny_workbook, monkeypatch, tmp_path
):
    def broken(**_):
        raise ValueError("no demo today")

    monkeypatch.setattr("sop_addin.core.demo_company.generate_demo", broken)
    book = book_from_file(tiny_workbook)
    before = {s.name: dict(s.cells) for s in book.sheets}
    ((_, report),) = _click(monkeypatch, book, "self_test")
    lines = report.splitlines()
    assert lines[0] == "Self-test failed:"
    assert lines[2].startswith("OK  Python and versions")
    assert lines[3].startswith("FAILED Scratch workbook") and "no demo today" in lines[3]
    assert lines[4] == "skipped the 7 later step(s)"
    assert {s.name: dict(s.cells) for s in book.sheets} == before  # the planner's book untouched


def test_paths_of_the_diagnose_button_are_the_real_users(tmp_path):
    assert Paths(tmp_path, WINDOWS).user_conf.is_relative_to(tmp_path)
