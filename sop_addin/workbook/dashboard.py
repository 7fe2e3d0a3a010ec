"""The Exec tab: a one-page dashboard of KPI tiles, the checklist and the charts.

Its numbers come from the KPIs and Checklist tables (on the "Exec data" tab); the charts
are drawn by sop_addin.workbook.charts on every save. Alert colours are conditional
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
from openpyxl.formatting.rule import CellIsRule, Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.layout import FIRST_DATA_ROW, HEADER_FILL, placements, view_cell

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

ALERT = PatternFill("solid", fgColor="F8CBAD"), Font(bold=True, color="9C0006")
WARN = PatternFill("solid", fgColor="FFE699"), Font(bold=True, color="7F6000")
TILE_FILL = PatternFill("solid", fgColor="F2F2F2")


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


def _rule(alert: Alert, operands: list[str]) -> Rule:
    fill, font = ALERT if alert.level == "alert" else WARN
    return CellIsRule(operator=alert.operator, formula=operands, fill=fill, font=font)


def prepare_dashboard_sheet(workbook: Workbook) -> Worksheet:
    """The Exec tab, emptied (created before its data tab when missing)."""
    if EXEC_TAB in workbook.sheetnames:
        index = workbook.sheetnames.index(EXEC_TAB)
        del workbook[EXEC_TAB]
    elif EXEC_DATA_TAB in workbook.sheetnames:
        index = workbook.sheetnames.index(EXEC_DATA_TAB)
    else:
        index = len(workbook.sheetnames)
    ws = workbook.create_sheet(EXEC_TAB, index)
    ws.sheet_properties.tabColor = "C00000"
    ws.sheet_view.showGridLines = False
    for column in range(1, COLUMNS + 1):
        ws.column_dimensions[get_column_letter(column)].width = COLUMN_WIDTH
    title = ws.cell(1, 1, "S&OP executive summary")
    title.font = Font(bold=True, size=16, color="1F4E78")
    ws.cell(2, 1, "Run the cycle (sop run, or Run Cycle in Excel) to fill this page.")
    ws.page_setup.orientation = "landscape"
    return ws


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


def draw_changes(ws: Worksheet, changes: pd.DataFrame, top: int, snapshot: str) -> None:
    """Totals of each measure against the approved plan, the inputs that changed, and the
    revenue bridge by family (its cells right of the page; the chart is drawn on save)."""
    title = "Changes since the last approved plan"
    view_cell(ws, top, 1, f"{title} ({snapshot})" if snapshot else title).font = Font(
        bold=True, size=12, color="1F4E78"
    )
    plan = changes[changes["kind"] == "plan"] if len(changes) else changes
    if plan.empty:
        view_cell(ws, top + 1, 1, "No approved plan to compare with yet: approve one first.")
        return
    for column, text in enumerate(("Measure", "Approved", "Current", "Change"), start=1):
        cell = view_cell(ws, top + 1, column, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    totals = plan[plan["item"] == "Total"]
    for offset, row in enumerate(totals.itertuples(index=False), start=2):
        view_cell(ws, top + offset, 1, str(row.measure).capitalize())
        for column, value in enumerate((row.approved, row.current, row.change), start=2):
            view_cell(ws, top + offset, column, float(value)).number_format = "#,##0;-#,##0"
    inputs = changes[changes["kind"] == "input"]
    line = ", ".join(f"{r.item} {int(r.change):+d} rows" for r in inputs.itertuples())
    view_cell(ws, top + 2 + len(totals), 1, f"Inputs changed: {line or 'none'}").font = Font(
        italic=True, color="595959"
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
    for column, text in enumerate(("Revenue bridge", *BRIDGE_SERIES), start=BRIDGE_COLUMN):
        view_cell(ws, top, column, text)
    for offset, step in enumerate(steps, start=1):
        for column, value in enumerate(step, start=BRIDGE_COLUMN):
            view_cell(ws, top + offset, column, value)


def draw_dashboard(
    workbook: Workbook,
    kpis: pd.DataFrame,
    checklist: pd.DataFrame,
    heading: str,
    rates: dict[str, float],
    changes: pd.DataFrame | None = None,
    snapshot: str = "",
) -> Worksheet:
    """Redraw the Exec tab: heading, KPI tiles with alert colours, the checklist, and the
    changes since the last approved plan (under the charts, which are drawn on save)."""
    ws = prepare_dashboard_sheet(workbook)
    view_cell(ws, 2, 1, heading).font = Font(italic=True, color="595959")
    alerts = {
        a.target.removeprefix("KPIs:"): a for a in load_alerts() if a.target.startswith("KPIs:")
    }
    for index, row in enumerate(kpis.head(TILE_ROWS * TILES_PER_ROW).itertuples(index=False)):
        top = FIRST_TILE_ROW + 4 * (index // TILES_PER_ROW)
        column = 1 + index % TILES_PER_ROW
        label = view_cell(ws, top, column, _tile_label(str(row.kpi), str(row.unit or "")))
        label.font = Font(size=9, color="595959")
        label.alignment = Alignment(wrap_text=True, vertical="bottom")
        value = None if pd.isna(row.value) else float(row.value)
        cell = view_cell(ws, top + 1, column, value if value is not None else "n/a")
        cell.number_format = _number_format(str(row.unit or ""))
        cell.font = Font(bold=True, size=14)
        detail = view_cell(ws, top + 2, column, None if pd.isna(row.detail) else str(row.detail))
        detail.font = Font(size=8, color="7F7F7F")
        for r in (top, top + 1, top + 2):
            ws.cell(r, column).fill = TILE_FILL
        alert = alerts.get(str(row.kpi))
        if alert is not None and value is not None:
            operands = _formulas(alert, rates, percent=str(row.unit) == "%")
            if operands is not None:
                ws.conditional_formatting.add(cell.coordinate, _rule(alert, operands))
        ws.row_dimensions[top].height = 24
    top = checklist_row()
    # The check's name spans two columns (A:B), then its status (C) and why (D onwards).
    for column, text in ((1, "Check"), (STATUS_COLUMN, "Status"), (STATUS_COLUMN + 1, "Detail")):
        ws.cell(top, column, text)
    for column in range(1, COLUMNS + 1):
        ws.cell(top, column).fill = HEADER_FILL
        ws.cell(top, column).font = Font(bold=True, color="FFFFFF")
    for offset, check in enumerate(checklist.itertuples(index=False), start=1):
        view_cell(ws, top + offset, 1, str(check.check))
        state = view_cell(ws, top + offset, STATUS_COLUMN, str(check.status))
        state.alignment = Alignment(horizontal="center")
        why = None if pd.isna(check.detail) else str(check.detail)
        view_cell(ws, top + offset, STATUS_COLUMN + 1, why)
    if len(checklist):
        letter = get_column_letter(STATUS_COLUMN)
        status = f"{letter}{top + 1}:{letter}{top + len(checklist)}"
        for alert in load_alerts():
            if alert.target == "Checklist.status":
                ws.conditional_formatting.add(status, _rule(alert, [f'"{alert.value}"']))
    if changes is not None:
        draw_changes(ws, changes, changes_row(len(checklist)), snapshot)
    ws.print_area = print_range(len(checklist))
    return ws


def add_table_alerts(workbook: Workbook, rates: dict[str, float]) -> None:
    """Alert colours on the table columns alerts.csv names (MonthlySummary.unmet, ...)."""
    letters: dict[str, tuple[str, str]] = {}
    for contract_tab in CONTRACT.tabs:
        for placement in placements(CONTRACT, contract_tab.name):
            for index, name in enumerate(placement.table.column_names):
                target = f"{placement.table.name}.{name}"
                letters[target] = (contract_tab.name, placement.column_letter(index))
    targets = [a for a in load_alerts() if a.target in letters]
    for tab in {letters[a.target][0] for a in targets} & set(workbook.sheetnames):
        # Table tabs hold only the product's alerts: start afresh so runs do not pile them up.
        workbook[tab].conditional_formatting = ConditionalFormattingList()
    for alert in load_alerts():
        if alert.target not in letters:
            continue
        tab, letter = letters[alert.target]
        if tab not in workbook.sheetnames:
            continue
        operands = _formulas(alert, rates, percent=False)
        if operands is None:
            continue
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_TABLE_ROW}"
        workbook[tab].conditional_formatting.add(cells, _rule(alert, operands))


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
