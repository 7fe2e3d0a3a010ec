"""Build the macro-enabled template (.xlsm) and the S&OP add-in (.xlam).

Both carry the S&OP ribbon (customUI14 XML from buttons.csv, filtered by the actions this
version has), a VBA project compiled from excel/vba/*.bas|cls (the xlwings module in
standalone mode, its Mac Dictionary class, and the one ribbon callback) and an
xlwings.conf sheet. The .xlsm is the contract's template plus those; the .xlam is the
ribbon alone, for planners who keep their own workbooks. Builds are byte-reproducible:
openpyxl writes the workbook, then the package is reassembled with fixed timestamps.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from sop_addin.excel.ribbon_xml import ribbon_for_actions
from sop_addin.excel.vba_project import build_vba_project, source_modules, workbook_modules
from sop_addin.workbook.atomic import atomic_write_bytes
from sop_addin.workbook.template import BUILD_TIME, build_workbook, reproducible_bytes

XLSM_NAME = "sop_planning.xlsm"
XLAM_NAME = "sop_addin.xlam"
CONF_SHEET = "xlwings.conf"
UDF_MODULE = "sop_addin.udfs"  # the SOP_* worksheet functions, installed with the package
# xlwings reads the settings from A1 down to the first blank row; every row present
# overrides the user's xlwings.conf, so only settings the product decides are listed.
CONF_SETTINGS: tuple[tuple[str, str], ...] = (("UDF Modules", UDF_MODULE),)
CONF_NOTES = (
    "xlwings settings for this workbook: key in column A, value in column B, from A1 down.",
    "Which Python Excel starts is set per user by `sop addin install` (your own xlwings.conf);",
    "a row here would override it for everyone who opens this file. See docs/install.md.",
)

_MAIN_XLSX = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MAIN = {
    ".xlsm": b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ".xlam": b"application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
_VBA_CONTENT_TYPE = b"application/vnd.ms-office.vbaProject"
_VBA_REL = b"http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_UI_REL = b"http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_PART = "xl/vbaProject.bin"
CUSTOMUI_PART = "customUI/customUI14.xml"


@dataclass(frozen=True)
class AddinParts:
    """What the two files are made of, computed once per build."""

    ribbon: bytes
    xlsm: bytes
    xlam: bytes


def _add_conf_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(CONF_SHEET)
    for row, (key, value) in enumerate(CONF_SETTINGS, start=1):
        ws.cell(row, 1, key)
        ws.cell(row, 2, value)
    for row, note in enumerate(CONF_NOTES, start=1):
        ws.cell(row, 4, note).font = Font(italic=True, color="808080")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 16


def _set_code_names(wb: Workbook) -> list[str]:
    """Name the workbook and sheet modules the way the VBA project does; return the sheets'."""
    wb.code_name = "ThisWorkbook"
    names = []
    for index, ws in enumerate(wb.worksheets, start=1):
        ws.sheet_properties.codeName = f"Sheet{index}"
        names.append(f"Sheet{index}")
    return names


def _insert_before(xml: bytes, closing: bytes, element: bytes) -> bytes:
    if xml.count(closing) != 1:
        msg = f"unexpected package part: {closing.decode()} found {xml.count(closing)} times"
        raise ValueError(msg)
    return xml.replace(closing, element + closing)


def _package(xlsx: bytes, suffix: str, vba: bytes, ribbon: bytes) -> bytes:
    """Turn openpyxl's .xlsx package into a macro-enabled one with the ribbon part."""
    out = io.BytesIO()
    stamp = BUILD_TIME.timetuple()[:6]

    def write(dst: zipfile.ZipFile, name: str, data: bytes) -> None:
        entry = zipfile.ZipInfo(name, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        dst.writestr(entry, data)

    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                if data.count(_MAIN_XLSX) != 1:
                    msg = "the workbook's content type was not found in [Content_Types].xml"
                    raise ValueError(msg)
                data = data.replace(_MAIN_XLSX, _MAIN[suffix])
                data = _insert_before(
                    data,
                    b"</Types>",
                    b'<Override PartName="/'
                    + VBA_PART.encode()
                    + b'" ContentType="'
                    + _VBA_CONTENT_TYPE
                    + b'" />',
                )
            elif info.filename == "_rels/.rels":
                data = _insert_before(
                    data,
                    b"</Relationships>",
                    b'<Relationship Type="'
                    + _UI_REL
                    + b'" Target="'
                    + CUSTOMUI_PART.encode()
                    + b'" Id="rIdSopRibbon" />',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = _insert_before(
                    data,
                    b"</Relationships>",
                    b'<Relationship Type="' + _VBA_REL + b'" Target="vbaProject.bin"'
                    b' Id="rIdSopVba" />',
                )
            write(dst, info.filename, data)
        write(dst, VBA_PART, vba)
        write(dst, CUSTOMUI_PART, ribbon)
    return out.getvalue()


def _macro_file(wb: Workbook, suffix: str, ribbon: bytes) -> bytes:
    from sop_addin import __version__

    wb.properties.version = __version__  # `sop addin doctor` compares it with this Python's
    _add_conf_sheet(wb)
    sheets = _set_code_names(wb)
    vba = build_vba_project(workbook_modules(sheets) + source_modules())
    return _package(reproducible_bytes(wb), suffix, vba, ribbon)


def _addin_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the add-in keeps only its xlwings.conf sheet
    wb.properties.creator = "sop-addin"
    wb.properties.created = BUILD_TIME
    return wb


def build_addin_files(actions: Iterable[str]) -> AddinParts:
    """The ribbon XML and the bytes of the .xlsm template and the .xlam add-in."""
    ribbon = ribbon_for_actions(actions)
    return AddinParts(
        ribbon=ribbon,
        xlsm=_macro_file(build_workbook(), ".xlsm", ribbon),
        xlam=_macro_file(_addin_workbook(), ".xlam", ribbon),
    )


def addin_bytes(actions: Iterable[str]) -> bytes:
    """The .xlam alone (what `sop addin install` copies), without building the template."""
    return _macro_file(_addin_workbook(), ".xlam", ribbon_for_actions(actions))


def write_addin_files(out_dir: Path, actions: Iterable[str] | None = None) -> list[Path]:
    """Write sop_planning.xlsm and sop_addin.xlam into `out_dir` (atomically).

    `actions` defaults to the registered ACTIONS: only their buttons are on the ribbon.
    """
    if actions is None:
        from sop_addin.actions import ACTIONS

        actions = ACTIONS
    parts = build_addin_files(actions)
    targets = [Path(out_dir) / XLSM_NAME, Path(out_dir) / XLAM_NAME]
    for target, data in zip(targets, (parts.xlsm, parts.xlam), strict=True):
        atomic_write_bytes(target, data)
    return targets
