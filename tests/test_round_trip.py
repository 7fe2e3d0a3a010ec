"""Lossless round trip: `sop run` changes only what the product owns, byte for byte.

Each workbook is built by the test with content openpyxl cannot carry (the ribbon, VBA,
extLst extensions: x14 data validation, x14 conditional formats, sparklines, slicers; pivot
caches; comments; a user's chart; defined names; cached values of formula cells), plus one
saved by LibreOffice. After `sop run`, every part outside the product's (the sheets holding
output tables, their table parts, the views the run redraws whole with their drawings and
charts, the content-type list) is compared byte for byte, and in the product's sheets every
cell outside its output tables too. Two shared parts may change only as the redrawn views
need: styles.xml is appended to (every existing entry keeps its place, so every other
sheet's style indices stay valid), and workbook.xml changes only in the views' own print
names and the active tab.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from sop_addin.cli import cli
from sop_addin.contract import CONTRACT, Role
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.dashboard import EXEC_TAB, load_alerts
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.forecast_chart import FORECAST_TAB
from sop_addin.workbook.package import CONTENT_TYPES, MAIN_NS, Package
from sop_addin.workbook.package_writer import CHART_REL, DRAWING_REL
from sop_addin.workbook.sheet_xml import SheetXml
from sop_addin.workbook.tables import read_inputs, read_output, write_input_table
from tests.factories import tiny_tables
from tests.layout_support import header_columns, package_tab_of, sheet_with_table, table_bounds
from tests.libreoffice import convert

TEMPLATES = Path(__file__).parent.parent / "templates"
FEATURE_TAB = "Products"  # an input tab: the product never writes it during a run
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SLICER_REL = "http://schemas.microsoft.com/office/2007/relationships/slicer"
SLICER_CACHE_REL = "http://schemas.microsoft.com/office/2007/relationships/slicerCache"
PIVOT_CACHE_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotCacheDefinition"
)
OUTPUT_TABS = {t.tab for t in CONTRACT.tables_with_role(Role.OUTPUT)}
# Tabs a run redraws whole from the tables (the grids, the Exec page, the forecast chart).
VIEW_TABS = {g.tab for g in CONTRACT.grids} | {EXEC_TAB, FORECAST_TAB}
# Tabs whose tables carry the product's alert colours (alerts.csv): their top-level
# conditional formats are the product's, redrawn on every run.
ALERT_TABS = {
    CONTRACT.table(a.target.split(".")[0]).tab
    for a in load_alerts()
    if "." in a.target and a.target.split(".")[0] in CONTRACT.tables
}
CONDITIONAL_FORMAT = re.compile(r"<conditionalFormatting\b[^>]*>.*?</conditionalFormatting>", re.S)


def _ext_list(slicer_rid: str) -> str:
    """Excel 2010 extensions, as Excel writes them at the end of a worksheet."""
    return (
        f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{X14}">'
        f'<x14:dataValidations count="1" xmlns:xm="{XM}"><x14:dataValidation type="list" '
        'allowBlank="1" showErrorMessage="1"><x14:formula1><xm:f>Setup!$A$3:$A$5</xm:f>'
        "</x14:formula1><xm:sqref>C3:C40</xm:sqref></x14:dataValidation></x14:dataValidations>"
        f'</ext><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="{X14}">'
        f'<x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="{XM}">'
        '<x14:cfRule type="dataBar" id="{00000000-0000-0000-0000-0000000000A1}">'
        '<x14:dataBar minLength="0" maxLength="100"><x14:cfvo type="autoMin"/>'
        '<x14:cfvo type="autoMax"/></x14:dataBar></x14:cfRule><xm:sqref>D3:D40</xm:sqref>'
        "</x14:conditionalFormatting></x14:conditionalFormattings></ext>"
        f'<ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{X14}">'
        f'<x14:sparklineGroups xmlns:xm="{XM}"><x14:sparklineGroup displayEmptyCellsAs="gap">'
        '<x14:colorSeries rgb="FF376092"/><x14:sparklines><x14:sparkline>'
        "<xm:f>History!D3:D14</xm:f><xm:sqref>Z3</xm:sqref></x14:sparkline></x14:sparklines>"
        "</x14:sparklineGroup></x14:sparklineGroups></ext>"
        f'<ext uri="{{A8765BA9-456A-4dab-B4F3-ACF838C121DE}}" xmlns:x14="{X14}" '
        f'xmlns:r="{R_NS}"><x14:slicerList><x14:slicer r:id="{slicer_rid}"/></x14:slicerList>'
        "</ext></extLst>"
    )


SLICER = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicers xmlns="{X14}">'
    '<slicer name="family" cache="Slicer_family" caption="family" rowHeight="241300"/></slicers>'
)
SLICER_CACHE = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicerCacheDefinition '
    f'xmlns="{X14}" name="Slicer_family" sourceName="family"><extLst/></slicerCacheDefinition>'
)
PIVOT_CACHE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" refreshOnLoad="1" '
    'recordCount="0"><cacheSource type="worksheet"><worksheetSource ref="A2:C4" '
    'sheet="Products"/></cacheSource><cacheFields count="1"><cacheField name="sku" '
    'numFmtId="0"><sharedItems/></cacheField></cacheFields></pivotCacheDefinition>'
)


def _add_features(path: Path) -> None:
    """Put extLst extensions, slicer and pivot-cache parts and cached formula values into the
    package at `path`, the way Excel stores them."""
    package = Package.open(path)
    sheets = package.sheet_parts()
    products = sheets[FEATURE_TAB]
    slicer = package.free_name("xl/slicers/slicer{}.xml")
    package.set(slicer, SLICER.encode())
    package.add_override(slicer, "application/vnd.ms-excel.slicer+xml")
    slicer_rid = package.add_relationship(products, SLICER_REL, slicer)
    text = package.parts[products].decode()
    text = text.replace("</worksheet>", _ext_list(slicer_rid) + "</worksheet>")
    # Cached results of formula cells, as a spreadsheet saves them: one beside the table,
    # one inside an input table (Prices: the price of the first SKU).
    text = re.sub(r"<f>1\+1</f>(<v\s*/>|<v></v>)?", "<f>1+1</f><v>2</v>", text)
    package.set(products, text.encode())
    finance = sheets[package_tab_of(package, "Prices")]
    ftext = package.parts[finance].decode()
    ftext, found = re.subn(r"<f>2\*50</f>(<v\s*/>|<v></v>)?", "<f>2*50</f><v>100</v>", ftext)
    assert found == 1
    package.set(finance, ftext.encode())

    workbook = package.workbook_part()
    cache = package.free_name("xl/slicerCaches/slicerCache{}.xml")
    package.set(cache, SLICER_CACHE.encode())
    package.add_override(cache, "application/vnd.ms-excel.slicerCache+xml")
    cache_rid = package.add_relationship(workbook, SLICER_CACHE_REL, cache)
    pivot = package.free_name("xl/pivotCache/pivotCacheDefinition{}.xml")
    package.set(pivot, PIVOT_CACHE.encode())
    package.add_override(
        pivot,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml",
    )
    pivot_rid = package.add_relationship(workbook, PIVOT_CACHE_REL, pivot)
    wtext = package.parts[workbook].decode()
    start = re.search(r"<workbook\b[^>]*>", wtext)
    assert start is not None
    if "xmlns:r=" not in start.group(0):
        wtext = re.sub(r"<workbook\b", f'<workbook xmlns:r="{R_NS}"', wtext, count=1)
    pivots = f'<pivotCaches><pivotCache cacheId="1" r:id="{pivot_rid}"/></pivotCaches>'
    slicers = (
        f'<extLst><ext uri="{{BBE1A952-AA13-448e-AADC-164F8A28A991}}" xmlns:x14="{X14}">'
        f'<x14:slicerCaches><x14:slicerCache r:id="{cache_rid}"/></x14:slicerCaches></ext>'
        "</extLst>"
    )
    wtext = wtext.replace("</workbook>", pivots + slicers + "</workbook>")
    package.set(workbook, wtext.encode())
    path.write_bytes(package.to_bytes())


def _with_user_content(path: Path) -> None:
    """What a planner adds in a spreadsheet: a note, a comment, a chart, a name, formulas."""
    wb = load_workbook(path)
    ws = wb[FEATURE_TAB]
    ws["Z1"] = "=1+1"
    ws["Z2"] = "planner's note: check the Pumps prices"
    ws["A2"].comment = Comment("Keep the SKU codes as in the ERP", "Planner")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=2, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "AB5")
    wb.defined_names["PlannerRange"] = DefinedName("PlannerRange", attr_text="Products!$A$2:$C$4")
    prices = sheet_with_table(wb, "Prices")
    _, header_row, _, _ = table_bounds(prices, "Prices")
    prices.cell(header_row + 1, header_columns(prices, "Prices")["unit_price"]).value = "=2*50"
    wb.save(path)


def _xlsx(folder: Path) -> Path:
    path = create_workbook(folder / "features.xlsx", tiny_tables())
    _with_user_content(path)
    _add_features(path)
    return path


def _xlsm(folder: Path) -> Path:
    """The macro-enabled template (real customUI14 ribbon and vbaProject.bin), filled."""
    path = folder / "features.xlsm"
    port = FilePort.open(TEMPLATES / "sop_planning.xlsm")
    for name, frame in tiny_tables().items():
        write_input_table(port, name, frame)
    port.save(path)
    wb = load_workbook(path, keep_vba=True)
    prices = sheet_with_table(wb, "Prices")
    _, header_row, _, _ = table_bounds(prices, "Prices")
    first_price = prices.cell(header_row + 1, header_columns(prices, "Prices")["unit_price"])
    wb_package = Package.open(path)
    assert any(n.startswith("customUI/") for n in wb_package.names)  # the ribbon came along
    part = wb_package.sheet_parts()[prices.title]
    text = wb_package.parts[part].decode()
    # A formula in an input table (the first price), with Excel's cached value.
    text, found = re.subn(
        rf'(<c r="({first_price.coordinate})"[^>]*?)(?: t="\w+")?>.*?</c>',
        r"\1><f>2*50</f><v>100</v></c>",
        text,
        count=1,
    )
    assert found == 1
    wb_package.set(part, text.encode())
    path.write_bytes(wb_package.to_bytes())
    _add_features_no_formula(path)
    return path


def _add_features_no_formula(path: Path) -> None:
    package = Package.open(path)
    products = package.sheet_parts()[FEATURE_TAB]
    slicer = package.free_name("xl/slicers/slicer{}.xml")
    package.set(slicer, SLICER.encode())
    package.add_override(slicer, "application/vnd.ms-excel.slicer+xml")
    rid = package.add_relationship(products, SLICER_REL, slicer)
    text = package.parts[products].decode()
    package.set(products, text.replace("</worksheet>", _ext_list(rid) + "</worksheet>").encode())
    path.write_bytes(package.to_bytes())


def _owned(package: Package) -> tuple[set[str], dict[str, list[tuple[int, int, int, int]]]]:
    """Parts a run may change, and the output tables' extents per owned sheet part."""
    sheets = package.sheet_parts()
    owned = {CONTENT_TYPES}
    extents: dict[str, list[tuple[int, int, int, int]]] = {}
    outputs = {t.name.lower() for t in CONTRACT.tables_with_role(Role.OUTPUT)}
    for tab in (OUTPUT_TABS | VIEW_TABS) & set(sheets):
        part = sheets[tab]
        owned |= {part, Package.rels_name(part)}
        for name, table in package.table_parts(part).items():
            owned.add(table)
            if name in outputs:
                ref = re.search(rb'\sref="([^"]+)"', package.parts[table])
                assert ref is not None
                extents.setdefault(part, []).append(_bounds(ref.group(1).decode()))
        for _, kind, drawing in package.relationships(part):
            if kind == DRAWING_REL:
                owned |= {drawing, Package.rels_name(drawing)}
                owned |= {t for _, k, t in package.relationships(drawing) if k == CHART_REL}
    owned |= {n for n in package.names if n.endswith("calcChain.xml")}
    return owned, extents


def _bounds(ref: str) -> tuple[int, int, int, int]:
    from openpyxl.utils import range_boundaries

    a, b, c, d = range_boundaries(ref)
    return int(a or 0), int(b or 0), int(c or 0), int(d or 0)


def _cells(sheet: SheetXml) -> dict[tuple[int, int], str]:
    found = {}
    for row in sheet.rows:
        sheet._parse(row)
        assert row.cells is not None
        for col, xml in row.cells:
            found[(row.number, col)] = xml
    return found


STYLE_SECTIONS = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")


def _styles_part(package: Package) -> str:
    workbook = package.workbook_part()
    return next(t for _, k, t in package.relationships(workbook) if k.endswith("/styles"))


def assert_styles_only_appended(before: bytes, after: bytes) -> None:
    """Every style entry of `before` keeps its place in `after`; nothing else changed."""
    from xml.etree import ElementTree

    old_root, new_root = ElementTree.fromstring(before), ElementTree.fromstring(after)
    for section in STYLE_SECTIONS:
        old = old_root.find(f"{{{MAIN_NS}}}{section}")
        new = new_root.find(f"{{{MAIN_NS}}}{section}")
        old_items = [ElementTree.tostring(c) for c in (old if old is not None else [])]
        new_items = [ElementTree.tostring(c) for c in (new if new is not None else [])]
        assert new_items[: len(old_items)] == old_items, f"styles.xml: {section} renumbered"
        if new is not None and new.get("count") is not None:
            assert new.get("count") == str(len(new_items)), f"styles.xml: {section} count"

    def rest(data: bytes) -> bytes:
        for section in STYLE_SECTIONS:
            data = re.sub(
                rb"<(\w+:)?%s\b[^>]*?(/>|>.*?</\1?%s>)" % (section.encode(), section.encode()),
                b"",
                data,
                flags=re.S,
            )
        return data

    assert rest(before) == rest(after), "styles.xml changed outside its style lists"


def assert_workbook_changed_only_in_views(package: Package, before: bytes, after: bytes) -> None:
    """workbook.xml: the same but for the views' print names (by their sheet position) and
    the active tab."""
    from xml.etree import ElementTree

    sheets = ElementTree.fromstring(before).iter(f"{{{MAIN_NS}}}sheet")
    views = {i for i, sheet in enumerate(sheets) if sheet.get("name") in VIEW_TABS}
    assert len(views) == len(VIEW_TABS & set(package.sheet_parts()))

    def rest(data: bytes) -> bytes:
        def drop(match: re.Match[bytes]) -> bytes:
            local = re.search(rb'localSheetId="(\d+)"', match.group(2))
            return b"" if local is not None and int(local.group(1)) in views else match.group(0)

        name = rb"<(\w+:)?definedName\b([^>]*)>(.*?)</\1?definedName>"
        data = re.sub(name, drop, data, flags=re.S)
        data = re.sub(rb"<(\w+:)?definedNames\b[^>]*?(/>|>\s*</\1?definedNames>)", b"", data)
        return re.sub(rb'\sactiveTab="\d+"', b"", data)

    assert rest(before) == rest(after), "workbook.xml changed beyond the views' print names"


def assert_only_owned_changed(before: Package, after: Package) -> int:
    """Compare every part outside the product's byte for byte; return how many were compared."""
    owned, extents_before = _owned(before)
    owned_after, extents_after = _owned(after)
    styles, workbook = _styles_part(before), before.workbook_part()
    compared = 0
    for name in before.names:
        if name in owned:
            continue
        assert name in after.parts, f"{name} was dropped"
        if name == styles:
            assert_styles_only_appended(before.parts[name], after.parts[name])
        elif name == workbook:
            assert_workbook_changed_only_in_views(before, before.parts[name], after.parts[name])
        else:
            assert after.parts[name] == before.parts[name], f"{name} changed"
        compared += 1
    for name in after.names:
        assert name in before.parts or name in owned_after, f"unexpected new part {name}"
    old_types = re.findall(rb"<(?:Override|Default)\b[^>]*/>", before.parts[CONTENT_TYPES])
    for entry in old_types:
        if b"calcChain" not in entry:
            assert entry in after.parts[CONTENT_TYPES], f"content type {entry!r} dropped"
    tabs = {part: tab for tab, part in before.sheet_parts().items()}
    for part, extents in extents_before.items():
        old, new = SheetXml(before.parts[part], part), SheetXml(after.parts[part], part)
        # What a save may change outside the cells: the used range, and the reference to the
        # product's charts (a drawing element, and the relationships namespace it needs).
        strip = re.compile(rf'<dimension\b[^>]*/>|<drawing\b[^>]*/>| xmlns:r="{R_NS}"')
        old_tail, new_tail = strip.sub("", old.tail), strip.sub("", new.tail)
        boxes = extents + extents_after.get(part, [])
        if tabs[part] in ALERT_TABS:
            # The product's alert colours, on its own output tables' columns only.
            for rule in CONDITIONAL_FORMAT.findall(new_tail):
                sqref = re.search(r'sqref="([^"]+)"', rule)
                assert sqref is not None
                for ref in sqref.group(1).split():
                    first, _, last, _ = _bounds(ref)
                    assert any(a <= first and last <= c for a, _, c, _ in boxes), rule
            old_tail, new_tail = (CONDITIONAL_FORMAT.sub("", t) for t in (old_tail, new_tail))
        assert strip.sub("", old.head) == strip.sub("", new.head), f"{part}: head changed"
        assert old_tail == new_tail, f"{part}: tail changed"

        def outside(key: tuple[int, int], boxes: list[tuple[int, int, int, int]] = boxes) -> bool:
            row, col = key
            return not any(a <= col <= c and b <= row <= d for a, b, c, d in boxes)

        old_cells = {k: v for k, v in _cells(old).items() if outside(k)}
        new_cells = {k: v for k, v in _cells(new).items() if outside(k)}
        assert old_cells == new_cells, f"{part}: a cell outside the output tables changed"
        rels = Package.rels_name(part)
        for rel in re.findall(rb"<Relationship\b[^>]*/>", before.parts.get(rels, b"")):
            assert rel in after.parts[rels], f"{rels}: {rel!r} dropped"
    return compared


def _run(path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(path), "--lp", "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, tuple[Package, Path]]:
    """Each workbook before its run, and the path of the planned file."""
    folder = tmp_path_factory.mktemp("round_trip")
    plain = create_workbook(folder / "lo-source.xlsx", tiny_tables())
    [saved_by_libreoffice] = convert([plain], folder / "lo")
    built = {
        "xlsx": _xlsx(folder),
        "xlsm": _xlsm(folder),
        "libreoffice": saved_by_libreoffice,
        "codes": _tricky_codes(folder),
    }
    result = {}
    for name, path in built.items():
        before = Package.open(path)
        _run(path)
        result[name] = (before, path)
    return result


@pytest.mark.parametrize("name", ["xlsx", "xlsm", "libreoffice"])
def test_every_part_outside_the_product_is_kept_byte_for_byte(workbooks, name):
    before, path = workbooks[name]
    after = Package.open(path)
    compared = assert_only_owned_changed(before, after)
    assert compared >= 10
    # The run did write: the product's tables grew.
    frame = read_output(FilePort.open(path), "ProductBalance", "sop run")
    assert len(frame) == 4  # 2 SKUs x 2 months (tiny company, horizon 2)


def test_the_ribbon_and_vba_survive(workbooks):
    before, path = workbooks["xlsm"]
    after = Package.open(path)
    ribbon = [n for n in before.names if n.startswith("customUI/")]
    assert ribbon and all(after.parts[n] == before.parts[n] for n in ribbon)
    assert after.parts["xl/vbaProject.bin"] == before.parts["xl/vbaProject.bin"]
    assert after.parts["_rels/.rels"] == before.parts["_rels/.rels"]  # the ribbon's relationship
    assert b"customUI" in after.parts["_rels/.rels"]


def test_extensions_slicers_pivot_caches_comments_and_names_survive(workbooks):
    _, path = workbooks["xlsx"]
    after = Package.open(path)
    products = after.sheet_parts()[FEATURE_TAB]
    text = after.parts[products]
    for marker in (b"x14:dataValidation ", b"x14:sparkline>", b"x14:dataBar", b"x14:slicer "):
        assert marker in text
    workbook = after.parts[after.workbook_part()]
    assert b"PlannerRange" in workbook and b"pivotCache " in workbook
    assert any(n.startswith("xl/comments") for n in after.names)
    assert any(n.startswith("xl/pivotCache/") for n in after.names)
    assert b"<f>1+1</f><v>2</v>" in text  # a formula's cached value, untouched


def test_formula_inputs_keep_their_cached_values_run_after_run(workbooks):
    """A workbook that validated and ran once validates again (the cached values stay)."""
    for name in ("xlsx", "xlsm"):
        _, path = workbooks[name]
        inputs = read_inputs(FilePort.open(path))
        prices = inputs["Prices"].set_index("sku")["unit_price"]
        assert 100.0 in prices.tolist()  # =2*50, read from its cached value


def test_exec_charts_follow_their_tables(workbooks):
    _, path = workbooks["libreoffice"]
    after = Package.open(path)
    exec_part = after.sheet_parts()[EXEC_TAB]  # the Exec page holds the charts
    drawing = next(t for _, k, t in after.relationships(exec_part) if k == DRAWING_REL)
    charts = [t for _, k, t in after.relationships(drawing) if k == CHART_REL]
    assert len(charts) == 3
    # The monthly summary has one row per plan month (2): its chart reads the table's two
    # data rows, on the tab that holds the table.
    wb = load_workbook(path)
    summary = sheet_with_table(wb, "MonthlySummary")
    _, header_row, _, last_row = table_bounds(summary, "MonthlySummary")
    assert last_row - header_row == 2
    sheet = re.escape(summary.title)
    first, last = header_row + 1, last_row
    text = after.parts[charts[0]].decode()
    pattern = rf"(?:'{sheet}'|{sheet})!\$[A-Z]+\${first}:\$[A-Z]+\${last}<"
    assert re.search(pattern, text), text[:400]


# Codes the validation lets through although they look risky: dots, brackets, digits only,
# ampersands, quotes, umlauts, a slash and a < inside. The live formulas must match them.
TRICKY_CODES = {
    "A": "A.B-1 (x)",
    "B": "12345",
    "F": "F&G 'q'",
    "G": "Übergröße",
    "North": "Nörth/Ost",
    "South": "Süd <1>",
}


def _tricky_codes(folder: Path) -> Path:
    tables = tiny_tables()
    for old, new in TRICKY_CODES.items():
        for name, table in tables.items():
            for column in table.columns:
                if table[column].dtype == object:
                    tables[name][column] = table[column].where(table[column] != old, new)
    return create_workbook(folder / "codes.xlsx", tables)


def _sumifs_probe(folder: Path) -> Path:
    """What SUMIFS does with the codes validation refuses, for LibreOffice to compute."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row, (code, value) in enumerate(
        [("PMP-1", 1), ("PMP-*", 2), ("ctl", 4), ("CTL", 8), (">CTL", 16)], start=1
    ):
        ws.cell(row, 1, code)
        ws.cell(row, 2, value)
    ws["C1"] = "=SUMIFS(B1:B5,A1:A5,A2)"  # exactly "PMP-*" alone would be 2
    ws["C2"] = "=SUMIFS(B1:B5,A1:A5,A4)"  # exactly "CTL" alone would be 8
    ws["C3"] = "=SUMIFS(B1:B5,A1:A5,A5)"  # exactly ">CTL" alone would be 16
    path = folder / "probe.xlsx"
    wb.save(path)
    return path


def test_pnl_cached_values_equal_finance_plan_and_libreoffice_agrees(workbooks, tmp_path):
    """Issue 15 item 6: the formulas' cached values are the Python figures, without any
    recalculation; LibreOffice's recalculation of the same formulas agrees, also for codes
    that look risky. The codes validation refuses really do break SUMIFS (the probe)."""
    _, path = workbooks["xlsx"]
    _, codes = workbooks["codes"]
    copies = [tmp_path / "planned.xlsx", tmp_path / "codes.xlsx"]
    shutil.copy(path, copies[0])
    shutil.copy(codes, copies[1])
    recalculated = convert([*copies, _sumifs_probe(tmp_path)], tmp_path / "lo")
    probe = load_workbook(recalculated[2], data_only=True).active
    assert probe is not None
    # Wildcard, case-insensitive match and operator: none is the exact match Python makes.
    assert (probe["C1"].value, probe["C2"].value, probe["C3"].value) != (2, 8, 16)
    assert probe["C1"].value == 3 and probe["C2"].value == 12  # PMP-1 + PMP-*; ctl + CTL
    for source in (path, recalculated[0], codes, recalculated[1]):
        port = FilePort.open(source)
        pnl = read_output(port, "PnL", "sop run")
        plan = read_output(port, "FinancePlan", "sop run")
        assert len(pnl) == len(plan) > 0
        for column in ("units", "revenue", "cogs", "gross_margin", "working_capital"):
            assert np.allclose(pnl[column].astype(float), plan[column].astype(float), rtol=1e-9)
        assert (pnl["margin_flag"].fillna("") == plan["margin_flag"].fillna("")).all()
        sku = read_output(port, "SkuPnL", "sop run")
        assert np.isclose(sku["revenue"].sum(), plan["revenue"].sum(), rtol=1e-9)
    # The planned file itself: every formula cell the product wrote carries a saved result.
    package = Package.open(path)
    tabs = {package_tab_of(package, t) for t in ("PnL", "SkuPnL")}  # the live P&L's tables
    finance = "".join(package.parts[package.sheet_parts()[tab]].decode() for tab in tabs)
    formulas = re.findall(r"<c\b[^>]*>(<f>.*?</f>.*?)</c>", finance)
    written = [f for f in formulas if "SUMIFS" in f or "{" not in f]
    assert len(written) > 50  # tiny company: 4 SkuPnL lines x 10 formulas, PnL lines
    assert all("<v>" in f for f in written if f not in ("<f>2*50</f><v>100</v>",))


def test_the_snapshot_holds_the_pnl_figures_without_recalculation(workbooks, tmp_path):
    """Issue 15 item 6: the approved snapshot keeps values only; the P&L's are the cached
    results, equal to FinancePlan, not blanks."""
    from sop_addin.approval.snapshot import build_locked_workbook, read_table_values

    _, path = workbooks["xlsx"]
    tables = read_table_values(FilePort.open(path), ["FinancePlan", "PnL"])
    assert all(t.blanked_formulas == 0 for t in tables)
    locked = build_locked_workbook([("Approved by", "test")], tables)
    target = tmp_path / "snapshot.xlsx"
    locked.workbook.save(target)
    port = FilePort.open(target)
    pnl = read_output(port, "PnL", "sop approve")
    plan = read_output(port, "FinancePlan", "sop approve")
    for column in ("units", "revenue", "cogs", "gross_margin", "working_capital"):
        assert np.allclose(pnl[column].astype(float), plan[column].astype(float), rtol=1e-9)


# -- the sheet splicer on XML other producers write -------------------------------------------

_PREFIXED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<x:worksheet xmlns:x="http://schemas.openxmlformats'
    '.org/spreadsheetml/2006/main"><x:dimension ref="A1:B2"/><x:sheetData>'
    '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>1</x:v></x:c></x:row>'
    '<x:row spans="1:2"><x:c s="3"><x:v>2</x:v></x:c></x:row>'
    "</x:sheetData><x:extLst><x:ext uri='{X}'/></x:extLst></x:worksheet>"
)


def test_a_prefixed_sheet_without_row_numbers_is_spliced_in_place():
    from sop_addin.workbook.sheet_xml import CellWrite

    sheet = SheetXml(_PREFIXED.encode(), "xl/worksheets/sheet1.xml")
    assert [r.number for r in sheet.rows] == [1, 2]
    assert sheet.style_at(2, 1) == 3
    sheet.write({(2, 2): CellWrite("s", "x<y", 3), (4, 1): CellWrite("f", "SUM(B1:B2)", None, 3.0)})
    text = sheet.to_bytes().decode()
    assert '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c>' in text  # row 1 untouched
    assert '<x:c r="B2" s="3" t="inlineStr"><x:is><x:t xml:space="preserve">x&lt;y</x:t>' in text
    assert '<x:row r="4"><x:c r="A4"><x:f>SUM(B1:B2)</x:f><x:v>3</x:v></x:c></x:row>' in text
    assert 'spans="' not in text.split('<x:row r="2"')[1].split(">")[0]
    assert (
        '<x:dimension ref="A1:B4"/>' in text and "<x:extLst><x:ext uri='{X}'/></x:extLst>" in text
    )
    load_workbook_bytes(text)


def load_workbook_bytes(sheet: str) -> None:
    """The spliced XML parses (as a whole document)."""
    from xml.etree import ElementTree

    ElementTree.fromstring(sheet.encode())


def test_a_sheet_that_is_not_utf8_is_refused_with_its_name():
    from sop_addin.workbook.package import PackageError

    with pytest.raises(PackageError, match=r"sheet9\.xml is not UTF-8"):
        SheetXml(_PREFIXED.encode("utf-16"), "xl/worksheets/sheet9.xml")


def test_an_empty_sheet_gets_its_first_rows():
    from sop_addin.workbook.sheet_xml import CellWrite

    empty = b'<worksheet xmlns="m"><dimension ref="A1"/><sheetData/></worksheet>'
    sheet = SheetXml(empty, "s.xml")
    sheet.write({(2, 3): CellWrite("n", 1.5), (1, 1): CellWrite("b", True)})
    text = sheet.to_bytes().decode()
    assert text == (
        '<worksheet xmlns="m"><dimension ref="A1:C2"/><sheetData><row r="1"><c r="A1" t="b">'
        '<v>1</v></c></row><row r="2"><c r="C2"><v>1.5</v></c></row></sheetData></worksheet>'
    )
