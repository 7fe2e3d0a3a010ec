"""Sheets the product owns wholly (the views) are written whole into the original package.

A view sheet (a grid tab, the Exec page, the forecast chart tab) is redrawn from the tables
on every run, with its formatting, outline, conditional formats, page setup and charts. At
save its worksheet XML comes from openpyxl's own render of the model and replaces the
original sheet part. What it needs from the shared parts is added without disturbing what is
there:

* styles.xml: the cell formats (and their fonts, fills, borders, number formats) and the
  differential formats of conditional rules are appended (an identical existing entry is
  reused), so every other sheet's style indices stay valid;
* strings are written inline in the sheet (the shared strings part is not touched);
* workbook.xml: only the view's print area / print titles names, and the active tab;
* drawings and charts: the view's own, taken from the render.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.xml.functions import tostring

from sop_addin.workbook.package import (
    CONTENT_TYPES,
    DOC_REL_NS,
    MAIN_NS,
    REL_NS,
    Package,
    PackageError,
    insert_before_followers,
)

CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
DRAWING_REL = f"{DOC_REL_NS}/drawing"
CHART_REL = f"{DOC_REL_NS}/chart"
HYPERLINK_REL = f"{DOC_REL_NS}/hyperlink"
PRINT_NAMES = ("_xlnm.Print_Area", "_xlnm.Print_Titles")
_SHEET_ID = "\x00sheet\x00"  # where a print name's sheet position goes
# workbook.xml children that follow <definedNames> (ECMA-376 CT_Workbook order).
_AFTER_NAMES = (
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _serialize(element: ElementTree.Element, prefix: str) -> str:
    """An element of the main namespace as XML text with the given prefix ("" or "x:")."""
    name = prefix + _local(element.tag)
    attrs = "".join(
        f' {_local(k) if not k.startswith("{") or MAIN_NS in k else k}="{_escape(v)}"'
        for k, v in sorted(element.attrib.items())
    )
    children = "".join(_serialize(child, prefix) for child in element)
    text = _escape(element.text) if element.text and element.text.strip() else ""
    if not children and not text:
        return f"<{name}{attrs}/>"
    return f"<{name}{attrs}>{text}{children}</{name}>"


class _StyleSheet:
    """The original styles.xml, appended to (never renumbered)."""

    SECTIONS = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")

    def __init__(self, data: bytes) -> None:
        self.text = data.decode("utf-8")
        root = ElementTree.fromstring(data)
        found = re.search(r"<(\w+:)?styleSheet\b", self.text)
        self.prefix = (found.group(1) or "") if found else ""
        self.items: dict[str, list[str]] = {}
        self.added: dict[str, list[str]] = {s: [] for s in self.SECTIONS}
        for section in self.SECTIONS:
            node = root.find(f"{{{MAIN_NS}}}{section}")
            children = list(node) if node is not None else []
            self.items[section] = [_serialize(c, "") for c in children]
        self.formats: dict[str, int] = {}
        node = root.find(f"{{{MAIN_NS}}}numFmts")
        for fmt in node if node is not None else []:
            self.formats.setdefault(fmt.get("formatCode", ""), int(fmt.get("numFmtId", "0")))
        self.changed = False

    def index(self, section: str, element: ElementTree.Element) -> int:
        key = _serialize(element, "")
        items = self.items[section]
        if key in items:
            return items.index(key)
        items.append(key)
        self.added[section].append(_serialize(element, self.prefix))
        self.changed = True
        return len(items) - 1

    def number_format(self, code: str) -> int:
        if code in self.formats:
            return self.formats[code]
        number = max([163, *self.formats.values()]) + 1
        self.formats[code] = number
        element = ElementTree.Element(
            f"{{{MAIN_NS}}}numFmt", {"numFmtId": str(number), "formatCode": code}
        )
        self.items["numFmts"].append(_serialize(element, ""))
        self.added["numFmts"].append(_serialize(element, self.prefix))
        self.changed = True
        return number

    def to_bytes(self) -> bytes:
        text = self.text
        p = re.escape(self.prefix)
        for section in self.SECTIONS:
            new = self.added[section]
            if not new:
                continue
            count = len(self.items[section])
            full = re.search(rf"<{p}{section}\b([^>]*?)(/?)>", text)
            if full is not None and full.group(2) == "":
                end = text.index(f"</{self.prefix}{section}>", full.end())
                opening = _with_count(full.group(0), count)
                text = (
                    text[: full.start()]
                    + opening
                    + text[full.end() : end]
                    + "".join(new)
                    + text[end:]
                )
            elif full is not None:  # <fonts count="0"/>
                element = (
                    f'<{self.prefix}{section} count="{count}">{"".join(new)}'
                    f"</{self.prefix}{section}>"
                )
                text = text[: full.start()] + element + text[full.end() :]
            else:
                element = (
                    f'<{self.prefix}{section} count="{count}">{"".join(new)}'
                    f"</{self.prefix}{section}>"
                )
                text = _insert_section(text, self.prefix, section, element)
        return text.encode("utf-8")


_STYLE_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)


def _with_count(opening: str, count: int) -> str:
    if re.search(r'\scount="\d*"', opening):
        return re.sub(r'\scount="\d*"', f' count="{count}"', opening, count=1)
    return opening[:-1] + f' count="{count}">'


def _insert_section(text: str, prefix: str, section: str, element: str) -> str:
    later = _STYLE_ORDER[_STYLE_ORDER.index(section) + 1 :]
    for follower in later:
        found = re.search(rf"<{re.escape(prefix)}{follower}\b", text)
        if found:
            return text[: found.start()] + element + text[found.start() :]
    closing = text.rfind(f"</{prefix}styleSheet>")
    return text[:closing] + element + text[closing:]


class _StyleMap:
    """Rendered style indices -> indices in the original styles.xml (entries appended)."""

    def __init__(self, rendered: bytes, target: _StyleSheet) -> None:
        root = ElementTree.fromstring(rendered)
        self.target = target

        def children(section: str) -> list[ElementTree.Element]:
            node = root.find(f"{{{MAIN_NS}}}{section}")
            return list(node) if node is not None else []

        self.fonts, self.fills, self.borders = (
            children("fonts"),
            children("fills"),
            children("borders"),
        )
        self.xfs, self.dxfs = children("cellXfs"), children("dxfs")
        self.codes = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in children("numFmts")
        }
        self._xf: dict[int, int] = {}
        self._dxf: dict[int, int] = {}

    def xf(self, index: int) -> int:
        if index not in self._xf:
            source = self.xfs[index]
            xf = ElementTree.Element(source.tag, dict(source.attrib))
            for child in source:
                xf.append(child)
            number = int(source.get("numFmtId", "0"))
            if number >= 164:  # a custom format: by its code
                xf.set(
                    "numFmtId", str(self.target.number_format(self.codes.get(number, "General")))
                )
            for attr, items, section in (
                ("fontId", self.fonts, "fonts"),
                ("fillId", self.fills, "fills"),
                ("borderId", self.borders, "borders"),
            ):
                found = int(source.get(attr, "0"))
                if found < len(items):
                    xf.set(attr, str(self.target.index(section, items[found])))
            xf.set("xfId", "0")  # the Normal cell style (named styles are not carried over)
            self._xf[index] = self.target.index("cellXfs", xf)
        return self._xf[index]

    def dxf(self, index: int) -> int:
        if index not in self._dxf:
            self._dxf[index] = self.target.index("dxfs", self.dxfs[index])
        return self._dxf[index]


def _shared_strings(rendered: Package) -> list[str]:
    name = next((n for n in rendered.names if n.endswith("sharedStrings.xml")), None)
    if name is None:
        return []
    text = rendered.parts[name].decode("utf-8")
    return [m.group(1) or "" for m in re.finditer(r"<si>(.*?)</si>|<si/>", text, re.S)]


_CELL = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)


def _sheet_xml(text: str, styles: _StyleMap, strings: list[str], selected: bool) -> str:
    """The rendered sheet with its styles mapped, its strings inline and its selection set."""

    def style_attr(tag: str, name: str) -> str:
        return re.sub(
            rf'(\s{name}=")(\d+)(")',
            lambda m: f"{m.group(1)}{styles.xf(int(m.group(2)))}{m.group(3)}",
            tag,
        )

    def cell(match: re.Match[str]) -> str:
        attrs = style_attr(match.group(1), "s")
        body = match.group(3)
        if body is not None and re.search(r'\st="s"', attrs):
            found = re.search(r"<v>(\d+)</v>", body)
            if found is not None:
                attrs = re.sub(r'\st="s"', ' t="inlineStr"', attrs)
                return f"<c{attrs}><is>{strings[int(found.group(1))]}</is></c>"
        if match.group(2) == "/>":
            return f"<c{attrs}/>"
        return f"<c{attrs}>{body}</c>"

    text = _CELL.sub(cell, text)
    text = re.sub(r"<row\b[^>]*>", lambda m: style_attr(m.group(0), "s"), text)
    text = re.sub(r"<col\b[^>]*>", lambda m: style_attr(m.group(0), "style"), text)
    text = re.sub(
        r'(<cfRule\b[^>]*?\sdxfId=")(\d+)(")',
        lambda m: f"{m.group(1)}{styles.dxf(int(m.group(2)))}{m.group(3)}",
        text,
    )

    def view(match: re.Match[str]) -> str:
        tag = re.sub(r'\stabSelected="[^"]*"', "", match.group(0))
        if selected:
            tag = re.sub(r"^<sheetView\b", '<sheetView tabSelected="1"', tag)
        return tag

    return re.sub(r"<sheetView\b[^>]*>", view, text, count=1)


def _sheet_names(workbook_xml: bytes) -> list[str]:
    root = ElementTree.fromstring(workbook_xml)
    return [s.get("name", "") for s in root.iter(f"{{{MAIN_NS}}}sheet")]


def _print_names(workbook_xml: bytes, sheet: int) -> list[str]:
    text = workbook_xml.decode("utf-8")
    found = []
    for match in re.finditer(r"<(\w+:)?definedName\b([^>]*)>(.*?)</\1?definedName>", text, re.S):
        attrs = match.group(2)
        name = re.search(r'\sname="([^"]*)"', attrs)
        local = re.search(r'\slocalSheetId="(\d+)"', attrs)
        if name and local and name.group(1) in PRINT_NAMES and int(local.group(1)) == sheet:
            opening = f'<definedName name="{name.group(1)}" localSheetId="{_SHEET_ID}">'
            found.append(f"{opening}{match.group(3)}</definedName>")
    return found


def _patch_names(text: str, sheet: int, names: list[str]) -> str:
    """Replace the print names of one sheet (by its position) in workbook.xml."""

    def drop(match: re.Match[str]) -> str:
        attrs = match.group(2)
        name = re.search(r'\sname="([^"]*)"', attrs)
        local = re.search(r'\slocalSheetId="(\d+)"', attrs)
        if name and local and name.group(1) in PRINT_NAMES and int(local.group(1)) == sheet:
            return ""
        return match.group(0)

    text = re.sub(r"<(\w+:)?definedName\b([^>]*)>(.*?)</\1?definedName>", drop, text, flags=re.S)
    root = re.search(r"<(\w+:)?workbook\b", text)
    prefix = (root.group(1) or "") if root else ""
    added = "".join(
        n.replace("<definedName", f"<{prefix}definedName")
        .replace("</definedName>", f"</{prefix}definedName>")
        .replace(_SHEET_ID, str(sheet))
        for n in names
    )
    empty = re.search(rf"<{re.escape(prefix)}definedNames\s*/>", text)
    if empty is not None:
        text = text[: empty.start()] + text[empty.end() :]
    block = re.search(
        rf"<{re.escape(prefix)}definedNames\b[^>]*>(.*?)</{re.escape(prefix)}definedNames>",
        text,
        re.S,
    )
    if block is not None:
        inner = block.group(1) + added
        if not inner.strip():
            return text[: block.start()] + text[block.end() :]
        return text[: block.start(1)] + inner + text[block.end(1) :]
    if not added:
        return text
    element = f"<{prefix}definedNames>{added}</{prefix}definedNames>"
    return insert_before_followers(text, element, prefix, _AFTER_NAMES, "workbook")


def _active_tab(text: str) -> int:
    found = re.search(r'<(?:\w+:)?workbookView\b[^>]*?\sactiveTab="(\d+)"', text)
    return int(found.group(1)) if found else 0


def _set_active_tab(text: str, index: int) -> str:
    view = re.search(r"<(\w+:)?workbookView\b[^>]*?/?>", text)
    if view is None:
        return text
    tag = view.group(0)
    if re.search(r'\sactiveTab="\d+"', tag):
        new = re.sub(r'\sactiveTab="\d+"', f' activeTab="{index}"', tag)
    else:
        end = -2 if tag.endswith("/>") else -1
        new = tag[:end] + f' activeTab="{index}"' + tag[end:]
    new = re.sub(r'\sfirstSheet="\d+"', "", new) if index == 0 else new
    return text[: view.start()] + new + text[view.end() :]


def _remove_drawing(package: Package, sheet_part: str, others: Iterable[str]) -> None:
    """Drop a replaced view's old drawing and its charts (when no other sheet uses them)."""
    used_elsewhere = {t for part in others for _, _, t in package.relationships(part)}
    for _, kind, target in package.relationships(sheet_part):
        if kind != DRAWING_REL or target in used_elsewhere:
            continue
        for _, child_kind, chart in package.relationships(target):
            if child_kind == CHART_REL:
                for _, _, extra in package.relationships(chart):  # colours, styles of a chart
                    _drop_part(package, extra)
                _drop_part(package, Package.rels_name(chart))
                _drop_part(package, chart)
        _drop_part(package, Package.rels_name(target))
        _drop_part(package, target)


def _drop_part(package: Package, name: str) -> None:
    if name not in package.parts:
        return
    package.remove(name)
    types = package.parts[CONTENT_TYPES].decode("utf-8")
    types = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(name)}"[^>]*/>', "", types)
    package.set(CONTENT_TYPES, types.encode("utf-8"))


def copy_drawing(package: Package, rendered: Package, source: str, where: str = "a view") -> str:
    """The rendered drawing and its charts as new parts; the new drawing's name.

    The rendered drawing names its charts by the render's ids: kept, with new targets.
    """
    drawing = package.free_name("xl/drawings/drawing{}.xml")
    package.set(drawing, rendered.parts[source])
    package.add_override(drawing, DRAWING_TYPE)
    rels = []
    for rid, kind, target in rendered.relationships(source):
        if kind != CHART_REL:
            msg = f"the product's drawing on {where} holds an unexpected part ({kind})"
            raise PackageError(msg)
        chart = package.free_name("xl/charts/chart{}.xml")
        package.set(chart, rendered.parts[target])
        package.add_override(chart, CHART_TYPE)
        rels.append((rid, chart))
    body = "".join(
        f'<Relationship Id="{rid}" Type="{CHART_REL}" Target="../charts/{posixpath.basename(c)}"/>'
        for rid, c in rels
    )
    package.set(
        Package.rels_name(drawing),
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{REL_NS}">{body}</Relationships>'
        ).encode(),
    )
    return drawing


def _sheet_rels(package: Package, rendered: Package, part: str, source: str) -> None:
    """The view's relationships: the render's ids, targets copied into the package."""
    data = rendered.parts.get(Package.rels_name(source))
    rels_name = Package.rels_name(part)
    if data is None:
        package.remove(rels_name)
        return
    folder = posixpath.dirname(part)
    out = []
    for rel in ElementTree.fromstring(data).iter(f"{{{REL_NS}}}Relationship"):
        rid, kind, target = rel.get("Id", ""), rel.get("Type", ""), rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            out.append(
                f'<Relationship Id="{_escape(rid)}" Type="{_escape(kind)}" '
                f'Target="{_escape(target)}" TargetMode="External"/>'
            )
            continue
        absolute = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        )
        if kind != DRAWING_REL:
            msg = f"a view sheet holds a part the save cannot carry ({kind})"
            raise PackageError(msg)
        drawing = copy_drawing(package, rendered, absolute)
        relative = posixpath.relpath(drawing, folder)
        out.append(f'<Relationship Id="{_escape(rid)}" Type="{kind}" Target="{relative}"/>')
    package.set(
        rels_name,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{REL_NS}">{"".join(out)}</Relationships>'
        ).encode(),
    )


class StyleTarget:
    """The package's styles part, appended to by the save; written back by finish()."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.part = next(
            (
                t
                for _, k, t in package.relationships(package.workbook_part())
                if k.endswith("/styles")
            ),
            None,
        )
        self._sheet: _StyleSheet | None = None

    @property
    def sheet(self) -> _StyleSheet:
        """Read when first needed: a save that adds no formats never touches styles.xml."""
        if self._sheet is None:
            if self.part is None or self.part not in self.package.parts:
                msg = "the workbook has no styles part to add the views' formats to"
                raise PackageError(msg)
            self._sheet = _StyleSheet(self.package.parts[self.part])
        return self._sheet

    def finish(self) -> None:
        if self._sheet is not None and self._sheet.changed and self.part is not None:
            self.package.set(self.part, self._sheet.to_bytes())


# CT_Worksheet children that follow <conditionalFormatting>.
_AFTER_FORMATS = (
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
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


def write_conditional_formats(data: bytes, ws: Any, styles: StyleTarget) -> bytes:
    """A sheet's top-level conditional formats replaced by the model's (the product's alert
    rules on its table tabs); Excel 2010 rules in extLst are left as they are."""
    text = data.decode("utf-8")
    root = re.search(r"<(\w+:)?worksheet\b", text)
    prefix = (root.group(1) or "") if root else ""
    p = re.escape(prefix)
    text = re.sub(
        rf"<{p}conditionalFormatting\b[^>]*?(?:/>|>.*?</{p}conditionalFormatting>)",
        "",
        _outside_ext(text),
        flags=re.S,
    ) + _ext_part(text)
    elements = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.dxf is not None and rule.dxf != DifferentialStyle():
                rule.dxfId = styles.sheet.index("dxfs", _tree(rule.dxf.to_tree()))
        elements.append(_serialize(_tree(cf.to_tree()), prefix))
    if not elements:
        return text.encode("utf-8")
    block = "".join(elements)
    for follower in _AFTER_FORMATS:
        found = re.search(rf"<{p}{follower}\b", text)
        if found:
            return (text[: found.start()] + block + text[found.start() :]).encode("utf-8")
    closing = text.rfind(f"</{prefix}worksheet>")
    return (text[:closing] + block + text[closing:]).encode("utf-8")


def _outside_ext(text: str) -> str:
    found = re.search(r"<(\w+:)?extLst\b", text)
    return text if found is None else text[: found.start()]


def _ext_part(text: str) -> str:
    found = re.search(r"<(\w+:)?extLst\b", text)
    return "" if found is None else text[found.start() :]


def _tree(element: Any) -> ElementTree.Element:
    """An openpyxl-made element (no namespace) as an element of the main namespace."""
    copied = ElementTree.fromstring(tostring(element))
    for node in copied.iter():
        if isinstance(node.tag, str) and not node.tag.startswith("{"):
            node.tag = f"{{{MAIN_NS}}}{node.tag}"
    return copied


def write_views(
    package: Package,
    rendered_bytes: bytes,
    workbook: Workbook,
    views: Iterable[str],
    styles: StyleTarget,
) -> None:
    """Replace each view sheet's part with the render's (see the module docstring)."""
    views = [v for v in views if v in workbook.sheetnames]
    if not views:
        return
    rendered = Package.read(rendered_bytes)
    sheets, rendered_sheets = package.sheet_parts(), rendered.sheet_parts()
    missing = [v for v in views if v not in sheets]
    if missing:
        msg = (
            f"the view tab(s) {', '.join(missing)} are not in the file; the product never adds "
            "tabs to an opened workbook"
        )
        raise PackageError(msg)
    rendered_styles = next(
        t for _, k, t in rendered.relationships(rendered.workbook_part()) if k.endswith("/styles")
    )
    target = styles.sheet
    style_map = _StyleMap(rendered.parts[rendered_styles], target)
    strings = _shared_strings(rendered)
    workbook_part = package.workbook_part()
    workbook_text = package.parts[workbook_part].decode("utf-8")
    order = _sheet_names(package.parts[workbook_part])
    rendered_order = _sheet_names(rendered.parts[rendered.workbook_part()])
    active = workbook.active.title if workbook.active is not None else None
    others = [p for n, p in sheets.items() if n not in views]
    for title in views:
        part, source = sheets[title], rendered_sheets[title]
        text = rendered.parts[source].decode("utf-8")
        text = _sheet_xml(text, style_map, strings, selected=title == active)
        _remove_drawing(package, part, others)
        package.set(part, text.encode("utf-8"))
        _sheet_rels(package, rendered, part, source)
        names = _print_names(rendered.parts[rendered.workbook_part()], rendered_order.index(title))
        workbook_text = _patch_names(workbook_text, order.index(title), names)
    if active is not None and active in order and order.index(active) != _active_tab(workbook_text):
        previous = (
            order[_active_tab(workbook_text)] if _active_tab(workbook_text) < len(order) else None
        )
        workbook_text = _set_active_tab(workbook_text, order.index(active))
        if previous is not None and previous not in views and previous in sheets:
            old = sheets[previous]
            sheet_text = package.parts[old].decode("utf-8")
            package.set(
                old,
                re.sub(
                    r'(<(?:\w+:)?sheetView\b[^>]*?)\stabSelected="1"', r"\1", sheet_text, count=1
                ).encode("utf-8"),
            )
    if workbook_text.encode("utf-8") != package.parts[workbook_part]:
        package.set(workbook_part, workbook_text.encode("utf-8"))


__all__ = ["StyleTarget", "write_conditional_formats", "write_views"]
