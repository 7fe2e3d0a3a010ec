"""Render a `SheetDrawing` into a workbook file's sheet with openpyxl.

A view tab in a file is the product's alone: it is deleted and drawn afresh in the same
place, so nothing of an earlier drawing lingers.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import Outline, PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.layout import view_cell
from sop_addin.workbook.sheet_drawing import AlertRule, Box, SheetDrawing, Style


def fresh_sheet(workbook: Workbook, tab: str, before: str) -> Worksheet:
    """The tab emptied: dropped and made again in its place (before `before` when new)."""
    if tab in workbook.sheetnames:
        index = workbook.sheetnames.index(tab)
        del workbook[tab]
    elif before in workbook.sheetnames:
        index = workbook.sheetnames.index(before)
    else:
        index = len(workbook.sheetnames)
    return workbook.create_sheet(tab, index)


def coordinates(box: Box) -> str:
    first = f"{get_column_letter(box.column)}{box.row}"
    if box.rows == 1 and box.columns == 1:
        return first
    return f"{first}:{get_column_letter(box.last_column)}{box.last_row}"


def absolute(box: Box) -> str:
    """ "$K$6:$K$9": a range a rule on the same tab refers to."""
    first = f"${get_column_letter(box.column)}${box.row}"
    return f"{first}:${get_column_letter(box.last_column)}${box.last_row}"


def _set_value(ws: Worksheet, row: int, column: int, value: Any) -> None:
    if isinstance(value, Formula):  # a formula the view built from cell references
        ws.cell(row, column).value = value.text
    else:
        view_cell(ws, row, column, value)


def _apply_style(ws: Worksheet, row: int, column: int, style: Style) -> None:
    cell = ws.cell(row, column)
    if style.number_format is not None:
        cell.number_format = style.number_format
    if style.fill is not None:
        cell.fill = PatternFill("solid", fgColor=style.fill)
    if style.has_font:
        cell.font = Font(bold=style.bold, italic=style.italic, size=style.size, color=style.color)
    if style.has_alignment:
        cell.alignment = Alignment(
            horizontal=style.horizontal, vertical=style.vertical, wrap_text=style.wrap
        )
    if style.unlocked:
        cell.protection = Protection(locked=False)
    if style.top_border is not None:
        cell.border = Border(top=Side(style="thin", color=style.top_border))


def cell_is_rule(alert: AlertRule) -> Rule:
    return CellIsRule(
        operator=alert.operator,
        formula=list(alert.operands),
        fill=PatternFill("solid", fgColor=alert.fill),
        font=Font(bold=True, color=alert.font_color),
    )


def render_drawing(workbook: Workbook, drawing: SheetDrawing) -> Worksheet:
    """Draw the view on a fresh sheet of its tab; return the sheet."""
    ws = fresh_sheet(workbook, drawing.tab, drawing.before)
    ws.sheet_properties.tabColor = drawing.tab_color
    if drawing.outline_above:
        ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=False)
    if not drawing.gridlines:
        ws.sheet_view.showGridLines = False
    for (row, column), value in drawing.values().items():
        if value is not None:
            _set_value(ws, row, column, value)
    for (row, column), style in drawing.cell_styles().items():
        _apply_style(ws, row, column, style)
    for column, width in drawing.column_widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for column in drawing.hidden_columns:
        ws.column_dimensions[get_column_letter(column)].hidden = True
    for row, height in drawing.row_heights.items():
        ws.row_dimensions[row].height = height
    for row, level in drawing.outline.items():
        ws.row_dimensions[row].outlineLevel = level
    for row in drawing.collapsed:
        ws.row_dimensions[row].hidden = True
    if drawing.freeze is not None:
        ws.freeze_panes = ws.cell(*drawing.freeze).coordinate
    for rule in drawing.lists:
        choices = absolute(rule.source) if rule.source else f'"{",".join(rule.values)}"'
        validation = DataValidation(type="list", formula1=choices, allow_blank=rule.allow_blank)
        validation.error = rule.error
        validation.showErrorMessage = True
        ws.add_data_validation(validation)
        for box in rule.boxes:
            validation.add(coordinates(box))
    for alert in drawing.alerts:
        ws.conditional_formatting.add(coordinates(alert.box), cell_is_rule(alert))
    if drawing.landscape:
        ws.page_setup.orientation = "landscape"
    if drawing.fit_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    if drawing.print_titles is not None:
        ws.print_title_rows, ws.print_title_cols = drawing.print_titles
    if drawing.print_area is not None:
        ws.print_area = drawing.print_area
    return ws
