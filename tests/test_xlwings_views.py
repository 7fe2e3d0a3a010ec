"""The planner's views drawn in a live Excel book (xlwings), as the file path draws them.

A run through the ribbon on the xlwings stand-in (tests/xlwings_fake.py) is compared cell by
cell with the same run on the workbook file; a consensus typed into the live grid becomes an
override on the next run; the planner's own cells outside a view survive.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from sop_addin.actions.cycle import run_cycle
from sop_addin.contract import CONTRACT
from sop_addin.core.grid import SKU, TOTAL
from sop_addin.excel.ribbon import run_action
from sop_addin.workbook.charts import EXEC_CHARTS
from sop_addin.workbook.dashboard import EXEC_TAB
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.forecast_chart import FORECAST_TAB
from sop_addin.workbook.grids import EDIT_COLUMNS, FIRST_MONTH_COLUMN, FIRST_ROW, HEADER_ROW
from sop_addin.workbook.layout import EDITABLE_COLOR, placements
from sop_addin.workbook.sheet_drawing import AlertRule, Box, SheetDrawing, Style
from sop_addin.workbook.tables import read_output, read_table
from sop_addin.workbook.xlwings_cells import address, rectangles
from sop_addin.workbook.xlwings_port import XlwingsPort
from sop_addin.workbook.xlwings_views import draw_live, view_name
from tests.factories import M1
from tests.xlwings_fake import FakeRange, ShapeAlreadyExists, book_from_file

GRID_TABS = [g.tab for g in CONTRACT.grids]
VIEWS = [*GRID_TABS, EXEC_TAB, FORECAST_TAB]
PALE_YELLOW = tuple(int(EDITABLE_COLOR[i : i + 2], 16) for i in (0, 2, 4))


def _run_live(book, platform: str = "win32") -> list[str]:
    """Run Cycle as the ribbon button does (staged, then applied); return the alerts."""
    alerts: list[str] = []
    assert run_action("run_cycle", XlwingsPort(book, platform=platform), alerts.append), alerts
    return alerts


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny company before a run, and after one run on the file."""
    from sop_addin.workbook.create import create_workbook
    from tests.factories import tiny_tables

    tmp = tmp_path_factory.mktemp("live")
    fresh = create_workbook(tmp / "fresh.xlsx", tiny_tables())
    planned = tmp / "planned.xlsx"
    shutil.copy(fresh, planned)
    port = FilePort.open(planned)
    run_cycle(port)
    port.save()
    return {"fresh": fresh, "planned": planned}


def _live_book(files: dict[str, Path], folder: Path):
    path = folder / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path)
    _run_live(book)
    return book


@pytest.fixture
def live(files, tmp_path):
    """A live book of the fresh workbook after Run Cycle through the ribbon (to change)."""
    return _live_book(files, tmp_path)


@pytest.fixture(scope="module")
def seen(files, tmp_path_factory):
    """The same, shared by the tests that only look at it."""
    return _live_book(files, tmp_path_factory.mktemp("seen"))


def _number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(float(value), 6)


def _file_values(ws) -> dict[tuple[int, int], object]:
    """The openpyxl sheet's values as Excel hands them over (numbers as floats)."""
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if value is None:
                continue
            if isinstance(value, str) and value.startswith("="):
                continue  # formulas: compared as formulas
            out[(cell.row, cell.column)] = _number(value)
    return out


def _sheet(book, name):
    return next(s for s in book.sheets if s.name == name)


def test_a_live_run_draws_every_view_as_the_file_run_does(files, seen):
    wb = load_workbook(files["planned"])
    for tab in VIEWS:
        sheet = _sheet(seen, tab)
        got = {cell: _number(v) for cell, v in sheet.cells.items()}
        assert got == _file_values(wb[tab]), tab
        formulas = {
            (c.row, c.column): c.value
            for line in wb[tab].iter_rows()
            for c in line
            if isinstance(c.value, str) and c.value.startswith("=")
        }
        assert sheet.formulas == formulas, tab  # the forecast chart's lookups, nothing else
    assert [s.name for s in seen.sheets] == wb.sheetnames  # no tab added or moved


def test_the_live_grid_has_the_file_grids_formats_outline_and_yellow_cells(files, seen):
    wb = load_workbook(files["planned"])
    for tab in GRID_TABS:
        ws, sheet = wb[tab], _sheet(seen, tab)
        for row in range(HEADER_ROW, ws.max_row + 1):
            dims = ws.row_dimensions[row]
            # Excel's OutlineLevel counts an ungrouped row as 1; the file's outlineLevel as 0.
            assert sheet.outline.get(row, 1) == (dims.outlineLevel or 0) + 1, (tab, row)
            assert (row in sheet.hidden_rows) == bool(dims.hidden), (tab, row)
            for column in range(1, ws.max_column + 1):
                cell, style = ws.cell(row, column), sheet.styles.get((row, column), {})
                if cell.number_format != "General":
                    assert style.get("number_format") == cell.number_format, cell.coordinate
                fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
                want = None if fill is None else tuple(int(fill[i : i + 2], 16) for i in (2, 4, 6))
                assert style.get("fill") == want, (tab, cell.coordinate)
                assert bool(style.get("bold")) == bool(cell.font.b), (tab, cell.coordinate)
                assert style.get("locked", True) == cell.protection.locked, cell.coordinate
        reasons = {c for c, rule in sheet.validations.items() if rule[0] == "list"}
        file_reasons = {
            cell
            for dv in ws.data_validations.dataValidation
            for rng in dv.sqref
            for cell in rng.cells
        }
        assert reasons == file_reasons, tab
        assert sheet.api.Outline.SummaryRow == 0  # the +/- on the family row above its SKUs
    demand = _sheet(seen, "Demand")
    yellow = [c for c, s in demand.styles.items() if s.get("fill") == PALE_YELLOW]
    assert yellow  # the consensus rows of families and SKUs, and their author and reason


def test_the_exec_page_and_forecast_chart_are_live(live):
    exec_sheet = _sheet(live, EXEC_TAB)
    assert exec_sheet.page_setup.print_area.startswith("A1:I")
    statuses = [r for r in exec_sheet.conditional_formats if r["operator"] == "equal_to"]
    assert {r["formulas"][0] for r in statuses} >= {'"fail"', '"warn"'}
    chart_sheet = _sheet(live, FORECAST_TAB)
    (chart,) = list(chart_sheet.charts)
    assert chart.chart_type == "line" and chart.source.startswith("$A$5:$G$")
    _run_live(live)  # a second run updates the chart's source, adds no second chart
    assert len(chart_sheet.charts) == 1
    member_list = chart_sheet.validations[(3, 2)]
    assert member_list[0] == "range" and member_list[2].startswith("$K$6")


def _consensus_cell(sheet, family: str, sku: str | None, month: pd.Timestamp) -> tuple[int, int]:
    header = {v: c for (r, c), v in sheet.cells.items() if r == HEADER_ROW}
    labels = {
        r: tuple(sheet.cells.get((r, c)) for c in (1, 2, 3))
        for r in {r for r, _ in sheet.cells if r >= FIRST_ROW}
    }
    row = next(r for r, got in labels.items() if got == (family, sku, "Consensus demand"))
    return row, header[month.to_pydatetime()]


def test_a_consensus_typed_in_the_live_grid_becomes_an_override(live):
    demand = _sheet(live, "Demand")
    row, column = _consensus_cell(demand, "F", "A", M1)
    assert demand.cells[(row, column)] == 50.0  # the tiny company's A: 50 a month
    header = {v: c for (r, c), v in demand.cells.items() if r == HEADER_ROW}
    # What the planner types: one value, then the author and the reason beside the Total.
    demand.range((row, column)).value = 120
    demand.range((row, header[EDIT_COLUMNS[0]])).value = [["Ana", "promotion"]]
    _run_live(live)
    port = XlwingsPort(live)
    overrides, problems = read_table(port, "Overrides")
    assert not problems and overrides is not None
    assert [(r.sku, r.kind, r.value, r.author, r.reason_code) for r in overrides.itertuples()] == [
        ("A", "absolute", 120.0, "Ana", "promotion")
    ]
    assert overrides["entered_on"].astype(str).tolist() == [date.today().isoformat()]
    consensus = read_output(port, "Consensus", "t").set_index(["sku", "month"])
    assert consensus.loc[("A", M1), "consensus"] == 120.0
    row, column = _consensus_cell(demand, "F", "A", M1)
    assert demand.cells[(row, column)] == 120.0  # the edit survives the run
    total_row, _ = _consensus_cell(demand, "Total", None, M1)
    assert demand.cells[(total_row, column)] == 150.0  # 120 + B's 30
    _run_live(live)  # nothing typed: nothing added
    overrides, _ = read_table(port, "Overrides")
    assert overrides is not None and len(overrides) == 1


def test_an_edit_without_its_author_is_named_and_nothing_changes(live):
    demand = _sheet(live, "Demand")
    row, column = _consensus_cell(demand, "F", "A", M1)
    demand.range((row, column)).value = 10
    before = {s.name: dict(s.cells) for s in live.sheets}
    alerts: list[str] = []
    assert run_action("run_cycle", XlwingsPort(live), alerts.append) is False
    assert "Demand" in alerts[0] and f"row {row}" in alerts[0] and "Edited by" in alerts[0]
    assert {s.name: dict(s.cells) for s in live.sheets} == before  # all or nothing


def test_the_planners_cells_outside_a_view_survive_a_run(live):
    demand, exec_sheet = _sheet(live, "Demand"), _sheet(live, EXEC_TAB)
    area = live.names[view_name("Demand")].refers_to
    assert area.startswith("='Demand'!$A$1:$")
    last_row = max(r for r, _ in demand.cells)
    last_column = max(c for _, c in demand.cells)
    demand.range((last_row + 3, 2)).value = "my note below"
    demand.range((FIRST_ROW, last_column + 2)).value = [["beside", 7]]
    exec_sheet.range((60, 12)).value = "exec note"
    inside = (FIRST_ROW, FIRST_MONTH_COLUMN)  # a grid cell: the view's to redraw
    drawn = demand.cells.get(inside)
    demand.range(inside).value = "stray"
    _run_live(live)
    assert demand.cells[(last_row + 3, 2)] == "my note below"
    assert demand.cells[(FIRST_ROW, last_column + 2)] == "beside"
    assert demand.cells[(FIRST_ROW, last_column + 3)] == 7.0
    assert exec_sheet.cells[(60, 12)] == "exec note"
    assert demand.cells.get(inside) == drawn


def test_panes_are_frozen_again_and_the_planner_stays_on_their_tab(files, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path)
    active = book.sheets.active
    _run_live(book)
    for tab in GRID_TABS:  # as the file's grid tabs: labels and headers stay in view
        assert _sheet(book, tab).freeze == (FIRST_ROW, FIRST_MONTH_COLUMN)
    assert book.sheets.active is active


def test_a_deleted_view_tab_is_named_before_anything_runs(files, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path)
    book.sheets.items.remove(_sheet(book, "Supply"))
    before = {s.name: dict(s.cells) for s in book.sheets}
    alerts: list[str] = []
    assert run_action("run_cycle", XlwingsPort(book), alerts.append) is False
    assert "the tab 'Supply' is missing" in alerts[0]
    assert {s.name: dict(s.cells) for s in book.sheets} == before


def test_on_a_mac_the_views_are_drawn_without_com(files, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path, mac=True)
    _run_live(book, platform="darwin")
    wb = load_workbook(files["planned"])
    demand = _sheet(book, "Demand")
    assert {c: _number(v) for c, v in demand.cells.items()} == _file_values(wb["Demand"])
    assert not demand.outline and not demand.hidden_rows  # no outline: SKU rows stay open
    assert not list(_sheet(book, EXEC_TAB).charts)  # multi-area sources: Windows only


def test_views_report_progress_on_the_status_bar(seen):
    shown = [str(s) for s in seen.app.history]
    grids = [s for s in shown if s.startswith("S&OP: Grids")]
    assert grids[-1] == f"S&OP: Grids ({len(GRID_TABS)}/{len(GRID_TABS)})"
    assert "S&OP: Exec dashboard (1/1)" in shown
    assert seen.app.status_bar is False and seen.app.screen_updating is True


def test_values_cross_in_blocks_not_cell_by_cell(files, tmp_path, monkeypatch):
    path = tmp_path / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path)
    writes: list[tuple[str, int]] = []
    original = FakeRange.value.fset

    def counting(self, data):
        writes.append((self.sheet.name, len(data) if isinstance(data, list) else 1))
        original(self, data)

    monkeypatch.setattr(FakeRange, "value", FakeRange.value.setter(counting))
    _run_live(book)
    demand_writes = [n for tab, n in writes if tab == "Demand"]
    rows = max(r for r, _ in _sheet(book, "Demand").cells)
    # Title, label headers, month headers and one block for every row of the grid.
    assert len(demand_writes) == 4 and max(demand_writes) == rows - FIRST_ROW + 1


# -- the stand-in behaves as xlwings 0.37.8 does ------------------------------------------


def test_the_fake_returns_what_xlwings_returns(files):
    book = book_from_file(files["fresh"])
    sheet = book.sheets["Setup"]
    sheet.range("H1").value = [[1, 2], [3, None]]
    assert sheet.range("H1").value == 1.0  # one cell: a scalar, numbers as floats
    assert sheet.range("H1:I1").value == [1.0, 2.0]  # one row: a flat list
    assert sheet.range("H1:H2").value == [1.0, 3.0]  # one column: a flat list
    assert sheet.range("H1:I2").value == [[1.0, 2.0], [3.0, None]]  # empty cells are None
    assert sheet.range("H1").options(ndim=2).value == [[1.0]]
    sheet.range("H4").value = datetime(2027, 1, 1)
    assert sheet.range("H4").value == datetime(2027, 1, 1)
    assert len(sheet.range("H1:I2").rows) == 2 and sheet.range("H1:I2").shape == (2, 2)
    with pytest.raises(TypeError):
        int(sheet.range("H1:I2").rows)  # a RangeRows, as in xlwings


def test_the_fake_raises_where_xlwings_raises(files):
    book = book_from_file(files["fresh"])
    with pytest.raises(ValueError, match="already present"):
        book.sheets.add("demand")  # sheet names are unique, whatever the case
    sheet = book.sheets["Demand"]
    assert not hasattr(sheet, "freeze_panes") and not hasattr(sheet.range("A1"), "group")
    sheet.charts.add(name="c", source=sheet.range("A1:B2"))
    with pytest.raises(ShapeAlreadyExists):
        sheet.charts.add(name="c")
    with pytest.raises(ValueError, match="anchor"):
        sheet.charts.add(top=5, anchor=sheet.range("A1"))
    with pytest.raises(ValueError, match="formula2"):
        sheet.range("A1").conditional_formats.add_cell_value("between", 1)
    with pytest.raises(ValueError, match="one-dimensional"):
        sheet.range("A1").data_validation.set_list(sheet.range("A1:B2"))
    mac = book_from_file(files["fresh"], mac=True)
    with pytest.raises(AttributeError):
        mac.sheets["Demand"].range("A1").api.Locked = False  # appscript has no COM names


@pytest.mark.parametrize(
    "cells",
    [
        {(1, 1), (1, 2), (2, 1), (2, 2), (4, 2)},
        {(r, c) for r in range(3, 9) for c in (1, 2, 5)} | {(9, 1)},
        {(row, SKU + TOTAL + 1) for row in range(1, 40, 2)},
    ],
)
def test_rectangles_cover_exactly_the_cells(cells):
    boxes = rectangles(cells)
    covered = [cell for box in boxes for cell in box.cells()]
    assert sorted(covered) == sorted(cells)  # each cell once, none outside
    assert len(boxes) <= len({r for r, _ in cells}) * 2


def test_rectangles_stack_matching_rows():
    assert rectangles({(r, c) for r in range(3, 7) for c in range(1, 5)}) == [Box(3, 1, 4, 4)]


def test_table_alerts_are_set_live_once_and_the_planners_own_stay(files, live):
    wb = load_workbook(files["planned"])
    file_rules = {
        str(rng.sqref): sorted((r.operator, tuple(r.formula)) for r in rules)
        for rng, rules in wb["Exec data"].conditional_formatting._cf_rules.items()
    }
    sheet = _sheet(live, "Exec data")
    mine = sheet.range("ZZ3:ZZ9")
    mine.conditional_formats.add_cell_value("greater_than", 1, fill_color="#00FF00")
    _run_live(live)  # a second run: the product's rules replaced, not piled up

    def excel_operator(name: str) -> str:  # xlwings' names back to Excel's cellIs names
        parts = name.split("_")
        word = parts[0] + "".join(p.capitalize() for p in parts[1:])
        return {"equalTo": "equal", "notEqualTo": "notEqual"}.get(word, word)

    live_rules: dict[str, list] = {}
    for rule in sheet.conditional_formats:
        rows = sorted({r for r, _ in rule["cells"]})
        columns = sorted({c for _, c in rule["cells"]})
        box = Box(rows[0], columns[0], len(rows), len(columns))
        key = address(box)
        formulas = tuple(f for f in rule["formulas"] if f is not None)
        live_rules.setdefault(key, []).append((excel_operator(rule["operator"]), formulas))
    assert live_rules.pop("ZZ3:ZZ9") == [("greaterThan", ("1",))]  # the planner's own
    assert {k: sorted(v) for k, v in live_rules.items()} == file_rules


def _contract_column(table: str, column: str) -> str:
    """The column letter where the contract places a table's column on its tab."""
    placement = next(
        p for p in placements(CONTRACT, CONTRACT.table(table).tab) if p.table.name == table
    )
    return placement.column_letter(placement.table.column_names.index(column))


def test_the_exec_charts_are_made_live_over_their_table_columns(live):
    exec_sheet = _sheet(live, EXEC_TAB)
    charts = {c.name: c for c in exec_sheet.charts}
    assert set(charts) == {spec.title for spec in EXEC_CHARTS}
    for spec in EXEC_CHARTS:
        table = _sheet(live, "Exec data").tables
        found = next(t for t in table if t.name == spec.table)
        first, last = found.range.row, found.range.row + found.range.shape[0] - 1
        want = ",".join(
            f"${letter}${first}:${letter}${last}"
            for letter in (_contract_column(spec.table, c) for c in (spec.categories, *spec.series))
        )
        chart = charts[spec.title]
        assert (chart.source_sheet, chart.source) == ("Exec data", want), spec.title
        assert chart.chart_type == ("column_clustered" if spec.kind == "bar" else "line")
    _run_live(live)
    assert len(exec_sheet.charts) == len(EXEC_CHARTS)  # updated, not added again


def test_apply_consensus_alone_takes_a_live_edit_and_redraws_the_grid(live):
    demand = _sheet(live, "Demand")
    row, column = _consensus_cell(demand, "G", None, M1)  # family G holds only B (30 a month)
    header = {v: c for (r, c), v in demand.cells.items() if r == HEADER_ROW}
    demand.range((row, column)).value = 90
    demand.range((row, header[EDIT_COLUMNS[0]])).value = [["Bo", "Market"]]  # any case
    alerts: list[str] = []
    assert run_action("apply_consensus", XlwingsPort(live), alerts.append), alerts
    overrides, _ = read_table(XlwingsPort(live), "Overrides")
    assert overrides is not None
    assert [(r.sku, r.value, r.reason_code) for r in overrides.itertuples()] == [
        ("B", 90.0, "market")
    ]
    sku_row, _ = _consensus_cell(demand, "G", "B", M1)
    assert demand.cells[(sku_row, column)] == 90.0  # the family's edit, split to its SKU


def test_a_protected_view_tab_is_drawn_and_protected_again(files, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(files["fresh"], path)
    book = book_from_file(path)
    exec_sheet = _sheet(book, EXEC_TAB)
    exec_sheet.api.ProtectContents = True  # a planner protected the page
    _run_live(book)
    assert exec_sheet.api.ProtectContents
    assert exec_sheet.cells[(1, 1)] == "S&OP executive summary"
    assert any(r == 5 for r, _ in exec_sheet.cells)  # the tiles' values


def test_a_smaller_drawing_leaves_nothing_of_the_larger_one(files):
    book = book_from_file(files["fresh"])
    big = SheetDrawing(tab="Supply", before="Supply data", tab_color="1F4E78")
    big.write(3, 1, [["x"] * 6 for _ in range(8)])
    big.style(Box(3, 1, 8, 6), Style(fill="BDD7EE", number_format="#,##0"))
    big.outline.update({row: 2 for row in range(4, 11)})
    big.collapsed.extend(range(4, 11))
    big.alerts.append(AlertRule(Box(3, 2, 8, 1), "greaterThan", ("0",), "F8CBAD", "9C0006"))
    draw_live(book, big, "win32")
    small = SheetDrawing(tab="Supply", before="Supply data", tab_color="1F4E78")
    small.write(3, 1, [["y", 1.0]])
    draw_live(book, small, "win32")
    sheet = book.sheets["Supply"]
    assert sheet.cells == {(3, 1): "y", (3, 2): 1.0}
    assert not sheet.styles and not sheet.outline and not sheet.hidden_rows
    assert not sheet.conditional_formats
    assert book.names[view_name("Supply")].refers_to == "='Supply'!$A$1:$B$3"


@settings(max_examples=200, deadline=None)
@given(st.sets(st.tuples(st.integers(1, 12), st.integers(1, 9)), max_size=60))
def test_rectangles_cover_any_cells_exactly_once(cells):
    boxes = rectangles(cells)
    covered = [cell for box in boxes for cell in box.cells()]
    assert len(covered) == len(set(covered)) and set(covered) == cells


def _file_style(cell) -> dict[str, object]:
    """What the file's cell shows, in the fake's terms (colours as RGB tuples)."""

    def rgb(color) -> tuple[int, ...] | None:
        if color is None or color.type != "rgb" or color.rgb in (None, "00000000"):
            return None
        return tuple(int(color.rgb[i : i + 2], 16) for i in (2, 4, 6))

    font, align = cell.font, cell.alignment
    top = cell.border.top
    # openpyxl gives a date it is handed a format of its own; Excel gives its own date format
    # (the hidden month headers of the forecast chart's block).
    implicit = ("General", "yyyy-mm-dd h:mm:ss")
    return {
        "number_format": None if cell.number_format in implicit else cell.number_format,
        "fill": rgb(cell.fill.fgColor) if cell.fill.fill_type == "solid" else None,
        "bold": bool(font.b),
        "italic": bool(font.i),
        "size": None if font.sz in (None, 11) else float(font.sz),
        "font_color": rgb(font.color) if font.color is not None else None,
        "horizontal": align.horizontal,
        "vertical": align.vertical,
        "wrap": bool(align.wrap_text),
        "top_border": rgb(top.color) if top is not None and top.style else None,
    }


def _live_style(style: dict[str, object]) -> dict[str, object]:
    border = style.get("top_border")
    return {
        "number_format": style.get("number_format"),
        "fill": style.get("fill"),
        "bold": bool(style.get("bold")),
        "italic": bool(style.get("italic")),
        "size": style.get("size"),
        "font_color": style.get("font_color"),
        "horizontal": style.get("horizontal"),
        "vertical": style.get("vertical"),
        "wrap": bool(style.get("wrap")),
        "top_border": border[2] if isinstance(border, tuple) else None,
    }


def test_every_view_looks_as_in_the_file_cell_by_cell(files, seen):
    wb = load_workbook(files["planned"])
    for tab in VIEWS:
        ws, sheet = wb[tab], _sheet(seen, tab)
        for row in ws.iter_rows():
            for cell in row:
                got = _live_style(sheet.styles.get((cell.row, cell.column), {}))
                assert got == _file_style(cell), (tab, cell.coordinate)
        widths = {  # hidden columns: openpyxl writes its default width for them
            column_index_from_string(k): d.width
            for k, d in ws.column_dimensions.items()
            if d.customWidth and not d.hidden
        }
        assert {c: w for c, w in sheet.column_widths.items()} == widths, tab
        hidden = {column_index_from_string(k) for k, d in ws.column_dimensions.items() if d.hidden}
        # openpyxl keeps a run of equal columns as one dimension (min..max).
        hidden |= {
            c
            for d in ws.column_dimensions.values()
            if d.hidden
            for c in range(d.min or 0, (d.max or 0) + 1)
        }
        assert sheet.hidden_columns == hidden - {0}, tab
        heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        assert sheet.row_heights == heights, tab


def test_the_planners_pick_on_the_forecast_chart_survives_a_live_run(live):
    chart_sheet = _sheet(live, FORECAST_TAB)
    assert chart_sheet.cells[(3, 2)] == "F"  # the first family
    chart_sheet.range("B3").value = "B"  # as picked from the dropdown
    _run_live(live)
    assert chart_sheet.cells[(3, 2)] == "B"
    chart_sheet.range("B3").value = "no such SKU"
    _run_live(live)
    assert chart_sheet.cells[(3, 2)] == "F"  # a pick that no longer exists: the first again
