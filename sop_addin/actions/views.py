"""The planner's views, redrawn from the tables on every run.

The time-phased Demand, Supply and Finance grids (key figures in rows, months across,
families over SKUs), the forecast chart tab and the one-page Exec dashboard; the tables on
the companion "<tab> data" tabs stay the contract. Each view is laid out once as a
`SheetDrawing` and handed to the port: the file port draws it with openpyxl (its charts on
save), the xlwings port into the live Excel book (through the ribbon's staged port, after the
tables; the Exec charts on Windows only). Consensus typed into a grid is read back through
the port too, so it becomes an override in either.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.contract import CONTRACT, Role
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.calendar import month_label
from sop_addin.core.grid import build_grid
from sop_addin.core.grid_edits import GridEdit, edits_to_overrides, merge_overrides
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.charts import exec_table_charts
from sop_addin.workbook.dashboard import EXEC_TAB, dashboard_drawing, table_alerts
from sop_addin.workbook.forecast_chart import (
    FORECAST_TAB,
    SELECT_COLUMN,
    SELECT_ROW,
    forecast_drawing,
    forecast_series,
)
from sop_addin.workbook.grids import grid_drawing, read_grid_edits
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, read_table, write_input_table


def grid_sources(port: WorkbookPort, inputs: PlanInputs) -> dict[str, pd.DataFrame]:
    """Every table a grid reads: inputs from `inputs`, outputs from the workbook."""
    frames: dict[str, pd.DataFrame] = {}
    for grid in CONTRACT.grids:
        for figure in grid.key_figures:
            if figure.table in frames:
                continue
            table = CONTRACT.table(figure.table)
            if table.role is Role.OUTPUT:
                frames[table.name] = read_output(port, table.name, "the cycle", allow_empty=True)
            else:
                frames[table.name] = inputs[table.name]
    return frames


def update_grids(
    port: WorkbookPort, progress: Progress = no_progress, inputs: PlanInputs | None = None
) -> int:
    """Redraw every grid of the contract and the forecast chart tab; return how many grids."""
    inputs = inputs or read_inputs(port)
    # A workbook from before the views keeps its tables on those tabs: leave it as it is.
    grids = tuple(g for g in CONTRACT.grids if not port.view_holds_tables(g.tab))
    progress("Grids", 0, len(grids))
    frames = grid_sources(port, inputs)
    for done, grid in enumerate(grids, start=1):
        port.draw_view(grid_drawing(build_grid(grid, frames, inputs["Products"], inputs.months)))
        progress("Grids", done, len(grids))
    forecast = read_output(port, "Forecast", "Refresh Forecast", allow_empty=True)
    series = forecast_series(
        inputs["SalesHistory"], frames["Consensus"], forecast, inputs["Products"], inputs.months
    )
    port.draw_view(forecast_drawing(series, _picked(port)))
    return len(grids)


def _picked(port: WorkbookPort) -> object:
    """The SKU or family the planner last picked on the forecast chart tab (None if none)."""
    values = port.read_view(FORECAST_TAB)
    if not values or len(values) < SELECT_ROW or len(values[SELECT_ROW - 1]) < SELECT_COLUMN:
        return None
    return values[SELECT_ROW - 1][SELECT_COLUMN - 1]


def _rates(inputs: PlanInputs) -> dict[str, float]:
    rates = inputs.tables.get("FinanceRates")
    if rates is None or rates.empty:
        return {}
    known = rates.dropna(subset=["value"])
    return {str(r): float(v) for r, v in zip(known["rate"], known["value"], strict=True)}


def update_dashboard(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    snapshot: str = "",
) -> bool:
    """Redraw the Exec dashboard (tiles, checklist, alert colours); False on an older workbook
    whose Exec tab holds the tables."""
    if port.view_holds_tables(EXEC_TAB):
        return False
    inputs = inputs or read_inputs(port)
    progress("Exec dashboard", 0, 1)
    settings = inputs.settings
    heading = " | ".join(
        part
        for part in (
            settings.company,
            f"cycle {settings.plan_cycle}",
            f"version {settings.plan_version}",
            f"{month_label(settings.first_plan_month)} + {settings.horizon_months} months",
            f"amounts in {settings.currency}",
        )
        if part
    )
    kpis = read_output(port, "KPIs", "Exec Summary", allow_empty=True)
    checklist = read_output(port, "Checklist", "Exec Summary", allow_empty=True)
    rates = _rates(inputs)
    try:
        port.table_location("Changes")
        changes = read_output(port, "Changes", "the cycle", allow_empty=True)
    except TableNotFound:  # a workbook made before the Changes table
        changes = None
    drawing = dashboard_drawing(kpis, checklist, heading, rates, changes, snapshot)
    drawing.table_charts = exec_table_charts(len(checklist))  # a file draws them on save
    port.draw_view(drawing)
    for tab, rules in table_alerts(rates).items():
        port.draw_alerts(tab, rules)
    progress("Exec dashboard", 1, 1)
    return True


def capture_grid_edits(port: WorkbookPort, today: date | None = None) -> int:
    """Turn consensus typed into a grid into Overrides rows; return how many cells changed.

    Runs before the inputs are read, so the run that follows applies the overrides (and
    records them in the OverrideLog). A grid is compared with the Consensus table it was
    drawn from; nothing happens before the first consensus or when those tables do not read
    (validation reports them).
    """
    views = {
        g.tab: port.read_view(g.tab)
        for g in CONTRACT.grids
        if any(f.editable for f in g.key_figures) and not port.view_holds_tables(g.tab)
    }
    grids = [g for g in CONTRACT.grids if views.get(g.tab)]
    if not grids:
        return 0
    products, found = read_table(port, "Products")
    consensus, more = read_table(port, "Consensus")
    overrides, most = read_table(port, "Overrides")
    if found or more or most or products is None or consensus is None or overrides is None:
        return 0
    if consensus.empty:
        return 0
    months = pd.DatetimeIndex(sorted(consensus["month"].unique()))
    edits: list[GridEdit] = []
    problems: list[Problem] = []
    for grid in grids:
        drawn = build_grid(grid, {"Consensus": consensus}, products, months)
        got, wrong = read_grid_edits(views[grid.tab] or [], grid.tab, drawn)
        edits += got
        problems += wrong
    if problems:
        raise ValidationError(problems)
    if not edits:
        return 0
    families = dict(
        zip(products["sku"].astype(str), products["family"].fillna("(no family)"), strict=True)
    )
    stamp = (today or date.today()).isoformat()
    new = edits_to_overrides(edits, consensus, families, stamp)
    write_input_table(port, "Overrides", merge_overrides(overrides.reset_index(drop=True), new))
    return len(edits)


def check_layout(port: WorkbookPort) -> None:
    """Refuse, with the fix named, a workbook whose tables sit on other tabs than the contract's.

    Workbooks made before the grids kept the Demand, Supply, Finance and Exec tables on those
    tabs; this version keeps them on "<tab> data" (the live P&L formulas name those tabs).
    Renaming the tab in Excel or LibreOffice (which also rewrites formulas) is the fix.
    """
    moved: dict[tuple[str, str], str] = {}
    for table in CONTRACT.tables.values():
        try:
            sheet, _ = port.table_location(table.name)
        except TableNotFound:
            continue  # reported by validation, or an optional table of a later version
        if sheet != table.tab:
            moved.setdefault((sheet, table.tab), table.name)
    if moved:
        raise ValidationError(
            [
                Problem(
                    tab=sheet,
                    table=name,
                    message=(
                        f"the tab {sheet!r} holds tables that now live on the tab {tab!r} "
                        f"(a workbook from an older sop-addin): rename the tab {sheet!r} to "
                        f"{tab!r} and run again"
                    ),
                )
                for (sheet, tab), name in moved.items()
            ]
        )
