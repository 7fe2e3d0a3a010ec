"""Rewrite chosen cells of a worksheet part's XML and keep every other byte as it was.

The worksheet's text is cut into rows and cells with patterns (no XML library re-serialises
it, so namespaces, extLst content, sparklines, conditional formats and the cached values of
untouched formula cells stay exactly as they were). Only rows holding a written cell are
rebuilt, and in them only the written cells.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import column_index_from_string, get_column_letter

from sop_addin.workbook.package import PackageError


@dataclass(frozen=True)
class CellWrite:
    """What to put in one cell: kind is "n" (number), "s" (text), "b", "f" (formula) or None.

    For a formula, `value` is the formula text without "=" and `cached` its computed result
    (a number, text or None). `style` is the cellXfs index (None: no style attribute).
    """

    kind: str | None
    value: Any = None
    style: int | None = None
    cached: Any = None


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
_R_ATTR = re.compile(r'\sr="([^"]*)"')
_S_ATTR = re.compile(r'\ss="(\d+)"')


def _number_text(value: float | int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        msg = f"refusing to write the non-finite number {value}"
        raise ValueError(msg)
    # 16 significant digits, as openpyxl writes them: a workbook saved by either path holds
    # the same numbers (approval digests and LibreOffice read them alike).
    return f"{float(value):.16g}"


def _text(value: str) -> str:
    return escape(ILLEGAL_CHARACTERS_RE.sub("", value))


def cell_xml(prefix: str, ref: str, write: CellWrite) -> str:
    """The XML of one cell (an empty string removes the cell)."""
    style = f' s="{write.style}"' if write.style else ""
    tag = f"{prefix}c"
    if write.kind is None:
        return f'<{tag} r="{ref}"{style}/>' if write.style else ""
    if write.kind == "n":
        return f'<{tag} r="{ref}"{style}><{prefix}v>{_number_text(write.value)}</{prefix}v></{tag}>'
    if write.kind == "b":
        return (
            f'<{tag} r="{ref}"{style} t="b"><{prefix}v>{int(bool(write.value))}</{prefix}v></{tag}>'
        )
    if write.kind == "s":
        text = _text(str(write.value))
        inner = f'<{prefix}is><{prefix}t xml:space="preserve">{text}</{prefix}t></{prefix}is>'
        return f'<{tag} r="{ref}"{style} t="inlineStr">{inner}</{tag}>'
    if write.kind == "f":
        formula = f"<{prefix}f>{_text(str(write.value))}</{prefix}f>"
        cached = write.cached
        if cached is None:
            return f'<{tag} r="{ref}"{style}>{formula}</{tag}>'
        if isinstance(cached, str):
            value = f"<{prefix}v>{_text(cached)}</{prefix}v>"
            return f'<{tag} r="{ref}"{style} t="str">{formula}{value}</{tag}>'
        if isinstance(cached, bool):
            value = f"<{prefix}v>{int(cached)}</{prefix}v>"
            return f'<{tag} r="{ref}"{style} t="b">{formula}{value}</{tag}>'
        value = f"<{prefix}v>{_number_text(cached)}</{prefix}v>"
        return f'<{tag} r="{ref}"{style}>{formula}{value}</{tag}>'
    msg = f"unknown cell kind {write.kind!r}"
    raise ValueError(msg)


@dataclass
class _Row:
    number: int
    lead: str  # whitespace before the row, kept
    text: str  # the row's original XML
    cells: list[tuple[int, str]] | None = None  # parsed on demand: (column, cell XML)
    start_tag: str = ""
    rest: str = ""  # non-cell content of the row (an extLst), kept after the cells


class SheetXml:
    """A worksheet part's XML with its sheetData cut into rows."""

    def __init__(self, data: bytes, part: str) -> None:
        try:
            self.text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"{part} is not UTF-8 XML; the product cannot update it without rewriting it"
            raise PackageError(msg) from exc
        self.part = part
        root = re.search(r"<(\w+:)?worksheet\b", self.text)
        if root is None:
            msg = f"{part} is not a worksheet"
            raise PackageError(msg)
        self.prefix = root.group(1) or ""
        p = re.escape(self.prefix)
        opening = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", self.text)
        if opening is None:
            msg = f"{part} has no sheetData"
            raise PackageError(msg)
        if opening.group(1):
            self.head = self.text[: opening.start()] + f"<{self.prefix}sheetData>"
            body = ""
            self.tail = f"</{self.prefix}sheetData>" + self.text[opening.end() :]
        else:
            close = self.text.find(f"</{self.prefix}sheetData>", opening.end())
            self.head = self.text[: opening.end()]
            body = self.text[opening.end() : close]
            self.tail = self.text[close:]
        self._cell_re = re.compile(rf"<{p}c\b[^>]*?(?:/>|>.*?</{p}c>)", re.S)
        self.rows = self._split_rows(body, p)
        self.changed = False

    def _split_rows(self, body: str, p: str) -> list[_Row]:
        rows: list[_Row] = []
        position = 0
        number = 0
        pattern = re.compile(rf"<{p}row\b[^>]*?(?:/>|>.*?</{p}row>)", re.S)
        for match in pattern.finditer(body):
            lead = body[position : match.start()]
            if lead.strip():
                msg = f"{self.part}: unexpected content between rows ({lead.strip()[:40]!r})"
                raise PackageError(msg)
            start = match.group(0)[: match.group(0).find(">") + 1]
            found = _R_ATTR.search(start)
            number = int(found.group(1)) if found else number + 1
            rows.append(_Row(number, lead, match.group(0)))
            position = match.end()
        self.trailing = body[position:]
        return rows

    def _parse(self, row: _Row) -> None:
        if row.cells is not None:
            return
        text = row.text
        end = text.find(">") + 1
        row.start_tag = text[:end]
        if row.start_tag.endswith("/>"):
            row.start_tag = row.start_tag[:-2].rstrip() + ">"
            row.cells, row.rest = [], ""
            return
        inner = text[end : text.rfind("<")]
        cells: list[tuple[int, str]] = []
        column = 0
        for match in self._cell_re.finditer(inner):
            cell = match.group(0)
            found = _R_ATTR.search(cell[: cell.find(">") + 1])
            ref = _CELL_REF.fullmatch(found.group(1)) if found else None
            column = column_index_from_string(ref.group(1)) if ref else column + 1
            if found is None:  # cells without r: give them one, the row is rebuilt anyway
                cut = 2 + len(self.prefix)
                ref_attr = f' r="{get_column_letter(column)}{row.number}"'
                cell = f"{cell[:cut]}{ref_attr}{cell[cut:]}"
            cells.append((column, cell))
        row.cells = cells
        row.rest = self._cell_re.sub("", inner).strip()

    def style_at(self, row_number: int, column: int) -> int | None:
        """The style index of an existing cell, or None."""
        for row in self.rows:
            if row.number == row_number:
                self._parse(row)
                assert row.cells is not None
                for col, cell in row.cells:
                    if col == column:
                        found = _S_ATTR.search(cell[: cell.find(">") + 1])
                        return int(found.group(1)) if found else None
        return None

    def cell_text(self, row_number: int, column: int) -> str | None:
        for row in self.rows:
            if row.number == row_number:
                self._parse(row)
                assert row.cells is not None
                return next((cell for col, cell in row.cells if col == column), None)
        return None

    def write(self, writes: dict[tuple[int, int], CellWrite]) -> None:
        """Put the given cells (row, column) -> CellWrite; None-kind removes a cell's value."""
        by_row: dict[int, dict[int, CellWrite]] = {}
        for (number, column), write in writes.items():
            by_row.setdefault(number, {})[column] = write
        existing = {row.number: row for row in self.rows}
        for number, updates in by_row.items():
            row = existing.get(number)
            if row is None:
                row = _Row(number, "", "", cells=[], start_tag=f'<{self.prefix}row r="{number}">')
                self.rows.append(row)
                existing[number] = row
            self._parse(row)
            assert row.cells is not None
            kept = {col: cell for col, cell in row.cells if col not in updates}
            for column, write in updates.items():
                xml = cell_xml(self.prefix, f"{get_column_letter(column)}{number}", write)
                if xml:
                    kept[column] = xml
            row.cells = sorted(kept.items())
            row.start_tag = re.sub(r'\sspans="[^"]*"', "", row.start_tag)  # spans are a hint
            if _R_ATTR.search(row.start_tag) is None:
                row.start_tag = row.start_tag[:-1] + f' r="{number}">'
            row.text = ""  # rebuilt on output
            self.changed = True
        self.rows.sort(key=lambda r: r.number)

    def _row_text(self, row: _Row) -> str:
        if row.text:
            return row.lead + row.text
        assert row.cells is not None
        if not row.cells and not row.rest:
            return ""  # an emptied row goes away
        body = "".join(cell for _, cell in row.cells) + row.rest
        return f"{row.lead}{row.start_tag}{body}</{self.prefix}row>"

    def used_range(self) -> str | None:
        rows = [r.number for r in self.rows if r.text or r.cells]
        columns: list[int] = []
        for row in self.rows:
            if row.text or row.cells:
                self._parse(row)
                assert row.cells is not None
                columns += [col for col, _ in row.cells]
        if not rows or not columns:
            return None
        return (
            f"{get_column_letter(min(columns))}{min(rows)}:"
            f"{get_column_letter(max(columns))}{max(rows)}"
        )

    def to_bytes(self) -> bytes:
        body = "".join(self._row_text(row) for row in self.rows) + self.trailing
        head = self.head
        if self.changed:
            used = self.used_range()
            if used is not None:
                head = re.sub(
                    rf'(<{re.escape(self.prefix)}dimension\b[^>]*?\sref=")[^"]*(")',
                    lambda m: f"{m.group(1)}{used}{m.group(2)}",
                    head,
                    count=1,
                )
        return (head + body + self.tail).encode("utf-8")
