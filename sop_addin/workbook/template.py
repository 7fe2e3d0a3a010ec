"""Build the S&OP workbook from the contract alone: tabs, tables, styles, validation."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.contract import CONTRACT, ColumnType, Table, WorkbookContract
from sop_addin.workbook.atomic import atomic_write_bytes
from sop_addin.workbook.dashboard import EXEC_DATA_TAB, EXEC_TAB, prepare_dashboard_sheet
from sop_addin.workbook.file_port import set_cell
from sop_addin.workbook.forecast_chart import (
    EMPTY_SERIES,
    FORECAST_DATA_TAB,
    FORECAST_TAB,
    draw_forecast_chart,
)
from sop_addin.workbook.grids import prepare_grid_sheet
from sop_addin.workbook.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    TITLE_ROW,
    Placement,
    all_named_styles,
    placements,
    style_name,
    title_text,
)

TEMPLATE_NAME = "sop_planning.xlsx"
# A fixed timestamp keeps the build byte-reproducible (zip entries and document properties).
BUILD_TIME = datetime(2026, 1, 1)
LAST_ROW = 1048576
_VALIDATED_TYPES = {ColumnType.NUMBER, ColumnType.FRACTION, ColumnType.INTEGER}


def _add_validation(ws: Worksheet, placement: Placement) -> None:
    """Lists for enumerations and bounds for numbers, over the whole column below the header."""
    table = placement.table
    for index, col in enumerate(table.columns):
        letter = placement.column_letter(index)
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}"
        rule: DataValidation | None = None
        if col.enum:
            rule = DataValidation(type="list", formula1=f'"{",".join(col.enum)}"', allow_blank=True)
            rule.error = f"Choose one of: {', '.join(col.enum)}"
        elif col.type in _VALIDATED_TYPES and (col.min is not None or col.max is not None):
            kind: Literal["whole", "decimal"] = (
                "whole" if col.type is ColumnType.INTEGER else "decimal"
            )
            if col.min is not None and col.max is not None:
                rule = DataValidation(
                    type=kind, operator="between", formula1=f"{col.min:g}", formula2=f"{col.max:g}"
                )
                rule.error = f"Enter a number from {col.min:g} to {col.max:g}"
            elif col.min is not None:
                rule = DataValidation(
                    type=kind, operator="greaterThanOrEqual", formula1=f"{col.min:g}"
                )
                rule.error = f"Enter a number of at least {col.min:g}"
            else:
                rule = DataValidation(
                    type=kind, operator="lessThanOrEqual", formula1=f"{col.max:g}"
                )
                rule.error = f"Enter a number of at most {col.max:g}"
        if rule is None:
            continue
        rule.errorTitle = f"{table.name}.{col.name}"
        rule.showErrorMessage = True
        rule.allow_blank = True
        rule.add(cells)
        ws.add_data_validation(rule)


def _add_table(ws: Worksheet, placement: Placement) -> None:
    table: Table = placement.table
    first = placement.first_column
    title = ws.cell(TITLE_ROW, first, title_text(table))
    title.style = "SOP title"
    for index, col in enumerate(table.columns):
        header = ws.cell(HEADER_ROW, first + index, col.heading)
        header.style = "SOP header"
        body = ws.cell(FIRST_DATA_ROW, first + index)
        body.style = style_name(table.role, col)
        ws.column_dimensions[get_column_letter(first + index)].width = col.width + 2
    last = get_column_letter(placement.last_column)
    ref = f"{get_column_letter(first)}{HEADER_ROW}:{last}{FIRST_DATA_ROW}"
    excel_table = ExcelTable(displayName=table.name, ref=ref)
    excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(excel_table)
    if table.role.editable:
        _add_validation(ws, placement)


def _fill_settings(ws: Worksheet, contract: WorkbookContract) -> None:
    """The Settings table lists every setting by name so the planner only types values."""
    placement = next(p for p in placements(contract, "Setup") if p.table.name == "Settings")
    tbl = ws.tables["Settings"]
    row = FIRST_DATA_ROW
    for row, setting in enumerate(contract.settings, start=FIRST_DATA_ROW):
        values = [setting.name, setting.default, setting.unit, setting.description]
        for index, value in enumerate(values):
            cell = ws.cell(row, placement.first_column + index)
            set_cell(cell, value)
            cell.style = style_name(placement.table.role, placement.table.columns[index])
    last = get_column_letter(placement.last_column)
    tbl.ref = f"{get_column_letter(placement.first_column)}{HEADER_ROW}:{last}{row}"


def sheet_order(contract: WorkbookContract = CONTRACT) -> list[str]:
    """The workbook's sheets: the contract's tabs, each view just before its data tab."""
    views: dict[str, list[str]] = {grid.data_tab: [grid.tab] for grid in contract.grids}
    views.setdefault(EXEC_DATA_TAB, []).append(EXEC_TAB)
    views.setdefault(FORECAST_DATA_TAB, []).append(FORECAST_TAB)
    names: list[str] = []
    for tab in contract.tabs:
        names += views.get(tab.name, [])
        names.append(tab.name)
    return names


def build_workbook(contract: WorkbookContract = CONTRACT) -> Workbook:
    """An empty S&OP workbook: every tab and table of the contract, styled and validated."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the default empty sheet
    for style in all_named_styles(contract):
        wb.add_named_style(style)
    grids = {grid.data_tab: grid for grid in contract.grids}
    for tab in contract.tabs:
        if tab.name in grids:  # the planner's grid first, its tables on the tab after it
            prepare_grid_sheet(wb, grids[tab.name])
        if tab.name == EXEC_DATA_TAB:
            prepare_dashboard_sheet(wb)
        if tab.name == FORECAST_DATA_TAB:
            draw_forecast_chart(wb, EMPTY_SERIES)
        ws = wb.create_sheet(tab.name)
        for placement in placements(contract, tab.name):
            _add_table(ws, placement)
        ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1).coordinate
        ws.row_dimensions[HEADER_ROW].height = 30
        if tab.protected:
            # Outputs are computed: lock the tab (no password) but keep filters and sorting.
            ws.protection.sheet = True
            ws.protection.autoFilter = False
            ws.protection.sort = False
            ws.protection.formatColumns = False
        else:
            ws.sheet_properties.tabColor = "FFD966"
    _fill_settings(wb["Setup"], contract)
    assert wb.sheetnames == sheet_order(contract)
    wb.active = wb.sheetnames.index(EXEC_TAB)  # the workbook opens on the one-page view
    wb.properties.creator = "sop-addin"
    wb.properties.created = BUILD_TIME
    return wb


_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def reproducible_bytes(workbook: Workbook) -> bytes:
    """Save to bytes with fixed timestamps, so the same contract gives the same file."""
    raw = io.BytesIO()
    workbook.save(raw)
    stamp = BUILD_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(
                    rb"<dcterms:modified\1>" + stamp + rb"</dcterms:modified>", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=BUILD_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def write_template(out_dir: Path) -> Path:
    """Write templates/sop_planning.xlsx (atomically) and return its path."""
    target = Path(out_dir) / TEMPLATE_NAME
    atomic_write_bytes(target, reproducible_bytes(build_workbook()))
    return target
