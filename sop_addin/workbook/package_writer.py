"""Save a workbook the product opened by writing only what it changed into the original package.

openpyxl holds the workbook in memory (the product reads and writes cells there); at save
the cells that differ from the file as it was opened, and the cells the product wrote, go
into the original worksheet XML; the product's table parts get their new extent, and charts
over a product table follow it, as Excel's do. Every other part (VBA, the ribbon, extLst
extensions, sparklines, slicers, pivot caches, comments, defined names, styles, shared
strings) is copied byte for byte.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from sop_addin.workbook.package import (
    CONTENT_TYPES,
    Package,
    PackageError,
    insert_before_followers,
)
from sop_addin.workbook.package_views import (
    StyleTarget,
    copy_drawing,
    write_conditional_formats,
    write_views,
)
from sop_addin.workbook.sheet_xml import CellWrite, SheetXml

CellKey = tuple[int, int]
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
CHART_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
# Worksheet children that follow <drawing> (ECMA-376 CT_Worksheet order).
_AFTER_DRAWING = (
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


@dataclass
class Baseline:
    """The workbook as opened: cell values, table extents and the cellXfs count."""

    cells: dict[str, dict[CellKey, tuple[Any, str]]] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> name -> ref
    style_count: int = 0
    worksheets: dict[str, Worksheet] = field(default_factory=dict)  # the sheet objects
    formats: dict[str, Any] = field(default_factory=dict)  # their conditional format lists

    @classmethod
    def of(cls, workbook: Workbook) -> Baseline:
        baseline = cls(style_count=len(workbook._cell_styles))  # type: ignore[attr-defined]
        for ws in workbook.worksheets:
            baseline.worksheets[ws.title] = ws
            baseline.formats[ws.title] = ws.conditional_formatting
            baseline.cells[ws.title] = {
                key: (cell.value, cell.data_type) for key, cell in ws._cells.items()
            }
            baseline.tables[ws.title] = {n.lower(): ws.tables[n].ref for n in ws.tables}
        return baseline


def _cell_write(cell: Any, style: int | None, epoch: dt.datetime, cached: Any) -> CellWrite:
    value, kind = cell.value, cell.data_type
    if value is None or value == "":  # an empty text is an empty cell, as openpyxl writes it
        return CellWrite(None, style=style)
    if kind == "f":
        return CellWrite("f", str(value).removeprefix("="), style, cached)
    if isinstance(value, bool):
        return CellWrite("b", value, style)
    if isinstance(value, dt.datetime | dt.date):
        return CellWrite("n", to_excel(value, epoch), style)
    if isinstance(value, int | float) and kind == "n":
        return CellWrite("n", value, style)
    return CellWrite("s", str(value), style)


class _Styles:
    """Where a written cell's style index comes from."""

    def __init__(self, workbook: Workbook, baseline: Baseline, sheet: SheetXml) -> None:
        self.workbook = workbook
        self.count = baseline.style_count
        self.sheet = sheet
        self._columns: dict[int, list[tuple[int, int | None]]] = {}
        self._rows: dict[int, list[int]] = {}

    def index(self, cell: Any, row: int, column: int) -> int | None:
        styles = self.workbook._cell_styles  # type: ignore[attr-defined]
        style = cell._style
        if style is not None and style in styles:
            found = styles.index(style)
            if found < self.count:  # an xf of the original styles part, same formatting
                return int(found)
        return self._from_above(row, column)

    def _from_above(self, row: int, column: int) -> int | None:
        """A new style: take the original cell's, or the nearest one above it (as Excel does
        when a table grows)."""
        if not self._columns:  # one pass over the original rows, for every column
            for original in self.sheet.rows:
                if not original.text:
                    continue
                self.sheet._parse(original)
                assert original.cells is not None
                for col, xml in original.cells:
                    found = re.search(r'\ss="(\d+)"', xml[: xml.find(">") + 1])
                    style = int(found.group(1)) if found else None
                    self._columns.setdefault(col, []).append((original.number, style))
            for cells in self._columns.values():
                cells.sort(key=lambda item: item[0])
            self._rows = {col: [n for n, _ in cells] for col, cells in self._columns.items()}
        column_cells = self._columns.get(column)
        if not column_cells:
            return None
        position = bisect.bisect_right(self._rows[column], row)
        return column_cells[position - 1][1] if position else None


def _changed_cells(ws: Worksheet, before: dict[CellKey, tuple[Any, str]]) -> set[CellKey]:
    changed = set()
    for key, cell in ws._cells.items():
        old = before.get(key)
        if old is None:
            if cell.value is not None:
                changed.add(key)
        elif old != (cell.value, cell.data_type):
            changed.add(key)
    return changed


def _table_part(part: bytes, ref: str, header: list[str] | None) -> bytes:
    text = part.decode("utf-8")
    text = re.sub(r'(<(?:\w+:)?table\b[^>]*?\sref=")[^"]*(")', rf"\g<1>{ref}\g<2>", text, count=1)
    text = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*?\sref=")[^"]*(")', rf"\g<1>{ref}\g<2>", text)
    text = re.sub(r"<(\w+:)?sortState\b.*?(?:/>|</\1?sortState>)", "", text, flags=re.S)
    if header is not None:
        text = _table_columns(text, header)
    return text.encode("utf-8")


def _table_columns(text: str, header: list[str]) -> str:
    """Keep each named column's element (its formats and formulas), add the new ones."""
    block = re.search(r"<((?:\w+:)?)tableColumns\b[^>]*>(.*?)</\1tableColumns>", text, re.S)
    if block is None:
        return text
    prefix = block.group(1)
    columns = re.findall(
        rf"<{prefix}tableColumn\b[^>]*?(?:/>|>.*?</{prefix}tableColumn>)", block.group(2), re.S
    )
    by_name: dict[str, str] = {}
    ids = [0]
    for column in columns:
        found = re.search(r'\sname="([^"]*)"', column)
        number = re.search(r'\sid="(\d+)"', column)
        if found:
            by_name[_xml_unescape(found.group(1))] = column
        if number:
            ids.append(int(number.group(1)))
    if list(by_name) == header and len(by_name) == len(columns):
        return text
    next_id = max(ids) + 1
    rebuilt = []
    for name in header:
        if name in by_name:
            rebuilt.append(by_name[name])
        else:
            rebuilt.append(f'<{prefix}tableColumn id="{next_id}" name="{_xml_attr(name)}"/>')
            next_id += 1
    element = (
        f'<{prefix}tableColumns count="{len(header)}">{"".join(rebuilt)}</{prefix}tableColumns>'
    )
    return text[: block.start()] + element + text[block.end() :]


def _xml_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _xml_unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


@dataclass(frozen=True)
class Resize:
    """A product table's extent before and after the save."""

    sheet: str
    old: tuple[int, int, int, int]
    new: tuple[int, int, int, int]


_CHART_REF = re.compile(
    r"(<(\w+:)?f>)((?:'[^']+'|[^!<]+)!)\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)(</\2f>)"
)


def _sheet_of(reference: str) -> str:
    name = reference[:-1]
    return name[1:-1].replace("''", "'") if name.startswith("'") else name


def _update_chart(text: str, resizes: list[Resize]) -> tuple[str, bool]:
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        sheet = _sheet_of(match.group(3))
        first_col, first_row = match.group(4), int(match.group(5))
        last_col, last_row = match.group(6), int(match.group(7))
        col_min, _, col_max, _ = range_boundaries(f"{first_col}1:{last_col}1")
        for resize in resizes:
            min_col, min_row, max_col, max_row = resize.old
            if (
                resize.sheet == sheet
                and min_col <= (col_min or 0) <= (col_max or 0) <= max_col
                and first_row in (min_row, min_row + 1)
                and last_row == max_row
                and resize.new[3] != max_row
            ):
                changed = True
                return (
                    f"{match.group(1)}{match.group(3)}${first_col}${first_row}:"
                    f"${last_col}${resize.new[3]}{match.group(8)}"
                )
        return match.group(0)

    text = _CHART_REF.sub(replace, text)
    if changed:  # the cached points describe the old extent: let the spreadsheet read the cells
        text = re.sub(r"<(\w+:)?(numCache|strCache)>.*?</\1?\2>", "", text, flags=re.S)
    return text, changed


def write_package(
    original: bytes,
    workbook: Workbook,
    baseline: Baseline,
    written: dict[str, set[CellKey]],
    cached: dict[tuple[str, int, int], Any],
    render: Callable[[], bytes] | None = None,
    views: Iterable[str] = (),
) -> bytes:
    """The original package with the product's changes in it (see the module docstring).

    Args:
        original: the package bytes as opened.
        workbook: the openpyxl model holding the product's changes.
        baseline: the model as opened.
        written: cells the product wrote, per sheet (written even when unchanged: a
            formula's cached value may have changed).
        cached: computed results of formula cells, by (sheet, row, column).
        render: saves the model with openpyxl (called only when a sheet gains charts or a
            view is redrawn: the source of their sheet, drawing and chart parts).
        views: the tabs the product owns wholly (sop_addin.workbook.package_views); one the
            product drew again in this session is written whole from the render.
    """
    package = Package.read(original)
    sheets = package.sheet_parts()
    removed = sorted(set(sheets) - set(workbook.sheetnames))
    if removed:
        msg = (
            f"the tab(s) {', '.join(removed)} would be removed; a save of an opened workbook "
            "never removes, adds or renames tabs"
        )
        raise PackageError(msg)
    resizes: list[Resize] = []
    formulas_changed = False
    redrawn = [
        title
        for title in views
        if title in workbook.sheetnames
        and workbook[title] is not baseline.worksheets.get(title)
        and render is not None
    ]
    for ws in workbook.worksheets:
        part = sheets.get(ws.title)
        before = baseline.cells.get(ws.title)
        if ws.title in redrawn and part is not None:
            if any(cell.data_type == "f" for cell in ws._cells.values()):
                formulas_changed = True
            continue  # written whole below
        if part is None or before is None:
            msg = f"the tab {ws.title!r} is new or renamed; the product never adds or renames tabs"
            raise PackageError(msg)
        keys = _changed_cells(ws, before) | {
            key
            for key in written.get(ws.title, set())
            if ws._cells.get(key) is not None
            and (
                ws._cells[key].data_type == "f"
                or key not in before
                or before[key] != (ws._cells[key].value, ws._cells[key].data_type)
            )
        }
        table_changes = _table_changes(ws, baseline.tables.get(ws.title, {}), keys)
        if not keys and not table_changes:
            continue
        sheet = SheetXml(package.parts[part], part)
        styles = _Styles(workbook, baseline, sheet)
        writes = {}
        for row, column in keys:
            cell = ws._cells[(row, column)]
            if before.get((row, column), (None, "n"))[1] == "f":
                formulas_changed = True
            writes[(row, column)] = _cell_write(
                cell,
                styles.index(cell, row, column),
                workbook.epoch,
                cached.get((ws.title, row, column)),
            )
        sheet.write(writes)
        package.set(part, sheet.to_bytes())
        tables = package.table_parts(part)
        for name, (old_ref, new_ref) in table_changes.items():
            table_part = tables.get(name)
            if table_part is None:
                msg = f"the table {name} on {ws.title!r} has no table part in the file"
                raise PackageError(msg)
            tbl = next(ws.tables[n] for n in ws.tables if n.lower() == name)
            min_col, min_row, max_col, _ = _bounds(tbl.ref)
            header = [
                str(ws.cell(min_row, c).value) if ws.cell(min_row, c).value is not None else ""
                for c in range(min_col, max_col + 1)
            ]
            package.set(table_part, _table_part(package.parts[table_part], new_ref, header))
            resizes.append(Resize(ws.title, _bounds(old_ref), _bounds(new_ref)))
    if resizes:
        _update_charts(package, resizes)
    style_target = StyleTarget(package)
    for ws in workbook.worksheets:  # the product's alert rules on its table tabs, replaced
        if ws.title in redrawn or ws.conditional_formatting is baseline.formats.get(ws.title):
            continue
        part = sheets[ws.title]
        package.set(part, write_conditional_formats(package.parts[part], ws, style_target))
    rendered: bytes | None = None
    if redrawn and render is not None:
        rendered = render()
        write_views(package, rendered, workbook, redrawn, style_target)
    style_target.finish()
    if render is not None:
        cached_render = render if rendered is None else (lambda: rendered)
        _add_new_drawings(package, cached_render, workbook, sheets, skip=set(redrawn))
    if formulas_changed:
        _drop_calc_chain(package)
    return package.to_bytes()


def _bounds(ref: str) -> tuple[int, int, int, int]:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return int(min_col or 1), int(min_row or 1), int(max_col or 1), int(max_row or 1)


def _table_changes(
    ws: Worksheet, before: dict[str, str], changed: set[CellKey]
) -> dict[str, tuple[str, str]]:
    """Tables whose extent changed or whose header row the product rewrote."""
    changes = {}
    for name in ws.tables:
        old = before.get(name.lower())
        new = ws.tables[name].ref
        if old is None:
            msg = (
                f"the table {name} on {ws.title!r} is new; the product never adds tables to a file"
            )
            raise PackageError(msg)
        min_col, header_row, max_col, _ = _bounds(new)
        header = any(row == header_row and min_col <= col <= max_col for row, col in changed)
        if old != new or header:
            changes[name.lower()] = (old, new)
    return changes


def _update_charts(package: Package, resizes: list[Resize]) -> None:
    for name in list(package.names):
        if name.startswith("xl/charts/") and name.endswith(".xml") and "/_rels/" not in name:
            text, changed = _update_chart(package.parts[name].decode("utf-8"), resizes)
            if changed:
                package.set(name, text.encode("utf-8"))


def _drawing_of(package: Package, sheet_part: str) -> str | None:
    for _, kind, target in package.relationships(sheet_part):
        if kind == DRAWING_REL:
            return target
    return None


def _add_new_drawings(
    package: Package,
    render: Callable[[], bytes],
    workbook: Workbook,
    sheets: dict[str, str],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Charts the product draws on a sheet that has no drawing yet come from openpyxl's render."""
    rendered: Package | None = None
    for ws in workbook.worksheets:
        if not getattr(ws, "_charts", None) or ws.title in skip:
            continue
        part = sheets[ws.title]
        if _drawing_of(package, part) is not None:
            continue  # charts already there follow their tables (_update_charts)
        if rendered is None:
            rendered = Package.read(render())
        rendered_sheets = rendered.sheet_parts()
        source = _drawing_of(rendered, rendered_sheets[ws.title])
        if source is None:
            continue
        drawing = copy_drawing(package, rendered, source, repr(ws.title))
        rid = package.add_relationship(part, DRAWING_REL, drawing)
        package.set(part, _insert_drawing(package.parts[part].decode("utf-8"), rid).encode("utf-8"))


def _insert_drawing(text: str, rid: str) -> str:
    root = re.search(r"<(\w+:)?worksheet\b[^>]*>", text)
    assert root is not None
    prefix = root.group(1) or ""
    rel_prefix = "r"
    declared = re.search(
        r'xmlns:(\w+)="http://schemas.openxmlformats.org/officeDocument/2006/relationships"',
        root.group(0),
    )
    if declared:
        rel_prefix = declared.group(1)
    else:
        tag = root.group(0)
        new_tag = tag[:-1] + (
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        )
        text = text.replace(tag, new_tag, 1)
    element = f'<{prefix}drawing {rel_prefix}:id="{rid}"/>'
    return insert_before_followers(text, element, prefix, _AFTER_DRAWING, "worksheet")


def _drop_calc_chain(package: Package) -> None:
    """Excel's calculation chain lists formula cells; after formula cells change it is stale
    (Excel reports a stale one as damage), and Excel rebuilds it on load."""
    chain = next((n for n in package.names if n.endswith("calcChain.xml")), None)
    if chain is None:
        return
    package.remove(chain)
    workbook = package.workbook_part()
    rels = Package.rels_name(workbook)
    if rels in package.parts:
        text = package.parts[rels].decode("utf-8")
        text = re.sub(r"<Relationship\b[^>]*calcChain[^>]*/>", "", text)
        package.set(rels, text.encode("utf-8"))
    types = package.parts[CONTENT_TYPES].decode("utf-8")
    types = re.sub(r"<Override\b[^>]*calcChain[^>]*/>", "", types)
    package.set(CONTENT_TYPES, types.encode("utf-8"))


def owned_parts(package: Package, sheets: Iterable[str]) -> set[str]:
    """Parts a save may change for the given sheet names (their XML, tables, drawings, charts)."""
    parts = package.sheet_parts()
    owned = {CONTENT_TYPES}
    for name in sheets:
        part = parts[name]
        owned |= {part, Package.rels_name(part), *package.table_parts(part).values()}
    owned |= {n for n in package.names if n.startswith(("xl/charts/", "xl/drawings/"))}
    owned |= {n for n in package.names if n.endswith("calcChain.xml")}
    return owned


__all__ = ["Baseline", "PackageError", "get_column_letter", "write_package"]
