"""Cells of a live Excel book written in as few calls as their shapes allow (xlwings).

Every xlwings property read or write and every method call is a COM (Windows) or AppleScript
(Mac) round trip. Values go over a block at a time; a style attribute is set once per
rectangle of cells sharing its value, and on Windows the rectangles of one value go together
in multi-area ranges of up to 250 characters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.export import FORMULA_STARTS
from sop_addin.workbook.sheet_drawing import Box, Style

MAX_ADDRESS = 250  # Excel refuses a multi-area address of more than 255 characters
# Excel's cellIs operators (openpyxl, alerts.csv) -> xlwings' conditional-format operators.
OPERATORS = {
    "between": "between",
    "notBetween": "not_between",
    "equal": "equal_to",
    "notEqual": "not_equal_to",
    "greaterThan": "greater_than",
    "lessThan": "less_than",
    "greaterThanOrEqual": "greater_than_or_equal",
    "lessThanOrEqual": "less_than_or_equal",
}


def excel_value(value: Any) -> Any:
    """A value as Excel should get it: a `Formula` live, any other text as text."""
    if isinstance(value, Formula):  # built by the product from cell references
        return value.text
    # Excel would evaluate "=..." typed into a cell; a leading apostrophe keeps it text.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def address(box: Box) -> str:
    first = f"{get_column_letter(box.column)}{box.row}"
    return f"{first}:{get_column_letter(box.last_column)}{box.last_row}"


def rectangles(cells: Iterable[tuple[int, int]]) -> list[Box]:
    """Cover the cells with few rectangles: runs along each row, stacked where rows match."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, column in cells:
        by_row[row].append(column)
    open_boxes: dict[tuple[int, int], Box] = {}  # (first, last column) -> box still growing
    done: list[Box] = []
    for row in sorted(by_row):
        columns = sorted(set(by_row[row]))
        runs: list[tuple[int, int]] = []
        for column in columns:
            if runs and column == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], column)
            else:
                runs.append((column, column))
        still: dict[tuple[int, int], Box] = {}
        for run in runs:
            box = open_boxes.pop(run, None)
            if box is not None and box.last_row == row - 1:
                still[run] = Box(box.row, box.column, box.rows + 1, box.columns)
            else:
                if box is not None:
                    done.append(box)
                still[run] = Box(row, run[0], 1, run[1] - run[0] + 1)
        done += open_boxes.values()
        open_boxes = still
    return done + list(open_boxes.values())


class LiveSheet:
    """One tab of a live book, written in as few calls as its shapes allow."""

    def __init__(self, sheet: Any, platform: str) -> None:
        self.sheet = sheet
        self.windows = platform != "darwin"

    def ranges(self, boxes: list[Box]) -> list[Any]:
        """xlwings ranges covering the boxes: multi-area ones on Windows, one a box on the Mac."""
        if not self.windows:
            return [self.sheet.range(address(box)) for box in boxes]
        out, part = [], ""
        for box in boxes:
            one = address(box)
            if part and len(part) + 1 + len(one) > MAX_ADDRESS:
                out.append(self.sheet.range(part))
                part = ""
            part = f"{part},{one}" if part else one
        if part:
            out.append(self.sheet.range(part))
        return out

    def each(self, cells: dict[Any, list[tuple[int, int]]]) -> Iterable[tuple[Any, Any]]:
        """(value, range) for each value and each range of the cells that share it."""
        for value, where in cells.items():
            for rng in self.ranges(rectangles(where)):
                yield value, rng


def _group(styles: dict[tuple[int, int], Style], key: Any) -> dict[Any, list[tuple[int, int]]]:
    grouped: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for cell, style in styles.items():
        value = key(style)
        if value is not None:
            grouped[value].append(cell)
    return grouped


def _font(style: Style) -> tuple[Any, ...] | None:
    return (style.bold, style.italic, style.size, style.color) if style.has_font else None


def _alignment(style: Style) -> tuple[Any, ...] | None:
    return (style.horizontal, style.vertical, style.wrap) if style.has_alignment else None


def apply_styles(live: LiveSheet, styles: dict[tuple[int, int], Style]) -> None:
    """Each attribute once per range of cells sharing its value."""
    for fmt, rng in live.each(_group(styles, lambda s: s.number_format)):
        rng.number_format = fmt
    for fill, rng in live.each(_group(styles, lambda s: s.fill)):
        rng.color = f"#{fill}"
    for (bold, italic, size, color), rng in live.each(_group(styles, _font)):
        font = rng.font
        if bold is not None:
            font.bold = bold
        if italic is not None:
            font.italic = italic
        if size is not None:
            font.size = size
        if color is not None:
            font.color = f"#{color}"
    for (horizontal, vertical, wrap), rng in live.each(_group(styles, _alignment)):
        if horizontal is not None:
            rng.horizontal_alignment = horizontal
        if vertical is not None:
            rng.vertical_alignment = vertical
        if wrap is not None:
            rng.wrap_text = wrap
    for color, cells in _group(styles, lambda s: s.top_border).items():
        boxes = rectangles(cells)
        # A line above each row, as the file draws it: a box of several rows needs its inside
        # lines too (which a one-row box has none of, so it is not asked for them).
        for sides, part in (
            (["edge_top"], [b for b in boxes if b.rows == 1]),
            (["edge_top", "inside_horizontal"], [b for b in boxes if b.rows > 1]),
        ):
            for rng in live.ranges(part):
                rng.borders.set(sides, line_style="continuous", weight="thin", color=f"#{color}")
    if live.windows:  # no xlwings API for a cell's lock: COM's Range.Locked
        for _, rng in live.each(_group(styles, lambda s: True if s.unlocked else None)):
            rng.api.Locked = False


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def find_sheet(book: Any, tab: str) -> Any | None:
    """The book's sheet of that name (any case, as Excel matches it); None without one.

    One lookup by name; only when the engine refuses it are the names listed, so a missing
    tab is told from an Excel that is busy (whose error goes on).
    """
    try:
        return book.sheets[tab]
    except Exception:  # the engine's own error: COM's "out of range", AppleScript's
        if tab.lower() in (s.name.lower() for s in book.sheets):
            raise
        return None


def absolute(box: Box) -> str:
    first = f"${get_column_letter(box.column)}${box.row}"
    return f"{first}:${get_column_letter(box.last_column)}${box.last_row}"
