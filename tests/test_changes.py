"""Changes since the last approved plan: figures by family and the inputs that moved them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.actions.cycle import run_cycle
from sop_addin.core.changes import changes_table
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.dashboard import BRIDGE_COLUMN
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output, read_table, write_input_table
from tests.approval_support import approve_tiny, planned_tiny
from tests.factories import M1, tiny_tables

PRODUCTS = pd.DataFrame({"sku": ["A", "B"], "family": ["F", "G"]})


def _balance(demand_a: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"sku": ["A", "B"], "month": [M1, M1], "demand": [demand_a, 30.0],
         "production": [demand_a, 30.0]}
    )  # fmt: skip


def test_figures_by_family_and_the_input_rows_that_changed():
    finance = pd.DataFrame(
        {"family": ["F", "G"], "month": [M1, M1], "revenue": [500.0, 900.0],
         "gross_margin": [400.0, 810.0]}
    )  # fmt: skip
    overrides_then = pd.DataFrame({"sku": ["B"], "value": [1.0]})
    overrides_now = pd.DataFrame({"sku": ["B", "A"], "value": [2.0, 70.0]})
    approved = {"ProductBalance": _balance(50.0), "FinancePlan": finance,
                "Overrides": overrides_then, "Products": PRODUCTS}  # fmt: skip
    current = {"ProductBalance": _balance(70.0),
               "FinancePlan": finance.assign(revenue=[700.0, 900.0]),
               "Overrides": overrides_now, "Products": PRODUCTS}  # fmt: skip
    table = changes_table(approved, current, PRODUCTS).set_index(["kind", "item", "measure"])
    # Demand of F: 50 -> 70 (+20); the Total moves by the same; G is unchanged.
    assert table.loc[("plan", "F", "demand"), ["approved", "current", "change"]].tolist() == [
        50.0,
        70.0,
        20.0,
    ]
    assert table.loc[("plan", "Total", "demand"), "change"] == 20.0
    assert table.loc[("plan", "G", "demand"), "change"] == 0.0
    assert table.loc[("plan", "Total", "revenue"), "change"] == 200.0  # 500 -> 700 for F
    # Overrides: B's value retyped (changed) and A's added: 2 rows new, 1 then, 2 now.
    overrides = table.loc[("input", "Overrides", "rows")]
    assert overrides[["approved", "current", "change"]].tolist() == [1.0, 2.0, 2.0]
    assert ("input", "Products", "rows") not in table.index  # unchanged tables are not listed


def test_the_first_cycle_has_nothing_to_compare_with(tmp_path: Path):
    planned = planned_tiny(tmp_path)
    frame = read_output(FilePort.open(planned), "Changes", "t", allow_empty=True)
    assert frame.empty and not (tmp_path / ".sop-store").exists()  # no store created
    ws = load_workbook(planned)["Exec"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("No approved plan to compare with yet") for t in texts)


@pytest.fixture(scope="module")
def replanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("changes")
    planned = planned_tiny(folder)
    approve_tiny(planned)
    port = FilePort.open(planned)
    overrides, _ = read_table(port, "Overrides")
    row = {"sku": "A", "month": M1, "kind": "absolute", "value": 80.0,
           "reason_code": "customer", "author": "Ana", "entered_on": "2027-01-02"}  # fmt: skip
    assert overrides is not None
    write_input_table(port, "Overrides", pd.concat([overrides, pd.DataFrame([row])]))
    summary = run_cycle(port)
    port.save()
    return planned, summary


def test_a_new_override_shows_as_a_demand_change_and_an_input_change(replanned):
    planned, summary = replanned
    changes = summary["changes_since_approval"]
    # A's January demand 50 -> 80: +30 units of demand; one row added to Overrides.
    assert changes["totals"]["demand"] == pytest.approx(30.0)
    assert changes["inputs_changed"] == {"Overrides": 1}
    assert changes["snapshot"].endswith(".xlsx")
    table = read_output(FilePort.open(planned), "Changes", "t").set_index(["item", "measure"])
    assert table.loc[("F", "demand"), "change"] == pytest.approx(30.0)
    assert table.loc[("G", "demand"), "change"] == 0.0


def test_the_exec_page_shows_the_changes_and_the_revenue_bridge(replanned):
    planned, _ = replanned
    ws = load_workbook(planned)["Exec"]
    found = {
        ws.cell(r, 1).value: ws.cell(r, 4).value
        for r in range(1, ws.max_row + 1)
        if ws.cell(r, 1).value in ("Demand", "Revenue")
    }
    assert found["Demand"] == pytest.approx(30.0)
    bridge = [
        ws.cell(r, BRIDGE_COLUMN).value
        for r in range(1, ws.max_row + 1)
        if ws.cell(r, BRIDGE_COLUMN).value is not None
    ]
    assert bridge[0] == "Revenue bridge" and bridge[1] == "Approved" and bridge[-1] == "Current"
    names = zipfile.ZipFile(planned).namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == 3 + 1 + 1  # + bridge


def test_a_workbook_made_before_the_changes_table_still_runs(tmp_path: Path):
    path = create_workbook(tmp_path / "old.xlsx", tiny_tables())
    wb = load_workbook(path)
    ws = wb["Exec data"]
    ref = ws.tables["Changes"].ref
    del ws.tables["Changes"]
    for row in ws[ref]:
        for cell in row:
            cell.value = None
    wb.save(path)
    port = FilePort.open(path)
    summary = run_cycle(port)
    assert summary["changes_since_approval"] is None
    port.save()
    assert "Exec" in load_workbook(path).sheetnames
