"""The Exec tab: a one-page dashboard of KPI tiles, the checklist and the charts.

Its numbers come from the KPIs and Checklist tables (on the "Exec data" tab); in a file the
charts are drawn by sop_addin.workbook.charts on every save. The page is a `SheetDrawing`,
drawn by openpyxl into a file and by xlwings into a live book. Alert colours are conditional
formats from contract/alerts.csv, so they follow the numbers when Excel recalculates.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.layout import FIRST_DATA_ROW, HEADER_COLOR, placements
from sop_addin.workbook.sheet_drawing import AlertRule, Box, SheetDrawing, Style
from sop_addin.workbook.sheet_openpyxl import cell_is_rule, coordinates, render_drawing

EXEC_TAB = "Exec"
EXEC_DATA_TAB = "Exec data"
ALERTS_CSV = Path(__file__).resolve().parent.parent / "contract" / "alerts.csv"

COLUMNS = 9  # the page is nine columns wide: tiles, checklist and three charts fit in it
COLUMN_WIDTH = 16
TILES_PER_ROW = 7
TILE_ROWS = 2  # room for 14 KPI tiles
STATUS_COLUMN = 3  # the checklist's status; the check's name before it, the detail after
FIRST_TILE_ROW = 4
CHECKLIST_GAP = 1
CHART_ROWS = 20  # the charts' height in rows
CHANGES_ROWS = 14  # "Changes since the last approved plan": totals, inputs and the bridge
LAST_TABLE_ROW = FIRST_DATA_ROW + 5000  # how far down a table column's alert applies

ALERT_COLORS = "F8CBAD", "9C0006"  # fill, font: red
WARN_COLORS = "FFE699", "7F6000"  # amber
TILE_COLOR = "F2F2F2"


@dataclass(frozen=True)
class Alert:
    """One alert colour: a KPI tile ("KPIs:Fill rate") or a table column ("Table.column")."""

    target: str
    level: str  # "alert" (red) or "warn" (amber)
    operator: str  # an Excel cellIs operator
    value: str  # a number, "a|b" for between, text, or "rate:<FinanceRates rate>"
    why: str


@cache
def load_alerts() -> tuple[Alert, ...]:
    with ALERTS_CSV.open(newline="", encoding="utf-8") as fh:
        return tuple(
            Alert(r["target"], r["level"], r["operator"], r["value"], r["why"])
            for r in csv.DictReader(fh)
        )


def _formulas(alert: Alert, rates: dict[str, float], percent: bool) -> list[str] | None:
    """The rule's operand(s) as Excel formulas; None when a rate it needs is unknown."""
    parts = alert.value.split("|")
    out = []
    for part in parts:
        if part.startswith("rate:"):
            rate = rates.get(part.removeprefix("rate:"))
            if rate is None:
                return None
            out.append(f"{rate * 100 if percent else rate:g}")
        else:
            try:
                out.append(f"{float(part):g}")
            except ValueError:
                out.append(f'"{part}"')
    return out


def _alert_rule(alert: Alert, box: Box, operands: list[str]) -> AlertRule:
    fill, font = ALERT_COLORS if alert.level == "alert" else WARN_COLORS
    return AlertRule(box, alert.operator, tuple(operands), fill, font)


def dashboard_frame() -> SheetDrawing:
    """The Exec tab before any numbers: its title, column widths and page."""
    drawing = SheetDrawing(tab=EXEC_TAB, before=EXEC_DATA_TAB, tab_color="C00000")
    drawing.gridlines = False
    drawing.column_widths.update({column: COLUMN_WIDTH for column in range(1, COLUMNS + 1)})
    drawing.cell(1, 1, "S&OP executive summary", Style(bold=True, size=16, color="1F4E78"))
    drawing.cell(2, 1, "Run the cycle (sop run, or Run Cycle in Excel) to fill this page.")
    drawing.landscape = True
    return drawing


def prepare_dashboard_sheet(workbook: Workbook) -> Worksheet:
    """The Exec tab, emptied (created before its data tab when missing)."""
    return render_drawing(workbook, dashboard_frame())


def _number_format(unit: str) -> str:
    """A tile's format: percentages and units say so; money's currency is in the label."""
    if unit == "%":
        return '0.0"%"'
    if unit == "units":
        return '#,##0" units"'
    return "#,##0"


def _tile_label(kpi: str, unit: str) -> str:
    return kpi if unit in ("%", "units", "") else f"{kpi}, {unit}"


def chart_row(checks: int) -> int:
    """The first row of the charts: below the tiles and the checklist."""
    return checklist_row() + 1 + max(checks, 1) + CHECKLIST_GAP + 1


def checklist_row() -> int:
    """The checklist's header row, below two rows of tiles (label, value, detail, gap)."""
    return FIRST_TILE_ROW + 4 * TILE_ROWS


def changes_row(checks: int) -> int:
    """The first row of "Changes since the last approved plan", under the charts."""
    return chart_row(checks) + CHART_ROWS + 1


def print_range(checks: int) -> str:
    return f"A1:{get_column_letter(COLUMNS)}{changes_row(checks) + CHANGES_ROWS}"


BRIDGE_COLUMN = COLUMNS + 2  # the waterfall's cells, right of the printed page
BRIDGE_SERIES = ("Base", "Plan", "Up", "Down")
HEADER = Style(fill=HEADER_COLOR, bold=True, color="FFFFFF")


def draw_changes(drawing: SheetDrawing, changes: pd.DataFrame, top: int, snapshot: str) -> None:
    """Totals of each measure against the approved plan, the inputs that changed, and the
    revenue bridge by family (its cells right of the page; the chart is drawn on save)."""
    title = "Changes since the last approved plan"
    drawing.cell(
        top,
        1,
        f"{title} ({snapshot})" if snapshot else title,
        Style(bold=True, size=12, color="1F4E78"),
    )
    plan = changes[changes["kind"] == "plan"] if len(changes) else changes
    if plan.empty:
        drawing.cell(top + 1, 1, "No approved plan to compare with yet: approve one first.")
        return
    drawing.write(top + 1, 1, [["Measure", "Approved", "Current", "Change"]])
    drawing.style(Box(top + 1, 1, 1, 4), HEADER)
    totals = plan[plan["item"] == "Total"]
    drawing.write(
        top + 2,
        1,
        [
            [str(r.measure).capitalize(), float(r.approved), float(r.current), float(r.change)]
            for r in totals.itertuples(index=False)
        ],
    )
    if len(totals):
        drawing.style(Box(top + 2, 2, len(totals), 3), Style(number_format="#,##0;-#,##0"))
    inputs = changes[changes["kind"] == "input"]
    line = ", ".join(f"{r.item} {int(r.change):+d} rows" for r in inputs.itertuples())
    drawing.cell(
        top + 2 + len(totals),
        1,
        f"Inputs changed: {line or 'none'}",
        Style(italic=True, color="595959"),
    )
    revenue = plan[(plan["measure"] == "revenue") & (plan["item"] != "Total")]
    total = plan[(plan["measure"] == "revenue") & (plan["item"] == "Total")]
    if total.empty:
        return
    approved, current = float(total["approved"].iloc[0]), float(total["current"].iloc[0])
    steps: list[tuple[str, float, float, float, float]] = [("Approved", 0.0, approved, 0.0, 0.0)]
    level = approved
    for r in revenue.itertuples(index=False):
        delta = float(r.change)
        if abs(delta) < 0.5:
            continue
        base = level + min(delta, 0.0)
        steps.append((str(r.item), base, 0.0, max(delta, 0.0), max(-delta, 0.0)))
        level += delta
    steps.append(("Current", 0.0, current, 0.0, 0.0))
    drawing.write(top, BRIDGE_COLUMN, [["Revenue bridge", *BRIDGE_SERIES]])
    drawing.write(top + 1, BRIDGE_COLUMN, [list(step) for step in steps])


def dashboard_drawing(
    kpis: pd.DataFrame,
    checklist: pd.DataFrame,
    heading: str,
    rates: dict[str, float],
    changes: pd.DataFrame | None = None,
    snapshot: str = "",
) -> SheetDrawing:
    """The Exec tab: heading, KPI tiles with alert colours, the checklist, and the changes
    since the last approved plan (under the charts, which are drawn on save)."""
    drawing = dashboard_frame()
    drawing.cell(2, 1, heading, Style(italic=True, color="595959"))
    alerts = {
        a.target.removeprefix("KPIs:"): a for a in load_alerts() if a.target.startswith("KPIs:")
    }
    tiles = kpis.head(TILE_ROWS * TILES_PER_ROW)
    for first in range(0, len(tiles), TILES_PER_ROW):
        top = FIRST_TILE_ROW + 4 * (first // TILES_PER_ROW)
        block: list[list[object]] = [[], [], []]  # label, value, detail: a row of tiles
        for index, row in enumerate(tiles.iloc[first : first + TILES_PER_ROW].itertuples()):
            column = 1 + index
            unit = str(row.unit or "")
            value = None if pd.isna(row.value) else float(row.value)
            block[0].append(_tile_label(str(row.kpi), unit))
            block[1].append(value if value is not None else "n/a")
            block[2].append(None if pd.isna(row.detail) else str(row.detail))
            drawing.style(Box(top, column, 3, 1), Style(fill=TILE_COLOR))
            drawing.style(
                Box(top, column),
                Style(size=9, color="595959", wrap=True, vertical="bottom"),
            )
            drawing.style(
                Box(top + 1, column), Style(number_format=_number_format(unit), bold=True, size=14)
            )
            drawing.style(Box(top + 2, column), Style(size=8, color="7F7F7F"))
            alert = alerts.get(str(row.kpi))
            if alert is not None and value is not None:
                operands = _formulas(alert, rates, percent=unit == "%")
                if operands is not None:
                    drawing.alerts.append(_alert_rule(alert, Box(top + 1, column), operands))
        drawing.write(top, 1, block)
        drawing.row_heights[top] = 24
    top = checklist_row()
    # The check's name spans two columns (A:B), then its status (C) and why (D onwards).
    drawing.write(top, 1, [["Check", None, "Status", "Detail"]])
    drawing.style(Box(top, 1, 1, COLUMNS), HEADER)
    drawing.write(
        top + 1,
        1,
        [
            [str(c.check), None, str(c.status), None if pd.isna(c.detail) else str(c.detail)]
            for c in checklist.itertuples(index=False)
        ],
    )
    if len(checklist):
        status = Box(top + 1, STATUS_COLUMN, len(checklist), 1)
        drawing.style(status, Style(horizontal="center"))
        for alert in load_alerts():
            if alert.target == "Checklist.status":
                drawing.alerts.append(_alert_rule(alert, status, [f'"{alert.value}"']))
    if changes is not None:
        draw_changes(drawing, changes, changes_row(len(checklist)), snapshot)
    drawing.print_area = print_range(len(checklist))
    return drawing


def draw_dashboard(
    workbook: Workbook,
    kpis: pd.DataFrame,
    checklist: pd.DataFrame,
    heading: str,
    rates: dict[str, float],
    changes: pd.DataFrame | None = None,
    snapshot: str = "",
) -> Worksheet:
    """Redraw the Exec tab of a workbook file (see `dashboard_drawing`)."""
    drawing = dashboard_drawing(kpis, checklist, heading, rates, changes, snapshot)
    return render_drawing(workbook, drawing)


def table_alerts(rates: dict[str, float]) -> dict[str, list[AlertRule]]:
    """Alert colours on the table columns alerts.csv names (MonthlySummary.unmet, ...), by
    tab: each over the column's data rows where the contract places the table."""
    columns: dict[str, tuple[str, int]] = {}
    for contract_tab in CONTRACT.tabs:
        for placement in placements(CONTRACT, contract_tab.name):
            for index, name in enumerate(placement.table.column_names):
                target = f"{placement.table.name}.{name}"
                columns[target] = (contract_tab.name, placement.first_column + index)
    rules: dict[str, list[AlertRule]] = {}
    for alert in load_alerts():
        if alert.target not in columns:
            continue
        tab, column = columns[alert.target]
        found = rules.setdefault(tab, [])
        operands = _formulas(alert, rates, percent=False)
        if operands is None:
            continue
        box = Box(FIRST_DATA_ROW, column, LAST_TABLE_ROW - FIRST_DATA_ROW + 1, 1)
        found.append(_alert_rule(alert, box, operands))
    return rules


def add_table_alerts(workbook: Workbook, tab: str, rules: list[AlertRule]) -> None:
    """A workbook file's table tab with these alert colours and no others."""
    if tab not in workbook.sheetnames:
        return
    ws = workbook[tab]
    # Table tabs hold only the product's alerts: start afresh so runs do not pile them up.
    ws.conditional_formatting = ConditionalFormattingList()
    for rule in rules:
        ws.conditional_formatting.add(coordinates(rule.box), cell_is_rule(rule))


def sheet_table(ws: Worksheet, name: str) -> pd.DataFrame | None:
    """A contract table read straight from a sheet of a workbook built in memory."""
    table = next((ws.tables[key] for key in ws.tables if key.lower() == name.lower()), None)
    if table is None:
        return None
    block = [list(row) for row in ws[table.ref]]
    values = [[cell.value for cell in row] for row in block]
    min_row = block[0][0].row
    frame, problems = block_to_frame(values, CONTRACT.table(name), min_row)
    return None if problems else frame.reset_index(drop=True)
