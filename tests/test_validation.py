"""Broken workbooks: every problem is reported with its tab, table, row and column."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from sop_addin.cli import cli
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs


def _break(path: Path, mutate: Callable[[Workbook], None]) -> Path:
    wb = load_workbook(path)
    mutate(wb)
    wb.save(path)
    return path


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    return caught.value.problems


def _where(p: Problem) -> tuple[str, str, int | None, str | None]:
    return (p.tab, p.table, p.row, p.column)


def test_missing_tab(tiny_workbook):
    problems = _problems(_break(tiny_workbook, lambda wb: wb.remove(wb["Routings"])))
    assert [(p.tab, p.table) for p in problems] == [("Routings", "Routings")]
    assert "tab 'Routings' is missing" in problems[0].message


def test_missing_table(tiny_workbook):
    problems = _problems(_break(tiny_workbook, lambda wb: wb["Materials"].tables.pop("BOM")))
    assert len(problems) == 1
    assert "Excel table 'BOM' is missing from the tab 'Materials'" in problems[0].message


def test_missing_column(tiny_workbook):
    def rename(wb: Workbook) -> None:
        wb["Products"]["D2"] = "area"  # was "region"

    problems = _problems(_break(tiny_workbook, rename))
    assert _where(problems[0]) == ("Products", "Products", 2, "region")
    assert "missing from the header" in problems[0].message


def test_wrong_type_negative_and_text_numbers(tiny_workbook):
    def spoil(wb: Workbook) -> None:
        ws = wb["History"]
        ws["C3"] = "lots"
        ws["C4"] = -5
        ws["C5"] = "1,234"
        ws["C6"] = " 7 "  # a number stored as text: Excel would not sum it either

    problems = _problems(_break(tiny_workbook, spoil))
    found = {(_where(p), p.message) for p in problems}
    assert (
        ("History", "SalesHistory", 3, "quantity"),
        "expected a number, got the text 'lots'",
    ) in found
    assert (("History", "SalesHistory", 4, "quantity"), "negative value -5 is not allowed") in found
    assert (
        ("History", "SalesHistory", 5, "quantity"),
        "expected a number, got the text '1,234'",
    ) in found
    assert (
        ("History", "SalesHistory", 6, "quantity"),
        "number stored as text ' 7 ': enter it as a number",
    ) in found
    assert len(problems) == 4


def test_empty_and_duplicate_keys_and_bad_enum(tiny_workbook):
    def spoil(wb: Workbook) -> None:
        ws = wb["Products"]
        ws["A4"] = "A"  # duplicate of row 3
        ws["E3"] = "zombie"
        ws.append([None, "no code", "F", "North", "mature"])  # a row without its key
        table = ws.tables["Products"]
        table.ref = table.ref.rstrip("0123456789") + "5"  # the table grows over it

    problems = _problems(_break(tiny_workbook, spoil))
    wheres = {_where(p): p.message for p in problems}
    assert "duplicate key (A), first used on row 3" in wheres[("Products", "Products", 4, "sku")]
    assert wheres[("Products", "Products", 3, "lifecycle")].startswith("'zombie' is not one of")
    assert "empty key" in wheres[("Products", "Products", 5, "sku")]


def test_unknown_reference(tiny_workbook):
    problems = _problems(_break(tiny_workbook, lambda wb: wb["Routings"].__setitem__("B4", "R9")))
    assert [_where(p) for p in problems] == [("Routings", "Routings", 4, "resource")]
    assert "unknown reference 'R9': not found in Resources.resource" in problems[0].message


def test_required_setting_and_bad_setting(tiny_workbook):
    def spoil(wb: Workbook) -> None:
        ws = wb["Setup"]
        ws["B4"] = None  # first_plan_month
        ws["B5"] = "eighteen"  # horizon_months

    problems = _problems(_break(tiny_workbook, spoil))
    messages = {p.row: p.message for p in problems}
    assert "first_plan_month" in messages[4] and "needs a value" in messages[4]
    assert "horizon_months" in messages[5] and "whole number" not in messages[5]


def test_sku_without_price_is_reported(tiny_workbook):
    problems = _problems(
        _break(tiny_workbook, lambda wb: wb["Finance data"].__setitem__("A4", None))
    )
    # The blank key in Prices and the unpriced SKU B are both named.
    assert ("Finance data", "Prices", 4, "sku") in {_where(p) for p in problems}


def test_cli_lists_every_problem_and_writes_nothing(tiny_workbook, tmp_path):
    def spoil(wb: Workbook) -> None:
        wb["History"]["C3"] = "lots"
        wb["Routings"]["B4"] = "R9"

    path = _break(tiny_workbook, spoil)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["run", str(path), "--export", str(tmp_path / "csv")])
    assert result.exit_code == 2, result.output
    assert "SalesHistory" in result.output and "Routings" in result.output
    assert "Traceback" not in result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "csv").exists()
    assert not list(tmp_path.glob(".sop-tmp-*"))  # no temp files left
