"""`sop addin build`: committed files equal a fresh build, the VBA project reads back as its
sources, the package is macro-enabled with the ribbon, LibreOffice opens and converts it."""

from __future__ import annotations

import html
import io
import re
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.actions import ACTIONS
from sop_addin.cli import cli
from sop_addin.contract import CONTRACT
from sop_addin.excel.addin_build import (
    CONF_SHEET,
    CUSTOMUI_PART,
    UDF_MODULE,
    VBA_PART,
    XLAM_NAME,
    XLSM_NAME,
)
from sop_addin.excel.ribbon_xml import ribbon_for_actions
from sop_addin.excel.vba_project import VBA_DIR, normalise, stored_source
from sop_addin.workbook.template import sheet_order
from tests.libreoffice import convert

with warnings.catch_warnings():  # oletools' pyparsing grammar warns on import
    warnings.simplefilter("ignore")
    from oletools.olevba import VBA_Parser

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "templates"
XLWINGS_PACKAGE = Path(__import__("xlwings").__file__).parent
RUNPYTHON = 'RunPython "import sop_addin.excel.ribbon as r; r.on_action(\'" & control.Tag & "\')"'


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """One fresh build through the CLI, shared by the module's tests."""
    out = tmp_path_factory.mktemp("addin")
    result = CliRunner().invoke(cli, ["addin", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ribbon buttons:" in result.output
    return {"xlsm": out / XLSM_NAME, "xlam": out / XLAM_NAME}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _modules(path: Path) -> dict[str, str]:
    """Module name -> source, read back from the file's VBA project by oletools."""
    parser = VBA_Parser(str(path), data=path.read_bytes())
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.mark.parametrize("kind", ["xlsm", "xlam"])
def test_committed_file_equals_a_fresh_build(built, kind):
    name = built[kind].name
    assert (COMMITTED / name).read_bytes() == built[kind].read_bytes(), (
        f"templates/{name} is stale (the actions, contract or VBA sources changed): "
        "run `make addin` (sop addin build --out templates/) and commit it"
    )


def test_two_builds_are_identical(built, tmp_path):
    from sop_addin.excel.addin_build import write_addin_files

    again = write_addin_files(tmp_path, ACTIONS)
    assert [p.read_bytes() for p in again] == [
        built["xlsm"].read_bytes(),
        built["xlam"].read_bytes(),
    ]


@pytest.mark.parametrize("kind", ["xlsm", "xlam"])
def test_vba_project_reads_back_as_the_sources(built, kind):
    modules = _modules(built[kind])
    sources = sorted(p for p in VBA_DIR.iterdir() if p.suffix in (".bas", ".cls"))
    assert {"xlwings", "Dictionary", "SopRibbon"} <= set(modules)
    for path in sources:
        name = path.stem
        stored = modules[name].replace("\r\n", "\n")
        if path.suffix == ".bas":
            # A .bas file is stored whole.
            assert stored == path.read_text(encoding="cp1252").replace("\r\n", "\n"), name
        else:
            # A .cls file loses its VERSION/BEGIN...END export header, as on VBA import.
            text = path.read_text(encoding="cp1252").replace("\r\n", "\n")
            assert text.startswith("VERSION 1.0 CLASS\n")
            assert text.endswith(stored), name
            assert stored == stored_source(path).replace("\r\n", "\n")
    assert RUNPYTHON in modules["SopRibbon"]


def test_embedded_xlwings_module_matches_the_installed_xlwings():
    # The VBA module must be the installed package's own (same version, same DLL names).
    for ours, theirs in [
        (VBA_DIR / "xlwings.bas", XLWINGS_PACKAGE / "xlwings.bas"),
        (VBA_DIR / "Dictionary.cls", XLWINGS_PACKAGE / "addin" / "Dictionary.cls"),
    ]:
        assert normalise(ours.read_text("cp1252")) == normalise(theirs.read_text("cp1252")), (
            f"{ours.name} differs from xlwings' copy: copy it from {theirs} and run `make addin`"
        )
    version = __import__("xlwings").__version__
    assert f"'Version: {version}" in (VBA_DIR / "xlwings.bas").read_text("cp1252")


@pytest.mark.parametrize(
    ("kind", "main_type"),
    [
        ("xlsm", b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        ("xlam", b"application/vnd.ms-excel.addin.macroEnabled.main+xml"),
    ],
)
def test_package_is_macro_enabled_with_the_ribbon(built, kind, main_type):
    parts = _parts(built[kind])
    assert main_type in parts["[Content_Types].xml"]
    assert (
        b'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"'
        in (parts["[Content_Types].xml"])
    )
    assert parts[VBA_PART][:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE compound file
    assert parts[CUSTOMUI_PART] == ribbon_for_actions(ACTIONS)
    rels = ElementTree.fromstring(parts["_rels/.rels"])
    targets = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in rels}
    assert targets["extensibility"] == CUSTOMUI_PART
    wb_rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    assert any(r.get("Target") == "vbaProject.bin" for r in wb_rels)


@pytest.mark.parametrize("kind", ["xlsm", "xlam"])
def test_sheet_code_names_have_document_modules(built, kind, tmp_path):
    # openpyxl does not open add-ins: read the add-in's workbook with a workbook's type.
    wb = load_workbook(_as_sheet(built[kind], tmp_path / "book.xlsm"), keep_vba=True)
    modules = _modules(built[kind])
    assert wb.code_name == "ThisWorkbook"
    code_names = [ws.sheet_properties.codeName for ws in wb.worksheets]
    assert code_names == [f"Sheet{i}" for i in range(1, len(wb.worksheets) + 1)]
    for name in ["ThisWorkbook", *code_names]:
        assert 'Attribute VB_Base = "0{000208' in modules[name]
    expected = [*sheet_order(CONTRACT), CONF_SHEET] if kind == "xlsm" else [CONF_SHEET]
    assert wb.sheetnames == expected


def test_xlwings_conf_sheet_names_the_udf_module(built):
    ws = load_workbook(built["xlsm"])[CONF_SHEET]
    # xlwings reads keys from A1 down to the first blank cell.
    assert (ws["A1"].value, ws["B1"].value) == ("UDF Modules", UDF_MODULE)
    assert ws["A2"].value is None
    assert (ROOT / "udfs" / f"{UDF_MODULE}.py").is_file()


def _as_sheet(xlam: Path, out: Path) -> Path:
    """The add-in with a workbook's content type: LibreOffice does not open add-ins."""
    data = io.BytesIO()
    with zipfile.ZipFile(xlam) as src, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                part = part.replace(b".addin.macroEnabled.", b".sheet.macroEnabled.")
            dst.writestr(info, part)
    out.write_bytes(data.getvalue())
    return out


@pytest.mark.libreoffice
def test_libreoffice_opens_and_converts_both(built, tmp_path):
    xlam_as_xlsm = _as_sheet(built["xlam"], tmp_path / "addin_as_workbook.xlsm")
    # One LibreOffice start for both files. ODF keeps what LibreOffice made of the VBA
    # project: its Basic library, one module per VBA module.
    converted = convert([built["xlsm"], xlam_as_xlsm], tmp_path, "ods")
    for path, sheets in [
        (converted[0], [*sheet_order(CONTRACT), CONF_SHEET]),
        (converted[1], [CONF_SHEET]),
    ]:
        parts = _parts(path)
        content = parts["content.xml"].decode("utf-8")
        names = re.findall(r'<table:table table:name="([^"]+)"', content)
        assert [html.unescape(n) for n in names] == sheets
        basic = {n.rsplit("/", 1)[-1][:-4] for n in parts if n.startswith("Basic/VBAProject/")}
        assert {"xlwings", "Dictionary", "SopRibbon", "ThisWorkbook"} <= basic
        ribbon_module = parts["Basic/VBAProject/SopRibbon.xml"].decode("utf-8")
        assert "Public Sub SopButton(control As IRibbonControl)" in ribbon_module
        assert "r.on_action(" in ribbon_module
