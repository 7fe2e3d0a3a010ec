"""A content hash over what a reader of a workbook sees, with a digest per cell.

What counts: sheet names, order and visibility; each non-empty cell's position, typed value
and look (number format, font colour and size, fill colour, cell lock); hidden rows and
columns (and those too narrow or low to show a value); merged ranges; conditional formats;
comments; hyperlinks; the Excel tables and their ranges (what the file port reads); sheet
protection. What does not count: the zip container, timestamps, style ids, column widths
above that, anything a spreadsheet rewrites when it saves a file unchanged (`sop verify`
checks the container's parts on its own: no drawings, macros or links). So a workbook saved
again unchanged by Excel, LibreOffice or openpyxl keeps its hash, and a changed number,
number format or hidden row does not.

Each cell's value and look are kept in the manifest as a CRC-32 and an index into
the sheet's list of looks, so `sop verify` names exactly the cells that changed (and, for a
changed look, what it was).
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MAX_COLUMN = 16_384  # XFD: hidden column ranges are expanded no further
# Narrower or lower than this and a value cannot be read (Excel shows ### or nothing): counted
# as hidden. The snapshot's columns are 10+ characters wide and its rows default height.
MIN_WIDTH = 2.5  # characters
MIN_HEIGHT = 3.0  # points
SIGNIFICANT = Decimal("1e-14")  # 15 significant digits once scaled to one leading digit
DEFAULT_FONT_SIZE = 11.0  # openpyxl writes no size for the default font; LibreOffice writes 11
# Characters Excel shows literally with or without a backslash or quotes in a number format;
# LibreOffice writes `yyyy-mm` back as `yyyy\-mm`.
_LITERAL = set("$-+/():!^&'~{}<>= ")
# Theme colours 0 and 1 are the background and text colours (white and black in every
# built-in theme); LibreOffice writes them back as plain RGB.
_THEME_RGB = {0: "FFFFFF", 1: "000000"}


def number_text(number: float) -> str:
    """A number as LibreOffice writes it: 16 digits, then rounded half-up to 15.

    Measured on LibreOffice 7.4 with 20,000 random doubles (ties included): it writes
    `'%.16g'` rounded half-up to 15 significant digits, for every one of them. Excel and
    openpyxl write the double back exactly. Normalising every number the LibreOffice way
    makes all three agree: a number LibreOffice wrote (at most 15 digits) normalises to
    itself. Python's `'%.15g'` rounds the binary value instead and differs on ties
    (0.1234567890123450 is stored just below the tie: '%.15g' gives ...345, LibreOffice ...346
    after its '%.16g' step).
    """
    if number == 0 or not math.isfinite(number):
        return repr(abs(number) if number == 0 else number)
    shortest = repr(number)
    if len(shortest.split("e")[0].lstrip("-").replace(".", "").strip("0")) <= 15:
        return shortest  # 15 digits or fewer: nothing to round (the common case, and fast)
    text = Decimal(f"{number:.16g}")
    exponent = text.adjusted()
    rounded = text.scaleb(-exponent).quantize(SIGNIFICANT, rounding=ROUND_HALF_UP)
    return repr(float(rounded.scaleb(exponent)))


def normalise(value: Any) -> str | None:
    """One canonical text per typed value; None for an empty cell.

    Whole numbers and floats hash alike (Excel stores 5 and 5.0 the same way) and numbers
    count to 15 significant digits, rounded the way LibreOffice saves them (`number_text`).
    A date keeps its calendar meaning whatever the number format.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return f"b:{int(value)}"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return "n:nan"
        return f"n:{number_text(number)}"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return f"d:{value.date().isoformat()}"
        return f"d:{value.isoformat()}"
    if isinstance(value, date):
        return f"d:{value.isoformat()}"
    if isinstance(value, time | timedelta):
        return f"t:{value}"
    return f"s:{value}"


def format_code(code: str | None) -> str:
    """A number format as Excel shows it: `\\-` and `"-"` are the same literal `-`."""
    code = code or "General"
    out: list[str] = []
    i = 0
    while i < len(code):
        char = code[i]
        if char == "\\" and i + 1 < len(code) and code[i + 1] in _LITERAL:
            out.append(code[i + 1])
            i += 2
            continue
        if char == '"':
            end = code.find('"', i + 1)
            literal = code[i + 1 : end] if end > i else ""
            if end > i and literal and all(c in _LITERAL for c in literal):
                out.append(literal)
                i = end + 1
                continue
            if end > i and len(literal) == 1:  # "%" is \% (LibreOffice writes the latter)
                out.append("\\" + literal)
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _colour(color: Any, default: str) -> str:
    """RGB hex of a font or fill colour (alpha dropped), a theme colour by index and tint."""
    if color is None:
        return default
    kind = getattr(color, "type", "rgb")
    if kind == "theme":
        theme, tint = int(color.theme), float(color.tint or 0.0)
        return _THEME_RGB[theme] if tint == 0 and theme in _THEME_RGB else f"theme{theme}:{tint}"
    if kind == "indexed":
        return "000000" if color.indexed in (8, 64) else f"indexed{color.indexed}"
    rgb = color.rgb if isinstance(color.rgb, str) else default
    return rgb[-6:].upper()


def _look(cell: Any) -> str:
    """What decides how a value shows: number format, font colour and size, fill, lock."""
    font, fill, protection = cell.font, cell.fill, cell.protection
    size = float(font.sz) if font is not None and font.sz is not None else DEFAULT_FONT_SIZE
    paint = "none"
    if fill is not None and fill.fill_type not in (None, "none"):
        paint = f"{fill.fill_type}:{_colour(fill.fgColor, '000000')}"
    colour = _colour(font.color if font is not None else None, "000000")
    locked = "locked" if protection is None or protection.locked else "unlocked"
    hidden = " formula-hidden" if protection is not None and protection.hidden else ""
    return f"{format_code(cell.number_format)}|font {colour} {size:g}|fill {paint}|{locked}{hidden}"


def _hidden_rows(ws: Worksheet) -> list[int]:
    return sorted(
        int(r)
        for r, dim in ws.row_dimensions.items()
        if dim.hidden or (dim.ht is not None and float(dim.ht) < MIN_HEIGHT)
    )


def _hidden_columns(ws: Worksheet) -> list[int]:
    hidden: set[int] = set()
    for dim in ws.column_dimensions.values():
        zero = dim.width is not None and float(dim.width) < MIN_WIDTH
        if dim.hidden or zero:
            low, high = int(dim.min or 0), int(dim.max or 0)
            hidden.update(range(max(low, 1), min(max(high, low), MAX_COLUMN) + 1))
    return sorted(hidden)


def _conditional_formats(ws: Worksheet) -> list[str]:
    rules = []
    for entry in ws.conditional_formatting:
        for rule in entry.rules:
            dxf = rule.dxf
            parts = [
                str(entry.sqref),
                str(rule.type),
                str(rule.operator or ""),
                "|".join(str(f) for f in rule.formula or []),
                str(rule.text or ""),
            ]
            if dxf is not None:
                parts.append(format_code(dxf.numFmt.formatCode) if dxf.numFmt else "")
                parts.append(_colour(dxf.font.color, "") if dxf.font else "")
                parts.append(_dxf_fill(dxf.fill))
            rules.append(" ".join(parts))
    return sorted(rules)


def _dxf_fill(fill: Any) -> str:
    """A rule's fill colour: Excel and LibreOffice keep a solid one as fgColor or bgColor."""
    if fill is None:
        return ""
    colours = {_colour(getattr(fill, name, None), "") for name in ("fgColor", "bgColor")}
    return "+".join(sorted(c for c in colours if c not in ("", "000000")))


def _chart_anchor(chart: Any) -> str:
    """A chart's top-left cell, whether it was just placed ("B5") or read from a file."""
    anchor = chart.anchor
    if isinstance(anchor, str):
        return anchor
    marker = getattr(anchor, "_from", None)
    if marker is None:
        return "?"
    return f"{get_column_letter(int(marker.col) + 1)}{int(marker.row) + 1}"


def sheet_view(ws: Worksheet) -> dict[str, Any]:
    """The sheet-level things a reader sees besides the cells."""
    protection = ws.protection
    return {
        "state": ws.sheet_state,
        "hidden_rows": _hidden_rows(ws),
        "hidden_columns": _hidden_columns(ws),
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        # Charts read cells and show them: which kind, and where (a chart moved over the values
        # would hide them). The drawing parts are checked to hold nothing else (verify.py).
        "charts": sorted(
            f"{type(chart).__name__} at {_chart_anchor(chart)}"
            for chart in ws._charts  # type: ignore[attr-defined]
        ),
        "conditional_formats": _conditional_formats(ws),
        # what the file port (and so `sop review`, `sop soe`) reads: the tables and their ranges
        "tables": sorted(f"{name} {ref}" for name, ref in ws.tables.items()),
        "links": sorted(
            f"{cell.coordinate}: {cell.hyperlink.target or cell.hyperlink.location}"
            for cell in ws._cells.values()
            if cell.hyperlink is not None
        ),
        "comments": sorted(
            f"{cell.coordinate}: {cell.comment.text}"
            for cell in ws._cells.values()
            if cell.comment is not None
        ),
        "protection": (
            [
                protection.algorithmName or "legacy",
                protection.saltValue or "",
                protection.hashValue or (protection.password or ""),
                int(protection.spinCount or 0),
            ]
            if protection.sheet
            else None
        ),
    }


@dataclass
class SheetDigest:
    """Digests of one sheet: the whole, its view, and each non-empty cell's value and look.

    `rows` keeps, per row, "col:crc:look col:crc:look ..." (a value's CRC-32 and an index into
    `looks`): compact text, compared row by row and parsed only where a row differs.
    """

    name: str
    digest: str
    view: dict[str, Any]
    looks: list[str] = field(default_factory=list)
    rows: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "view": self.view,
            "looks": self.looks,
            "rows": {str(r): text for r, text in self.rows.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SheetDigest:
        rows = {int(r): str(text) for r, text in data["rows"].items()}
        return cls(data["name"], data["digest"], data["view"], list(data["looks"]), rows)


def _row_cells(text: str) -> dict[int, tuple[str, int]]:
    """One row's "col:crc:look ..." as {col: (crc, look)}; a malformed item is skipped."""
    cells: dict[int, tuple[str, int]] = {}
    for item in text.split():
        parts = item.split(":")
        if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
            cells[int(parts[0])] = (parts[1], int(parts[2]))
    return cells


def sheet_digest(ws: Worksheet) -> SheetDigest:
    """Digests of one worksheet."""
    view = sheet_view(ws)
    looks: dict[str, int] = {}
    memo: dict[bytes, int] = {}
    items: list[tuple[int, int, str, int]] = []
    # The cells that exist, not the used rectangle: tables of different lengths side by
    # side leave most of the rectangle empty, and iterating it costs seconds.
    for (row, col), cell in ws._cells.items():
        text = normalise(cell.value)
        if text is None:
            continue
        style = getattr(cell, "_style", None)  # a merged cell's covered part may carry none
        key = style.tobytes() if style is not None else b""
        if key not in memo:
            memo[key] = looks.setdefault(_look(cell), len(looks))
        items.append((row, col, text, memo[key]))
    items.sort()
    names = list(looks)
    whole = hashlib.sha256(f"sheet\x00{ws.title}\x00{_json(view)}\x00".encode())
    rows: dict[int, list[str]] = {}
    for row, col, text, look in items:
        whole.update(f"{row}\x00{col}\x00{text}\x00{names[look]}\x01".encode())
        # Only to say which cell changed (the sheet's SHA-256 is what proves it): CRC-32.
        rows.setdefault(row, []).append(f"{col}:{zlib.crc32(text.encode()):08x}:{look}")
    compact = {row: " ".join(parts) for row, parts in rows.items()}
    return SheetDigest(ws.title, whole.hexdigest(), view, names, compact)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def workbook_digests(wb: Workbook) -> list[SheetDigest]:
    """One digest per worksheet, in the workbook's order."""
    return [sheet_digest(ws) for ws in wb.worksheets]


def content_hash(digests: list[SheetDigest]) -> str:
    """SHA-256 over the sheets' names and digests, in order."""
    whole = hashlib.sha256(b"sop-addin content v2\x00")
    for sheet in digests:
        whole.update(f"{sheet.name}\x00{sheet.digest}\x00".encode())
    return whole.hexdigest()


def changed_cells(expected: SheetDigest, actual: SheetDigest) -> tuple[list[str], list[str]]:
    """The cells whose value changed, and those whose look changed (with old and new look).

    A cell that became empty or was filled counts as a changed value.
    """
    values: list[tuple[int, int]] = []
    looks: list[tuple[int, int, str, str]] = []
    for row in sorted(set(expected.rows) | set(actual.rows)):
        if expected.rows.get(row) == actual.rows.get(row):
            continue
        before = _row_cells(expected.rows.get(row, ""))
        after = _row_cells(actual.rows.get(row, ""))
        for col in sorted(set(before) | set(after)):
            old, new = before.get(col), after.get(col)
            if old is None or new is None or old[0] != new[0]:
                values.append((row, col))
                continue
            was = expected.looks[old[1]] if 0 <= old[1] < len(expected.looks) else "?"
            now = actual.looks[new[1]]
            if was != now:
                looks.append((row, col, was, now))
    value_cells = [f"{get_column_letter(c)}{r}" for r, c in values]
    look_cells = [f"{get_column_letter(c)}{r} ({_look_change(w, n)})" for r, c, w, n in looks]
    return value_cells, look_cells


def _look_change(was: str, now: str) -> str:
    labels = ("number format", "font", "fill", "protection")
    parts = [
        f"{label} {a!r} -> {b!r}"
        for label, a, b in zip(labels, was.split("|"), now.split("|"), strict=False)
        if a != b
    ]
    return "; ".join(parts) or f"{was!r} -> {now!r}"


def view_changes(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What changed at sheet level, in words (protection is reported on its own)."""
    changes = []
    if expected.get("state") != actual.get("state"):
        changes.append(f"sheet is now {actual.get('state')} (was {expected.get('state')})")
    for key, label, show in (
        ("hidden_rows", "rows", str),
        ("hidden_columns", "columns", get_column_letter),
    ):
        was, now = set(expected.get(key) or []), set(actual.get(key) or [])
        if now - was:
            changes.append(f"{label} hidden: {', '.join(show(x) for x in sorted(now - was))}")
        if was - now:
            changes.append(f"{label} unhidden: {', '.join(show(x) for x in sorted(was - now))}")
    for key, label in (
        ("merged", "merged cells"),
        ("conditional_formats", "conditional formats"),
        ("comments", "comments"),
        ("tables", "tables"),
        ("links", "hyperlinks"),
    ):
        was, now = set(expected.get(key) or []), set(actual.get(key) or [])
        if now - was:
            changes.append(f"{label} added: {'; '.join(sorted(now - was))}")
        if was - now:
            changes.append(f"{label} removed: {'; '.join(sorted(was - now))}")
    return changes
