"""Broken workbooks: every problem is reported with its tab, table, row and column."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from sop_addin.cli import cli
from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.dashboard import EXEC_TAB
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.forecast_chart import FORECAST_TAB
from sop_addin.workbook.tables import read_inputs
from tests.factories import M1, frame, tiny_tables
from tests.layout_support import header_columns, sheet_with_table, tab_of


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


# -- one validation pass: what a step would reject is found before any step -------------------


def _company(tmp_path: Path, change: Callable[[dict], None], name: str = "plan.xlsx") -> Path:
    """The tiny company with a change, written through the real file port."""
    tables = tiny_tables()
    change(tables)
    return create_workbook(tmp_path / name, tables)


def _add_rows(tables: dict, table: str, rows: list[dict]) -> None:
    tables[table] = pd.concat([tables[table], frame(table, rows)], ignore_index=True)


def rename_code(tables: dict, old: str, new: str) -> None:
    """Rename a code (SKU, family, region) wherever a text cell holds it exactly."""
    for name, table in tables.items():
        for column in table.columns:
            if table[column].dtype == object:
                tables[name][column] = table[column].where(table[column] != old, new)


def _assert_run_stops_before_any_step(path: Path) -> None:
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["run", str(path), "--lp", "--jobs", "1"])
    assert result.exit_code == 2 and "Forecast" not in result.output.split("problem")[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_renamed_tab_is_found_by_validate_and_run_stops_before_any_step(tiny_workbook):
    supply = tab_of(tiny_workbook, "ProductBalance")  # the tab holding the supply tables
    _break(tiny_workbook, lambda wb: setattr(wb[supply], "title", "Supply plan"))
    problems = _problems(tiny_workbook)
    assert problems and all(p.tab == "Supply plan" for p in problems)
    assert f"rename the tab back to '{supply}'" in problems[0].message
    _assert_run_stops_before_any_step(tiny_workbook)


@pytest.mark.parametrize("view", sorted({g.tab for g in CONTRACT.grids} | {EXEC_TAB, FORECAST_TAB}))
def test_a_renamed_view_tab_is_found_by_validate_and_run_stops_before_any_step(tiny_workbook, view):
    """The tabs a run redraws (the grids, the Exec page, the forecast chart): a save never
    adds a tab, so a run with one renamed would do every step and fail at its end."""
    _break(tiny_workbook, lambda wb: setattr(wb[view], "title", f"{view} (mine)"))
    problems = _problems(tiny_workbook)
    assert [p.tab for p in problems] == [view]
    assert f"rename the tab back to {view!r}" in problems[0].message
    _assert_run_stops_before_any_step(tiny_workbook)


def test_what_steps_reject_mid_run_is_one_report(tmp_path):
    def change(tables: dict) -> None:
        # A new product N without sales used as the analog of itself, a negative absolute
        # override, a percent override beyond its bound, a missing finance rate.
        _add_rows(tables, "Products", [{"sku": "N", "family": "F", "region": "North"}])
        _add_rows(tables, "Prices", [{"sku": "N", "unit_price": 10.0}])
        _add_rows(tables, "UnitCosts", [{"sku": "N", "material_cost": 1.0, "labour_hours": 1.0}])
        routing = tables["Routings"].iloc[[0]].assign(sku="N")
        tables["Routings"] = pd.concat([tables["Routings"], routing], ignore_index=True)
        _add_rows(
            tables,
            "NewProducts",
            [{"sku": "N", "analog_sku": "N", "launch_volume": 10.0}],
        )
        who = {"reason_code": "customer", "author": "Ann", "entered_on": "2027-01-02"}
        _add_rows(
            tables,
            "Overrides",
            [
                {"sku": "A", "month": M1, "kind": "absolute", "value": -5.0, **who},
                {"sku": "B", "month": M1, "kind": "percent", "value": 900.0, **who},
            ],
        )
        rates = tables["FinanceRates"]
        tables["FinanceRates"] = rates[rates["rate"] != "payable_days"]

    problems = _problems(_company(tmp_path, change))
    found = {(p.table, p.column, p.row): p.message for p in problems}
    assert "analog 'N' has no sales history" in found[("NewProducts", "analog_sku", 3)]
    assert "must be at least 0" in found[("Overrides", "value", 3)]  # Excel rows 3 and 4
    assert "beyond the bound of +500%" in found[("Overrides", "value", 4)]
    assert "payable_days" in found[("FinanceRates", "rate", None)]


@pytest.mark.parametrize(
    ("month", "words"),
    [("2023-06", "not after the first history month 2024-01"), ("9999-01", "not a month a plan")],
)
def test_first_plan_month_against_the_history(tmp_path, month, words):
    def change(tables: dict) -> None:
        settings = tables["Settings"]
        settings.loc[settings["setting"] == "first_plan_month", "value"] = month

    [problem] = _problems(_company(tmp_path, change))
    assert _where(problem)[:2] == ("Setup", "Settings") and problem.column == "value"
    assert words in problem.message


def test_a_plan_far_after_the_history_is_refused(tmp_path):
    def change(tables: dict) -> None:
        settings = tables["Settings"]
        settings.loc[settings["setting"] == "first_plan_month", "value"] = "2029-01"

    [problem] = _problems(_company(tmp_path, change))
    assert "24 months after the last history month 2026-12" in problem.message


def test_an_open_ended_table_reference_is_a_problem_not_a_crash(tiny_workbook):
    import re

    from sop_addin.workbook.package import Package

    package = Package.open(tiny_workbook)
    part = package.table_parts(package.sheet_parts()["History"])["saleshistory"]
    package.set(part, re.sub(rb'ref="[^"]*"', b'ref="A2:C"', package.parts[part]))
    tiny_workbook.write_bytes(package.to_bytes())
    problems = _problems(tiny_workbook)
    assert [(p.tab, p.table) for p in problems] == [("History", "SalesHistory")]
    assert "'A2:C' is not a cell range" in problems[0].message


@pytest.mark.parametrize(
    "twin",
    [
        CONTRACT.table("Products").column("family").heading,  # the same header text twice
        "family",  # the column's name beside its label: both name the family column
    ],
)
def test_a_duplicated_header_is_reported_not_guessed(tiny_workbook, twin):
    def mutate(wb: Workbook) -> None:
        ws = sheet_with_table(wb, "Products")
        row = ws[ws.tables["Products"].ref.split(":")[0]].row
        ws.cell(row, header_columns(ws, "Products")["lifecycle"]).value = twin

    problems = _problems(_break(tiny_workbook, mutate))
    [dup] = [p for p in problems if "2 times" in p.message]
    assert _where(dup)[:2] == ("Products", "Products") and dup.column == "family"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("PMP-N-000*", "wildcards"),
        ("PMP-N-00?1", "wildcards"),
        ("PMP~1", "wildcards"),
        (">CTL-N", "comparison"),
        ("=CTL", "comparison"),
        ("CTL\u200b", "invisible character"),
        (" CTL", "space"),
    ],
)
def test_codes_excel_formulas_cannot_match_exactly_are_refused(tmp_path, code, words):
    problems = _problems(_company(tmp_path, lambda t: rename_code(t, "A", code)))
    [problem] = [p for p in problems if p.table == "Products"]
    assert (problem.column, problem.row) == ("sku", 3) and words in problem.message
    assert repr(code) in problem.message


def test_case_only_and_zero_width_twins_are_refused(tmp_path):
    def change(tables: dict) -> None:
        rename_code(tables, "A", "pump-1")
        rename_code(tables, "B", "PUMP-1")
        rename_code(tables, "F", "Pumps")
        rename_code(tables, "G", "pumps")

    problems = _problems(_company(tmp_path, change))
    messages = {(p.column, p.row): p.message for p in problems if p.table == "Products"}
    assert "only in upper/lower case" in messages[("sku", 4)]
    assert "'pump-1' (row 3)" in messages[("sku", 4)]
    assert "only in upper/lower case" in messages[("family", 4)]


def test_percent_means_percent_and_is_bounded(tmp_path):
    who = {"reason_code": "customer", "author": "Ann", "entered_on": "2027-01-02"}

    def change(tables: dict) -> None:  # the tiny company is a 0.2 workbook
        rows = [{"sku": "A", "month": M1, "kind": "percent", "value": 10.0, **who}]
        _add_rows(tables, "Overrides", rows)

    inputs = read_inputs(FilePort.open(_company(tmp_path, change)))
    assert inputs["Overrides"]["value"].tolist() == [10.0]  # +10%, read as written

    def too_low(tables: dict) -> None:
        change(tables)
        tables["Overrides"].loc[0, "value"] = -150.0

    [problem] = _problems(_company(tmp_path, too_low, "low.xlsx"))
    assert problem.column == "value" and "below -100" in problem.message


def test_a_0_1_workbook_reads_its_shares_as_percent_and_migrates(tmp_path):
    who = {"reason_code": "customer", "author": "Ann", "entered_on": "2027-01-02"}

    def change(tables: dict) -> None:  # no contract_version row: written by 0.1
        settings = tables["Settings"]
        tables["Settings"] = settings[settings["setting"] != "contract_version"]
        rows = [{"sku": "A", "month": M1, "kind": "percent", "value": 0.1, **who}]
        _add_rows(tables, "Overrides", rows)

    path = _company(tmp_path, change)
    assert read_inputs(FilePort.open(path))["Overrides"]["value"].tolist() == [10.0]
    result = CliRunner().invoke(cli, ["migrate", str(path)])
    assert result.exit_code == 0 and "from 0.1 to 0.2" in result.output
    port = FilePort.open(path)
    assert read_inputs(port)["Overrides"]["value"].tolist() == [10.0]
    settings = read_inputs(port)["Settings"]
    assert settings.loc[settings["setting"] == "contract_version", "value"].tolist() == ["0.2"]
    again = CliRunner().invoke(cli, ["migrate", str(path)])
    assert "nothing to do" in again.output


def test_an_unknown_contract_version_is_refused(tmp_path):
    def change(tables: dict) -> None:
        settings = tables["Settings"]
        settings.loc[settings["setting"] == "contract_version", "value"] = "9.9"

    [problem] = _problems(_company(tmp_path, change))
    assert "'9.9'" in problem.message and problem.column == "value"


# -- validate passing means run does not reject: edge cases just inside every bound ------------


def _who() -> dict:
    return {"reason_code": "customer", "author": "Ann", "entered_on": "2027-01-02"}


def _new_product_with_analog(tables: dict) -> None:
    new = {"sku": "N", "family": "F", "region": "North", "lifecycle": "launch"}
    _add_rows(tables, "Products", [{**new, "launch_month": M1}])
    _add_rows(tables, "Prices", [{"sku": "N", "unit_price": 10.0}])
    _add_rows(tables, "UnitCosts", [{"sku": "N", "material_cost": 1.0, "labour_hours": 1.0}])
    routing = tables["Routings"].iloc[[0]].assign(sku="N")
    tables["Routings"] = pd.concat([tables["Routings"], routing], ignore_index=True)
    _add_rows(tables, "NewProducts", [{"sku": "N", "analog_sku": "A", "launch_volume": 10.0}])


def _plan_start(month: str) -> Callable[[dict], None]:
    def change(tables: dict) -> None:
        settings = tables["Settings"]
        settings.loc[settings["setting"] == "first_plan_month", "value"] = month

    return change


EDGES: dict[str, Callable[[dict], None]] = {
    "percent override at +500%": lambda t: _add_rows(
        t, "Overrides", [{"sku": "A", "month": M1, "kind": "percent", "value": 500.0, **_who()}]
    ),
    "percent override at -100%": lambda t: _add_rows(
        t, "Overrides", [{"sku": "B", "month": M1, "kind": "percent", "value": -100.0, **_who()}]
    ),
    "absolute override of 0": lambda t: _add_rows(
        t, "Overrides", [{"sku": "A", "month": M1, "kind": "absolute", "value": 0.0, **_who()}]
    ),
    "new product with an analog": _new_product_with_analog,
    "plan 12 months after the history": _plan_start("2028-01"),
    "tricky but exact codes": lambda t: [
        rename_code(t, old, new)
        for old, new in (("A", "A.B-1 (x)"), ("B", "12345"), ("F", "F&G 'q'"))
    ],
}


@pytest.mark.parametrize("edge", list(EDGES))
def test_what_validate_passes_run_plans(tmp_path, edge):
    from sop_addin.actions.cycle import run_cycle
    from sop_addin.core.planning import SolverOptions

    path = _company(tmp_path, EDGES[edge])
    port = FilePort.open(path)
    read_inputs(port)  # validates
    summary = run_cycle(port, options=SolverOptions(relax_lots=True))  # never rejects
    assert summary["plan"]["status"]
