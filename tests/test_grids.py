"""Time-phased grids: key figures in rows, months across, families grouped over SKUs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.actions.cycle import run_cycle
from sop_addin.contract import CONTRACT, Grid, KeyFigure
from sop_addin.contract.problems import ValidationError
from sop_addin.core.grid import FAMILY, SKU, TOTAL, build_grid
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.grids import FIRST_MONTH_COLUMN, FIRST_ROW, HEADER_ROW
from tests.factories import M1, tiny_tables

M0 = M1 - pd.DateOffset(months=1)
M2 = M1 + pd.DateOffset(months=1)
PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C"], "family": ["F", "F", "G"]})
BALANCE = pd.DataFrame(
    {
        "sku": ["A", "A", "B", "B", "C", "C"],
        "month": [M1, M2] * 3,
        "served": [10.0, 20.0, 5.0, 5.0, 1.0, 2.0],
        "closing": [7.0, 3.0, 1.0, 2.0, 0.0, 4.0],
    }
)
HISTORY = pd.DataFrame({"sku": ["A", "C", "A"], "month": [M0, M0, M0 - pd.DateOffset(months=5)]})
HISTORY["quantity"] = [4.0, 6.0, 100.0]
FINANCE = pd.DataFrame(
    {
        "family": ["F", "F", "G", "G"],
        "month": [M1, M2, M1, M2],
        "revenue": [100.0, 300.0, 0.0, 50.0],
        "gross_margin": [20.0, 90.0, 0.0, 10.0],
    }
)
GRID = Grid(
    tab="T",
    key_figures=(
        KeyFigure(label="History", table="H", column="quantity", history=True),
        KeyFigure(label="Served", table="B", column="served"),
        KeyFigure(label="Closing", table="B", column="closing", total="last"),
    ),
)
PNL = Grid(
    tab="P",
    key_figures=(
        KeyFigure(label="Revenue", table="P", column="revenue"),
        KeyFigure(label="GM %", table="P", column="gross_margin/revenue", total="ratio"),
    ),
)


def _rows(data, level, member=""):
    return {
        r.figure.label: r
        for r in data.rows
        if r.level == level and (member in ("", r.family if level == FAMILY else r.sku))
    }


def test_sums_by_month_over_total_family_and_sku():
    months = pd.DatetimeIndex([M1, M2])
    data = build_grid(GRID, {"H": HISTORY, "B": BALANCE}, PRODUCTS, months, history_months=6)
    assert data.months[0] == M1 - pd.DateOffset(months=6) and data.months[-1] == M2
    assert len(data.months) == 8  # six history months, two plan months
    total = _rows(data, TOTAL)
    # Served: M1 = 10 + 5 + 1 = 16, M2 = 20 + 5 + 2 = 27; total 43. History only in history.
    assert total["Served"].values[-2:] == (16.0, 27.0) and total["Served"].total == 43.0
    assert total["Served"].values[:6] == (None,) * 6
    # History: M0 = 4 + 6 = 10, five months earlier 100 (A); total 110.
    assert total["History"].values[5] == 10.0 and total["History"].values[0] == 100.0
    assert total["History"].total == 110.0 and total["History"].values[6:] == (None, None)
    # A stock totals as its last month: closing M2 = 3 + 2 + 4 = 9, not 7+1+0+9.
    assert total["Closing"].total == 9.0
    fam_f = _rows(data, FAMILY, "F")
    assert fam_f["Served"].values[-2:] == (15.0, 25.0)  # A + B
    sku_c = _rows(data, SKU, "C")
    assert sku_c["Closing"].values[-2:] == (0.0, 4.0) and sku_c["Closing"].family == "G"
    # Order: total block, family F, its SKUs A and B, family G, its SKU C.
    order = [(r.level, r.family, r.sku) for r in data.rows[:: len(GRID.key_figures)]]
    assert order == [(0, "", ""), (1, "F", ""), (2, "F", "A"), (2, "F", "B"), (1, "G", ""),
                     (2, "G", "C")]  # fmt: skip


def test_a_ratio_is_the_ratio_of_the_sums_and_blank_without_a_denominator():
    data = build_grid(PNL, {"P": FINANCE}, PRODUCTS, pd.DatetimeIndex([M1, M2]))
    total = _rows(data, TOTAL)
    # M1: 20 / 100 = 0.2; M2: (90 + 10) / (300 + 50) = 0.2857; total 120 / 450 = 0.2667.
    assert total["GM %"].values == (0.2, pytest.approx(100 / 350))
    assert total["GM %"].total == pytest.approx(120 / 450)
    assert _rows(data, FAMILY, "G")["GM %"].values == (None, 0.2)  # no revenue in M1
    assert not [r for r in data.rows if r.level == SKU]  # a family table has no SKU rows


def test_an_empty_table_leaves_its_rows_blank():
    data = build_grid(GRID, {}, PRODUCTS, pd.DatetimeIndex([M1]))
    assert [r.level for r in data.rows] == [TOTAL] * 3
    assert all(v is None for r in data.rows for v in r.values)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = create_workbook(tmp_path_factory.mktemp("grids") / "plan.xlsx", tiny_tables())
    port = FilePort.open(path)
    run_cycle(port)
    port.save()
    return path


def _grid_rows(ws):
    """(family, SKU, key figure) -> the month values and the Total (edit columns left out)."""
    headers = [c.value for c in ws[HEADER_ROW]]
    end = headers.index("Total") + 1
    return {
        (row[0], row[1], row[2]): row[FIRST_MONTH_COLUMN - 1 : end]
        for row in ws.iter_rows(min_row=FIRST_ROW, values_only=True)
    }


def test_the_cycle_draws_each_grid_from_a1_before_its_data_tab(planned):
    wb = load_workbook(planned)
    for grid in CONTRACT.grids:
        names = wb.sheetnames
        # The grid, then other views of its tables (the Forecast chart), then the tables.
        assert names.index(grid.tab) < names.index(grid.data_tab)
        between = names[names.index(grid.tab) + 1 : names.index(grid.data_tab)]
        assert set(between) <= {"Forecast chart"}
        ws = wb[grid.tab]
        assert ws["A1"].value.startswith(grid.tab)
        assert [c.value for c in ws[HEADER_ROW]][:3] == ["Family", "SKU", "Key figure"]
        assert not ws.tables  # the grid is a view; the tables live on the data tab
        assert ws.sheet_properties.outlinePr.summaryBelow is False
    demand = _grid_rows(wb["Demand"])
    # The tiny company: A sells 50 a month (family F), B 30 (family G); two plan months
    # after six history months. Consensus total: 50 + 30 = 80 a month, 160 in all.
    assert demand[("Total", None, "Consensus demand")][-3:] == (80, 80, 160)
    assert demand[("Total", None, "Sales history")][:6] == (80,) * 6
    assert demand[("F", "A", "Consensus demand")][-1] == 100
    supply = _grid_rows(wb["Supply"])
    # A's resource makes 20 a month: 30 of its 50 unmet, twice.
    assert supply[("F", "A", "Unmet demand")] == (30, 30, 60)
    finance = _grid_rows(wb["Finance"])
    # Served A 20 at 10 (cost 2), B 30 at 30 (cost 3): (160 + 810) / (200 + 900) = 0.8818.
    assert finance[("Total", None, "Gross margin %")][0] == pytest.approx(970 / 1100)


def test_families_group_their_skus_in_an_outline(planned):
    ws = load_workbook(planned)["Demand"]
    levels = {}
    for row in range(FIRST_ROW, ws.max_row + 1):
        dims = ws.row_dimensions[row]
        levels[(ws.cell(row, 1).value, ws.cell(row, 2).value)] = (dims.outlineLevel, dims.hidden)
    assert levels[("Total", None)] == (0, False)
    assert levels[("F", None)] == (1, False)
    assert levels[("F", "A")] == (2, True)  # SKUs start folded under their family
    consensus = next(
        r for r in range(FIRST_ROW, ws.max_row + 1)
        if ws.cell(r, 2).value == "A" and ws.cell(r, 3).value == "Consensus demand"
    )  # fmt: skip
    total = [c.value for c in ws[HEADER_ROW]].index("Total") + 1
    plan_cell = ws.cell(consensus, total - 1)  # the last plan month
    assert plan_cell.number_format == "#,##0"  # whole units, thousands separated
    assert plan_cell.fill.fgColor.rgb.endswith("FFF2CC") and not plan_cell.protection.locked
    history_cell = ws.cell(consensus, FIRST_MONTH_COLUMN)
    assert history_cell.protection.locked  # history is not the planner's to change


def test_a_workbook_from_before_the_grids_is_refused_with_the_rename_to_do(tmp_path):
    path = create_workbook(tmp_path / "old.xlsx", tiny_tables())
    wb = load_workbook(path)
    for view in ("Demand", "Supply", "Finance", "Exec", "Forecast chart"):
        del wb[view]
    for tab in ("Demand", "Supply", "Finance", "Exec"):
        wb[f"{tab} data"].title = tab  # the older layout: the tables on these tabs
    wb.save(path)
    with pytest.raises(ValidationError) as caught:
        run_cycle(FilePort.open(path))
    messages = {p.tab: p.message for p in caught.value.problems}
    assert set(messages) == {"Demand", "Supply", "Finance", "Exec"}
    assert "rename the tab 'Supply' to 'Supply data'" in messages["Supply"]
    assert load_workbook(path).sheetnames[9] == "Finance"  # nothing written
