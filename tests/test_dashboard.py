"""The Exec dashboard: KPI tiles, the checklist, alert colours, one printed page."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from sop_addin.actions.cycle import run_cycle
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.dashboard import (
    CHANGES_ROWS,
    CHART_ROWS,
    COLUMNS,
    FIRST_TILE_ROW,
    changes_row,
    chart_row,
    checklist_row,
    load_alerts,
    print_range,
)
from sop_addin.workbook.file_port import FilePort
from tests.factories import tiny_tables


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = create_workbook(tmp_path_factory.mktemp("dash") / "plan.xlsx", tiny_tables())
    port = FilePort.open(path)
    run_cycle(port)
    port.save()
    return path


def _rules(ws) -> dict[str, list]:
    return {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}


def test_tiles_show_the_kpis_and_alert_when_out_of_bounds(planned):
    wb = load_workbook(planned)
    assert wb.active.title == "Exec"
    ws = wb["Exec"]
    tiles = {
        ws.cell(row, column).value: ws.cell(row + 1, column)
        for row in (FIRST_TILE_ROW, FIRST_TILE_ROW + 4)
        for column in range(1, 8)
        if ws.cell(row, column).value
    }
    # The tiny company serves 100 of 160 units: 60 unmet, fill rate 62.5%.
    assert tiles["Unmet demand"].value == 60 and tiles["Fill rate"].value == 62.5
    assert tiles["Fill rate"].number_format == '0.0"%"'
    assert tiles["Revenue, EUR"].number_format == "#,##0"  # the currency in the label
    rules = _rules(ws)
    unmet = rules[tiles["Unmet demand"].coordinate][0]
    assert (unmet.operator, unmet.formula) == ("greaterThan", ["0"])
    fill = rules[tiles["Fill rate"].coordinate][0]
    assert (fill.operator, fill.formula) == ("lessThan", ["95"])
    # Gross margin % below the FinanceRates threshold, in percent like the tile.
    margin = rules[tiles["Gross margin %"].coordinate][0]
    assert margin.operator == "lessThan" and float(margin.formula[0]) > 0
    util = rules[tiles["Peak capacity utilisation"].coordinate][0]
    assert (util.operator, util.formula) == ("greaterThan", ["95"])
    assert "Forecast bias" in tiles and tiles["Forecast bias"].coordinate not in rules  # n/a


def test_the_checklist_is_coloured_by_status_and_the_page_is_set(planned):
    wb = load_workbook(planned)
    ws = wb["Exec"]
    top = checklist_row()
    checks = []
    row = top + 1
    while ws.cell(row, 1).value:
        checks.append((ws.cell(row, 1).value, ws.cell(row, 3).value))
        row += 1
    assert ("Supply feasible", "fail") in checks
    rules = _rules(ws)[f"C{top + 1}:C{top + len(checks)}"]
    assert {(r.formula[0], r.dxf.fill.fgColor.rgb[-6:]) for r in rules} == {
        ('"fail"', "F8CBAD"),
        ('"warn"', "FFE699"),
    }
    # Tiles, checklist, the charts and the changes under them, nine columns wide, one page.
    assert changes_row(len(checks)) == chart_row(len(checks)) + CHART_ROWS + 1
    last = changes_row(len(checks)) + CHANGES_ROWS
    assert print_range(len(checks)) == f"A1:I{last}"
    assert ws.print_area == f"'Exec'!$A$1:$I${last}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToHeight == 1
    assert ws.max_column <= COLUMNS


def test_table_columns_named_in_alerts_csv_get_their_rule_once(planned):
    port = FilePort.open(planned)
    run_cycle(port)  # a second run must not pile up rules
    port.save()
    ws = load_workbook(planned)["Exec data"]
    targets = [a.target for a in load_alerts() if "." in a.target]
    assert len([cf for cf in ws.conditional_formatting for _ in cf.rules]) == len(targets)
