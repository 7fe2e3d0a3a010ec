"""The template comes from the contract alone and is byte-reproducible."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from sop_addin.contract import CONTRACT, Role
from sop_addin.workbook.layout import EDITABLE_FILL, OUTPUT_FILL
from sop_addin.workbook.template import TEMPLATE_NAME, sheet_order, write_template

COMMITTED = Path(__file__).resolve().parents[1] / "templates" / TEMPLATE_NAME


def test_committed_template_equals_a_fresh_build(tmp_path):
    fresh = write_template(tmp_path)
    assert COMMITTED.read_bytes() == fresh.read_bytes(), (
        "templates/sop_planning.xlsx is stale: run `sop template --out templates/` and commit it"
    )


def test_two_builds_are_identical(tmp_path):
    a = write_template(tmp_path / "a").read_bytes()
    b = write_template(tmp_path / "b").read_bytes()
    assert a == b


def test_template_structure():
    wb = load_workbook(COMMITTED)
    assert wb.sheetnames == sheet_order(CONTRACT)
    views = {"Exec", "Forecast chart", *(g.tab for g in CONTRACT.grids)}
    assert [n for n in wb.sheetnames if n not in views] == [tab.name for tab in CONTRACT.tabs]
    assert wb.active.title == "Exec"  # opens on the one-page view
    for tab in CONTRACT.tabs:
        ws = wb[tab.name]
        assert ws.freeze_panes == "A3"
        assert ws.protection.sheet == tab.protected
        for table in tab.tables:
            excel_table = ws.tables[table.name]
            header = next(ws.iter_rows(min_row=2, max_row=2, values_only=True))
            assert [c.name for c in excel_table.tableColumns] == table.headings
            assert set(table.headings) <= set(header)
            first_col = excel_table.ref.split(":")[0].rstrip("0123456789")
            body = ws[f"{first_col}3"]
            fill = EDITABLE_FILL if table.role is not Role.OUTPUT else OUTPUT_FILL
            assert body.fill.fgColor.rgb == fill.fgColor.rgb
            assert body.protection.locked is (table.role is Role.OUTPUT)


def test_enumerations_and_bounds_have_data_validation():
    wb = load_workbook(COMMITTED)
    rules = {
        (ws.title, dv.errorTitle): dv
        for ws in wb.worksheets
        for dv in ws.data_validations.dataValidation
    }
    lifecycle = rules[("Products", "Products.lifecycle")]
    assert lifecycle.type == "list"
    assert lifecycle.formula1 == '"launch,growth,mature,decline,phase-out"'
    efficiency = rules[("Resources", "Resources.efficiency")]
    assert (efficiency.type, efficiency.operator) == ("decimal", "between")
    assert rules[("OpenOrders", "OpenOrders.order_type")].formula1 == '"purchase,production"'


def test_settings_are_listed_with_defaults():
    ws = load_workbook(COMMITTED)["Setup"]
    rows = list(ws.iter_rows(min_row=3, max_col=2, values_only=True))
    assert [r[0] for r in rows] == [s.name for s in CONTRACT.settings]
    assert dict(rows)["horizon_months"] == "18"
    assert dict(rows)["first_plan_month"] is None
